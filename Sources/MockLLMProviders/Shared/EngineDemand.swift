import MockLLMScript
import MockLLMSimulation

/// What a reply asks of its model's serving engine (a model with `engine:` in the registry):
/// set on the `ProviderContext` by `ChatPlan.make`, read by the server, which runs the request
/// on the engine and releases the reply's stream events as the engine produces its tokens.
///
/// For such a model the plan's pacing marks the tokens: its chunking is one token per event and
/// every chunk waits 1 ns, so a stream's events with a delay are its tokens and those without
/// (the role event, the finish reason, usage, `[DONE]`...) are its frames. The server never
/// waits those delays: the engine's steps set the time.
package struct EngineDemand: Sendable, Equatable {
    /// The `engines:` entry the model runs on.
    package var engine: String
    /// The name vLLM's metrics label the request with (`model_name`): the served model's, the
    /// base model's for an adapter.
    package var model: String
    /// The LoRA adapter the request names (a `models:` entry with `parent:`), if any.
    package var adapter: String?
    /// The prompt's messages: their token ids (the ChatML template's, as `/tokenize` gives them)
    /// are hashed in blocks for prefix caching.
    package var messages: [ChatMessage]
    /// Whether the messages are a chat, tokenized with its template; false for a legacy
    /// completion's prompt, tokenized as it is (as `/tokenize` with `prompt` does).
    package var chatTemplate = true
    package var promptTokens: Int
    /// Tokens of the reply (a stream counts its events with a delay instead).
    package var outputTokens: Int
    /// vLLM's `finished_reason`: `length` when cut at a token limit, else `stop`.
    package var finishReason: String
    /// vLLM's `priority`: its place in a `priority` engine's waiting queue.
    package var priority = 0
}

extension Pacing {
    /// An engine model's pacing: one token per event, each marked by a 1 ns delay.
    package static let engineTokens = Pacing.profile(
        Pacing.Profile(timeToFirstToken: 1, interval: .perChunk(1)), chunking: .token)
}

/// Filler text of exactly `tokens` estimated tokens (one event each with token chunking), for a
/// request that asks for a length as load tools do (`ignore_eos`, `min_tokens`). Words of at
/// most 8 letters, each with the space before it: one token apiece (`TokenEstimator`).
package func fillerText(tokens: Int) -> String {
    let words = ["lorem", "ipsum", "dolor", "sit", "amet", "tempor", "labore", "dolore", "magna", "aliqua"]
    var text = ""
    text.reserveCapacity(tokens * 7)
    for i in 0..<max(0, tokens) {
        if i > 0 { text += " " }
        text += words[i % words.count]
    }
    return text
}
