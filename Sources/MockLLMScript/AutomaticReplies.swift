import MockLLMCore
import MockLLMSimulation

/// Replies the script does not spell out: automatic tool calls (`settings.auto_tools`, a rule's
/// `tool_calls: auto`, or the `x-mockllm-auto-tools` header) and structured output generated
/// from the request's JSON Schema, as `AutomaticDecision` decides, with values from the prompt
/// (`PromptValues`). Deterministic: the values are seeded from the request.
extension Script {
    /// The header that turns automatic tool calls on for one request.
    static let autoToolsHeader = "x-mockllm-auto-tools"

    /// Whether automatic tool calls apply to `input` without a rule asking for them.
    func autoToolsEnabled(for input: MatchInput) -> Bool {
        if let value = input.headers[Self.autoToolsHeader] { return value == "true" || value == "1" }
        return autoTools
    }

    /// Automatic mode's answer to `input` (`AutomaticDecision` decides, this writes it): tool
    /// calls with arguments taken from the prompt, JSON in the requested format, or a report of
    /// the tool results; nil when it has nothing to say. `callsTools`: automatic tool calls are on.
    func automaticAnswer(for input: MatchInput, callsTools: Bool) -> (reply: ScriptReply, source: String)? {
        let offer = input.tools
        let hasTools = !(offer?.tools.isEmpty ?? true)
        // The common case, a plain chat that nothing matched, decides nothing and reads nothing.
        guard hasTools || input.responseFormat != nil || callsTools else { return nil }
        let state = Self.conversationState(input.messages)
        let format = Self.requestedFormat(input, callsTools: callsTools)
        guard hasTools || format != .none || (callsTools && state.results != nil) else { return nil }
        let situation = AutomaticDecision.Situation(
            tools: offer?.tools ?? [], choice: offer?.choice ?? .auto, parallel: offer?.parallel ?? true, prompt: input.prompt,
            conversation: state, format: format, callsTools: callsTools)
        let results = Self.resultsSincePrompt(input.messages)
        switch AutomaticDecision.decide(situation) {
        case .pass:
            return nil
        case .report:
            return (ScriptReply(Self.reportText(input.messages.lastToolResults ?? [])), "auto tools")
        case .json(let schema):
            let source = input.responseFormat != nil ? "response_format" : "auto tools"
            guard let schema else {
                let text = input.messages.lastToolResults.map(Self.reportText) ?? defaultReply
                return (ScriptReply(JSONValue.object(JSONObject([.init(key: "text", value: .string(text))])).jsonText), source)
            }
            var random = SeededRandom(seed: Self.seed(input.prompt, "response_format", input.messages.count))
            let values = PromptValues(primary: input.prompt, context: results)
            return (ScriptReply(SchemaInstance.generate(schema, random: &random, values: values).jsonText), source)
        case .call(let calls):
            let blocks = calls.map { planned -> ReplyBlock in
                let tool = offer?.tools.first { $0.name == planned.tool } ?? ToolOffer.Tool(name: planned.tool)
                var random = SeededRandom(seed: Self.seed(input.prompt, tool.name, input.messages.count))
                let values = PromptValues(primary: planned.source, context: results)
                var arguments = SchemaInstance.generate(tool.schema, random: &random, values: values)
                if case .object = arguments {} else { arguments = .object(JSONObject()) }
                return .toolCall(ToolCall(name: tool.name, arguments: arguments.spacedJSONText))
            }
            return (ScriptReply(blocks: blocks), "auto tools")
        }
    }

    /// What the request wants the reply's text to be: its `json_schema`; for `json_object`, the
    /// JSON Schema its messages carry (instructor's JSON mode), else, with `tool_choice: none`
    /// and a single tool, that tool's schema, else any object; with no format, the schema its
    /// messages carry when they also ask for JSON in words (instructor's `MD_JSON`,
    /// `ANTHROPIC_JSON`), only with automatic tool calls on.
    static func requestedFormat(_ input: MatchInput, callsTools: Bool) -> AutomaticDecision.Format {
        switch input.responseFormat {
        case .jsonSchema(let schema)?:
            return .json(schema: schema)
        case .jsonObject?:
            if let schema = EmbeddedJSON.promptSchema(in: input.messages, mentionRequired: false) { return .json(schema: schema) }
            if let offer = input.tools, offer.choice == .none, offer.tools.count == 1 { return .json(schema: offer.tools[0].schema) }
            return .json(schema: nil)
        case nil:
            guard callsTools, let schema = EmbeddedJSON.promptSchema(in: input.messages, mentionRequired: true) else { return .none }
            return .json(schema: schema)
        }
    }

    /// Where the conversation stands: the tools whose results it ends with, and the tools called
    /// since the prompt (the last user message that is not only tool results).
    static func conversationState(_ messages: [ChatMessage]) -> AutomaticDecision.Conversation {
        let results = messages.lastToolResults?.map(\.name)
        let start = promptIndex(messages).map { $0 + 1 } ?? 0
        let called = messages[start...].flatMap { $0.toolCalls.map(\.name) }
        return AutomaticDecision.Conversation(results: results, called: called)
    }

    /// The texts of the tool results since the prompt, oldest first (the last 16 at most).
    static func resultsSincePrompt(_ messages: [ChatMessage]) -> [String] {
        let start = promptIndex(messages).map { $0 + 1 } ?? 0
        return Array(messages[start...].flatMap { $0.toolResults.map(\.text) }.suffix(16))
    }

    /// The index of the message `lastUserText` takes the prompt from.
    static func promptIndex(_ messages: [ChatMessage]) -> Int? {
        messages.lastIndex { $0.role == "user" && ($0.toolResults.isEmpty || !$0.text.isEmpty) }
            ?? messages.lastIndex { $0.role == "user" }
    }

    /// `The get_weather tool returned: 15 degrees` (several results joined with "; ").
    static func reportText(_ results: [(name: String, text: String)]) -> String {
        results.map { result in
            let text = result.text.count > 500 ? String(result.text.prefix(500)) + "..." : result.text
            return result.name.isEmpty ? "The tool returned: \(text)" : "The \(result.name) tool returned: \(text)"
        }.joined(separator: "; ")
    }

    /// Lower-case words of three letters or more; `getWeather` and `get_weather` both give `weather`.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for scalar in text.unicodeScalars {
            let isUpper = scalar.properties.isUppercase
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                if isUpper && previousLower {
                    words.append(current)
                    current = ""
                }
                current.unicodeScalars.append(scalar)
                previousLower = !isUpper
            } else {
                words.append(current)
                current = ""
                previousLower = false
            }
        }
        words.append(current)
        return words.filter { $0.count >= 3 }.map { $0.lowercased() }
    }

    /// FNV-1a over the parts: the same request gets the same invented values, whatever was
    /// asked before it and on whichever loop.
    static func seed(_ prompt: String, _ name: String, _ messages: Int) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in prompt.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        hash = (hash ^ 0xff) &* 0x100_0000_01b3
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash ^ UInt64(messages)
    }
}
