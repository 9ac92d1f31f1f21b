import MockLLMCore
import MockLLMSimulation

/// Replies the script does not spell out: automatic tool calls (`settings.auto_tools`, a rule's
/// `tool_calls: auto`, or the `x-mockllm-auto-tools` header) and structured output generated
/// from the request's JSON Schema. Deterministic: the values are seeded from the request.
extension Script {
    /// The header that turns automatic tool calls on for one request.
    static let autoToolsHeader = "x-mockllm-auto-tools"

    /// Whether automatic tool calls apply to `input` without a rule asking for them.
    func autoToolsEnabled(for input: MatchInput) -> Bool {
        if let value = input.headers[Self.autoToolsHeader] { return value == "true" || value == "1" }
        return autoTools
    }

    /// A tool call invented from the offered tools, or, once the conversation ends with tool
    /// results, a text reporting them; nil when no tool is offered or `tool_choice` forbids one.
    func automaticToolReply(for input: MatchInput) -> ScriptReply? {
        guard let offer = input.tools, !offer.tools.isEmpty else { return nil }
        let tool: ToolOffer.Tool
        switch offer.choice {
        case .none:
            return nil
        case .named(let name):
            guard let named = offer.tools.first(where: { $0.name == name }) else { return nil }
            tool = named
        case .required:
            tool = Self.closestTool(to: input.prompt, in: offer.tools)
        case .auto:
            if let results = input.messages.lastToolResults {
                return ScriptReply(Self.reportText(results))
            }
            tool = Self.closestTool(to: input.prompt, in: offer.tools)
        }
        var random = SeededRandom(seed: Self.seed(input.prompt, tool.name, input.messages.count))
        var arguments = SchemaInstance.generate(tool.schema, random: &random)
        if case .object = arguments {} else { arguments = .object(JSONObject()) }
        return ScriptReply(blocks: [.toolCall(ToolCall(name: tool.name, arguments: arguments.spacedJSONText))])
    }

    /// JSON for a request that asks for it (`response_format`) and that no rule answered.
    func structuredReply(for input: MatchInput, format: ResponseFormat) -> ScriptReply {
        switch format {
        case .jsonObject:
            return ScriptReply(JSONValue.object(JSONObject([.init(key: "text", value: .string(defaultReply))])).jsonText)
        case .jsonSchema(let schema):
            var random = SeededRandom(seed: Self.seed(input.prompt, "response_format", input.messages.count))
            return ScriptReply(SchemaInstance.generate(schema, random: &random).jsonText)
        }
    }

    /// `The get_weather tool returned: 15 degrees` (several results joined with "; ").
    static func reportText(_ results: [(name: String, text: String)]) -> String {
        results.map { result in
            let text = result.text.count > 500 ? String(result.text.prefix(500)) + "..." : result.text
            return result.name.isEmpty ? "The tool returned: \(text)" : "The \(result.name) tool returned: \(text)"
        }.joined(separator: "; ")
    }

    /// The tool whose name and description share the most words with the prompt (the first
    /// offered on a tie): "weather in Paris?" picks `get_weather`.
    static func closestTool(to prompt: String, in tools: [ToolOffer.Tool]) -> ToolOffer.Tool {
        let asked = Set(words(prompt))
        var best = tools[0]
        var bestScore = 0
        for tool in tools {
            let offered = Set(words(tool.name) + words(tool.description))
            let score = asked.intersection(offered).count
            if score > bestScore {
                best = tool
                bestScore = score
            }
        }
        return best
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
