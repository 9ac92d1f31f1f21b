/// One message of a conversation, reduced to what matching and token counting need.
public struct ChatMessage: Sendable, Equatable {
    public var role: String
    /// The message's text: a string content, or its text parts joined with newlines.
    public var text: String

    public init(role: String, text: String) {
        self.role = role
        self.text = text
    }
}

extension [ChatMessage] {
    /// The prompt used for matching: the text of the last message whose role is `user`
    /// (other roles are ignored, as the original did).
    public var lastUserText: String? {
        last { $0.role == "user" }?.text
    }

    /// The system prompt: system (and developer) messages' texts, joined with newlines.
    public var systemText: String {
        filter { $0.role == "system" || $0.role == "developer" }.map(\.text).joined(separator: "\n")
    }

    /// User messages so far: the conversation's turn number.
    public var userTurns: Int {
        reduce(0) { $0 + ($1.role == "user" ? 1 : 0) }
    }

    /// Estimated prompt tokens, counted as OpenAI documents for chat: each message costs its
    /// text plus 4 tokens of framing, and every reply is primed with 3 more.
    public var promptTokens: Int {
        reduce(3) { $0 + 4 + TokenEstimator.count($1.text) }
    }
}
