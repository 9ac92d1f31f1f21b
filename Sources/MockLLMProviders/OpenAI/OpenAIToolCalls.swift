import MockLLMCore
import MockLLMScript

/// A non-stream message's tool calls: `,"tool_calls":[{"id","type":"function","function":{"name","arguments"}}]`,
/// or the legacy `,"function_call":{"name","arguments"}` (the first call).
enum OpenAIToolCalls {
    static func write(_ calls: [ToolCall], legacy: Bool, into out: inout ByteBuffer) {
        if legacy, let call = calls.first {
            out.append(ascii: ",\"function_call\":{\"name\":")
            out.append(jsonString: call.name)
            out.append(ascii: ",\"arguments\":")
            out.append(jsonString: call.arguments)
            out.append(UInt8(ascii: "}"))
            return
        }
        out.append(ascii: ",\"tool_calls\":[")
        for (i, call) in calls.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"id\":")
            out.append(jsonString: call.id ?? "")
            out.append(ascii: ",\"type\":\"function\",\"function\":{\"name\":")
            out.append(jsonString: call.name)
            out.append(ascii: ",\"arguments\":")
            out.append(jsonString: call.arguments)
            out.append(ascii: "}}")
        }
        out.append(UInt8(ascii: "]"))
    }
}

extension ToolOffer.Choice {
    var isNamed: Bool {
        if case .named = self { return true }
        return false
    }
}
