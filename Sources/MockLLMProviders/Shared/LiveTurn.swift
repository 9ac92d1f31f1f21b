import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// One turn of a live session (OpenAI Realtime, Gemini Live), whatever the protocol: the
/// conversation so far, as the script's rules see a chat request, and how the reply is to be
/// given (written, or spoken in an audio format). `plan(context:chunkMilliseconds:)` answers it.
///
/// A user turn that was spoken is a user message whose text is its transcript, with
/// `audioMilliseconds` its length: rules see the transcript as the prompt and can match the
/// length with `audio_ms`. The transcript is decided when the audio is committed, before the
/// reply, by `transcript(ofAudio:...)`: the first matching rule's `transcript:`, else a plain
/// description of the audio's length.
struct LiveTurn: Sendable {
    var model: String
    /// The session's instructions (the system prompt rules' `system:` matches).
    var instructions: String
    /// The conversation, oldest first: user and assistant texts, the assistant's tool calls and
    /// the tool results, as `ChatMessage`s (no system message: `instructions` is it).
    var messages: [ChatMessage]
    /// The last user message was spoken and lasted this long (ms); nil when it was typed.
    var audioMilliseconds: Int?
    var tools: ToolOffer?
    /// The opening handshake's headers (rules' `headers:`), path and answering provider.
    var headers: RequestHeaders
    var endpoint: String
    var provider: String
    /// The reply is spoken in this format (audio and its transcript); nil: written.
    var speech: AudioFormat?
    /// The session's limit on a reply's tokens (`max_output_tokens`).
    var maxTokens: Int?

    init(model: String, instructions: String = "", messages: [ChatMessage], audioMilliseconds: Int? = nil,
         tools: ToolOffer? = nil, headers: RequestHeaders = RequestHeaders(), endpoint: String, provider: String,
         speech: AudioFormat? = nil, maxTokens: Int? = nil) {
        self.model = model
        self.instructions = instructions
        self.messages = messages
        self.audioMilliseconds = audioMilliseconds
        self.tools = tools
        self.headers = headers
        self.endpoint = endpoint
        self.provider = provider
        self.speech = speech
        self.maxTokens = maxTokens
    }

    /// The turn as the script's rules see it.
    var matchInput: MatchInput {
        var conversation = messages
        if !instructions.isEmpty { conversation.insert(ChatMessage(role: "system", text: instructions), at: 0) }
        var input = MatchInput(
            prompt: conversation.lastUserText ?? "", model: model, messages: conversation, headers: headers,
            endpoint: endpoint, provider: provider, tools: tools?.tools.isEmpty == false ? tools : nil)
        input.audioMilliseconds = audioMilliseconds
        return input
    }

    /// What `milliseconds` of user audio just committed say, for a turn whose conversation is
    /// `self.messages` without it: the first matching rule's `transcript:` (the rule matched with
    /// the audio's description as the prompt), else that description.
    func transcript(ofAudio milliseconds: Int, script: Script, scope: TestScope?) -> String {
        var turn = self
        turn.messages.append(ChatMessage(role: "user", text: MatchInput.audioDescription(milliseconds: milliseconds)))
        turn.audioMilliseconds = milliseconds
        return script.transcript(for: turn.matchInput, scope: scope)
    }

    /// Plans the reply: the script's answer (a refusal is thrown as the plan's obstacle), paced.
    /// Audio is cut into chunks of `chunkMilliseconds`.
    func plan(context: inout ProviderContext, chunkMilliseconds: Int = 100) throws(ChatPlan.Obstacle) -> LivePlan {
        let chat = try ChatPlan.make(for: matchInput, maxTokens: maxTokens, stopSequences: [], context: &context)
        return LivePlan(chat, speech: speech, chunkMilliseconds: chunkMilliseconds)
    }
}
