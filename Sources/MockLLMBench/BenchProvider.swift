/// The wire protocol `mockllm bench` speaks: the request it sends and where, how the stream is
/// framed, and which of its events count (`BenchProvider+Events.swift`).
package enum BenchProvider: String, Sendable, CaseIterable {
    /// OpenAI Chat Completions: server-sent events, ending with `data: [DONE]`.
    case openai
    /// Anthropic Messages: named server-sent events, ending with `message_stop`.
    case anthropic
    /// OpenAI Responses: named server-sent events, ending with `response.completed` (or
    /// `response.incomplete`) and the end of the body.
    case responses
    /// Gemini `streamGenerateContent?alt=sse`: `data:` chunks, the last one with `finishReason`.
    case gemini
    /// Ollama `/api/chat`: NDJSON, one object per line, ending with the `"done":true` line.
    case ollama
    /// Amazon Bedrock `ConverseStream`: an AWS event stream (binary messages), ending with
    /// `messageStop` (then `metadata`).
    case bedrock

    /// How the body is cut into events.
    enum Framing {
        /// Server-sent events (an event ends at a blank line).
        case sse
        /// Newline-delimited JSON (one event per line).
        case ndjson
        /// AWS's event stream (`application/vnd.amazon.eventstream`: length-prefixed messages with
        /// headers and checksums).
        case eventStream
    }

    var framing: Framing {
        switch self {
        case .ollama: .ndjson
        case .bedrock: .eventStream
        case .openai, .anthropic, .responses, .gemini: .sse
        }
    }

    var defaultModel: String {
        switch self {
        case .openai, .responses: "gpt-4o-mini"
        case .anthropic: "claude-3-haiku"
        case .gemini: "gemini-2.5-flash"
        case .ollama: "llama3.2"
        case .bedrock: "anthropic.claude-3-haiku-20240307-v1:0"
        }
    }

    /// The endpoint a URL without a path gets (Gemini's names the model).
    func defaultPath(model: String) -> String {
        switch self {
        case .openai: "/v1/chat/completions"
        case .anthropic: "/v1/messages"
        case .responses: "/v1/responses"
        case .gemini: "/v1beta/models/\(model):streamGenerateContent?alt=sse"
        case .ollama: "/api/chat"
        case .bedrock: "/model/\(model)/converse-stream"
        }
    }

    /// The request's `Accept`.
    var accept: String {
        switch self {
        case .ollama: "application/x-ndjson"
        case .bedrock: "application/vnd.amazon.eventstream"
        case .openai, .anthropic, .responses, .gemini: "text/event-stream"
        }
    }
}
