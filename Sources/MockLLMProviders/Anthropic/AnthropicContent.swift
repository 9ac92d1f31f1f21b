import MockLLMCore
import MockLLMSimulation

/// A content block of a Messages reply: text, or a `tool_use` with its id and its input as
/// JSON object text.
enum AnthropicBlock {
    case text(String)
    case toolUse(id: String, name: String, input: String)

    /// The plan's blocks in order (empty texts left out; at least one block), with an id for
    /// every call that has none (`toolu_01` and 22 letters and digits, as the API's; Bedrock's
    /// Converse: `tooluse_` and 22).
    static func blocks(of plan: ChatPlan, random: inout SeededRandom, idPrefix: String = "toolu_01") -> [AnthropicBlock] {
        guard !plan.blocks.isEmpty else { return [.text(plan.text)] }
        var blocks: [AnthropicBlock] = []
        for block in plan.blocks {
            switch block {
            case .text(let text):
                if !text.isEmpty { blocks.append(.text(text)) }
            case .toolCall(let call):
                let id = call.id ?? random.alphanumericString(prefix: idPrefix, count: 22)
                blocks.append(.toolUse(id: id, name: call.name, input: call.arguments))
            }
        }
        return blocks
    }

    /// The block as the non-stream message has it.
    func write(into out: inout ByteBuffer) {
        switch self {
        case .text(let text):
            out.append(ascii: "{\"type\":\"text\",\"text\":")
            out.append(jsonString: text)
            out.append(UInt8(ascii: "}"))
        case .toolUse(let id, let name, let input):
            writeToolUse(id: id, name: name, input: input, into: &out)
        }
    }

    /// The block as `content_block_start` opens it: empty text, or the call with `"input":{}`.
    func writeStart(into out: inout ByteBuffer) {
        switch self {
        case .text:
            out.append(ascii: "{\"type\":\"text\",\"text\":\"\"}")
        case .toolUse(let id, let name, _):
            writeToolUse(id: id, name: name, input: "{}", into: &out)
        }
    }

    private func writeToolUse(id: String, name: String, input: String, into out: inout ByteBuffer) {
        out.append(ascii: "{\"type\":\"tool_use\",\"id\":")
        out.append(jsonString: id)
        out.append(ascii: ",\"name\":")
        out.append(jsonString: name)
        out.append(ascii: ",\"input\":")
        out.append(utf8: input)
        out.append(UInt8(ascii: "}"))
    }
}
