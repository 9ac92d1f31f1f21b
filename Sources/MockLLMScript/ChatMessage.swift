import MockLLMSimulation

/// One message of a conversation, reduced to what matching and token counting need.
package struct ChatMessage: Sendable, Equatable {
    package var role: String
    /// The message's text: a string content, or its text parts joined with newlines.
    package var text: String
    /// The calls an assistant message made: id and tool name.
    package var toolCalls: [(id: String, name: String)]
    /// The tool results this message carries (an OpenAI `tool` or `function` message, an
    /// Anthropic user message's `tool_result` blocks): the call's id, or the tool's name when
    /// the message names it (legacy `function` messages), and the result's text.
    package var toolResults: [ToolResult]

    package struct ToolResult: Sendable, Equatable {
        package var callID: String?
        package var name: String?
        package var text: String

        package init(callID: String? = nil, name: String? = nil, text: String) {
            self.callID = callID
            self.name = name
            self.text = text
        }
    }

    package init(role: String, text: String, toolCalls: [(id: String, name: String)] = [], toolResults: [ToolResult] = []) {
        self.role = role
        self.text = text
        self.toolCalls = toolCalls
        self.toolResults = toolResults
    }

    package static func == (a: ChatMessage, b: ChatMessage) -> Bool {
        a.role == b.role && a.text == b.text && a.toolResults == b.toolResults
            && a.toolCalls.elementsEqual(b.toolCalls) { $0.id == $1.id && $0.name == $1.name }
    }
}

extension [ChatMessage] {
    /// The prompt used for matching: the text of the last message whose role is `user`
    /// (other roles are ignored, as the original did), passing over user messages that only
    /// carry tool results (Anthropic's), so a conversation's question stays its prompt.
    package var lastUserText: String? {
        last { $0.role == "user" && ($0.toolResults.isEmpty || !$0.text.isEmpty) }?.text
            ?? last { $0.role == "user" }?.text
    }

    /// The results the conversation ends with, each with its tool's name (looked up from the
    /// call that asked for it); nil when the last message is not a tool result.
    package var lastToolResults: [(name: String, text: String)]? {
        var results: [ChatMessage.ToolResult] = []
        for message in reversed() {
            guard !message.toolResults.isEmpty else { break }
            results.insert(contentsOf: message.toolResults, at: 0)
            if message.role == "user" { break }  // Anthropic: all results of a turn are in one message
        }
        guard !results.isEmpty else { return nil }
        return results.map { result in
            let name = result.name ?? result.callID.flatMap { id in
                lazy.reversed().lazy.compactMap { $0.toolCalls.first { $0.id == id }?.name }.first
            }
            return (name ?? "", result.text)
        }
    }

    /// The system prompt: system (and developer) messages' texts, joined with newlines.
    package var systemText: String {
        filter { $0.role == "system" || $0.role == "developer" }.map(\.text).joined(separator: "\n")
    }

    /// User messages so far: the conversation's turn number.
    package var userTurns: Int {
        reduce(0) { $0 + ($1.role == "user" ? 1 : 0) }
    }

    /// Estimated prompt tokens, counted as OpenAI documents for chat: each message costs its
    /// text plus 4 tokens of framing, and every reply is primed with 3 more.
    package var promptTokens: Int {
        reduce(3) { $0 + 4 + TokenEstimator.count($1.text) }
    }
}
