/// One reply of a rule before its placeholders are filled: plain text, or a mapping with text,
/// tool calls (scripted, or `auto`) and JSON, in the order scripted.
package enum ReplyTemplate: Sendable, Equatable {
    case text(Template)
    case rich(blocks: [Block], autoTools: Bool)

    package enum Block: Sendable, Equatable {
        case text(Template)
        /// `json:`: a value written as compact JSON text (no placeholders).
        case json(String)
        case toolCall(ToolCall)
    }

    package func render(_ values: Template.Values) -> ScriptReply {
        switch self {
        case .text(let template):
            return template.render(values)
        case .rich(let blocks, let autoTools):
            let rendered: [ReplyBlock] = blocks.map { block in
                switch block {
                case .text(let template): .text(template.render(values).text)
                case .json(let text): .text(text)
                case .toolCall(let call): .toolCall(call)
                }
            }
            return ScriptReply(blocks: rendered, autoTools: autoTools)
        }
    }
}
