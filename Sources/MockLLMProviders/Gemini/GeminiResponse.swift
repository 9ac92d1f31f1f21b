import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// One part of a Gemini reply: a piece of text or a function call.
enum GeminiPart {
    case text(Substring)
    case call(ToolCall)

    /// The plan's parts in order: its text, or its blocks (empty texts left out) when it calls
    /// functions.
    static func parts(of plan: ChatPlan) -> [GeminiPart] {
        guard !plan.blocks.isEmpty else { return [.text(Substring(plan.text))] }
        return plan.blocks.compactMap { block in
            switch block {
            case .text(let text): text.isEmpty ? nil : .text(Substring(text))
            case .toolCall(let call): .call(call)
            }
        }
    }

    /// `{"text": "..."}` or `{"functionCall": {"name": "...","args": {...}}}` (with the
    /// scripted `id` when there is one).
    func write(into out: inout ByteBuffer) {
        switch self {
        case .text(let text):
            out.append(ascii: "{\"text\": ")
            out.append(jsonString: text)
            out.append(UInt8(ascii: "}"))
        case .call(let call):
            out.append(ascii: "{\"functionCall\": {")
            if let id = call.id {
                out.append(ascii: "\"id\": ")
                out.append(jsonString: id)
                out.append(UInt8(ascii: ","))
            }
            out.append(ascii: "\"name\": ")
            out.append(jsonString: call.name)
            out.append(ascii: ",\"args\": ")
            out.append(utf8: call.arguments)
            out.append(ascii: "}}")
        }
    }

    /// Tokens this part adds to `candidatesTokenCount`.
    var tokens: Int {
        switch self {
        case .text(let text): TokenEstimator.count(String(text))
        case .call(let call): TokenEstimator.count(call.name) + TokenEstimator.count(call.arguments)
        }
    }
}

/// Writes `GenerateContentResponse`s of one reply, spaced as Google writes them (`"key": value`
/// members separated by a bare comma): the whole reply, or one chunk of a stream.
///
/// Vertex AI (`createTime` set) sends the same message with its own members: the content's
/// `role` before its `parts`, no `index` for the first candidate, `trafficType` and
/// `candidatesTokensDetails` in the usage (and only `trafficType` in a stream's chunks before
/// the last), then `modelVersion`, `createTime` and `responseId`.
struct GeminiResponse {
    let model: String
    let responseID: String
    let promptTokens: Int
    /// Vertex AI's `createTime` (RFC 3339 with microseconds); nil for the Developer API.
    var createTime: String? = nil

    /// `STOP` (also after function calls and at a stop sequence) or `MAX_TOKENS`.
    static func finishReason(_ finish: ChatPlan.Finish) -> String {
        finish == .maxTokens ? "MAX_TOKENS" : "STOP"
    }

    /// `{"candidates": [...],"usageMetadata": {...},"modelVersion": "...","responseId": "..."}`
    /// with `candidates` copies of the candidate (`index` 0, 1, ...). `outputTokens` nil: a
    /// Vertex stream chunk before the last, whose usage is only its `trafficType`.
    func write(parts: some Sequence<GeminiPart>, finishReason: String?, candidates: Int = 1, outputTokens: Int?, into out: inout ByteBuffer) {
        let vertex = createTime != nil
        out.append(ascii: "{\"candidates\": [")
        for index in 0..<candidates {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: vertex ? "{\"content\": {\"role\": \"model\",\"parts\": [" : "{\"content\": {\"parts\": [")
            // A flag, not `enumerated()`: Swift 6.3's optimiser crashed (an OSSA lifetime check)
            // on the enumerated iterator of the stream's CollectionOfOne across modules.
            var first = true
            for part in parts {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                part.write(into: &out)
            }
            out.append(ascii: vertex ? "]}" : "],\"role\": \"model\"}")
            if let finishReason {
                out.append(ascii: ",\"finishReason\": ")
                out.append(jsonString: finishReason)
            }
            if !vertex || index > 0 {  // Vertex leaves out a zero index, as proto3 JSON does
                out.append(ascii: ",\"index\": ")
                out.append(decimal: index)
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "],\"usageMetadata\": ")
        if let outputTokens {
            Self.writeUsage(prompt: promptTokens, output: outputTokens, vertex: vertex, into: &out)
        } else {
            out.append(ascii: "{\"trafficType\": \"ON_DEMAND\"}")
        }
        out.append(ascii: ",\"modelVersion\": ")
        out.append(jsonString: model)
        if let createTime {
            out.append(ascii: ",\"createTime\": ")
            out.append(jsonString: createTime)
        }
        out.append(ascii: ",\"responseId\": ")
        out.append(jsonString: responseID)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"promptTokenCount": P,"candidatesTokenCount": C,"totalTokenCount": P+C,`
    /// `"promptTokensDetails": [{"modality": "TEXT","tokenCount": P}]}`; Vertex AI's has
    /// `"trafficType": "ON_DEMAND"` after the total and the candidates' details after the prompt's.
    static func writeUsage(prompt: Int, output: Int, vertex: Bool = false, into out: inout ByteBuffer) {
        out.append(ascii: "{\"promptTokenCount\": ")
        out.append(decimal: prompt)
        out.append(ascii: ",\"candidatesTokenCount\": ")
        out.append(decimal: output)
        out.append(ascii: ",\"totalTokenCount\": ")
        out.append(decimal: prompt + output)
        if vertex { out.append(ascii: ",\"trafficType\": \"ON_DEMAND\"") }
        out.append(ascii: ",\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": ")
        out.append(decimal: prompt)
        out.append(ascii: "}]")
        if vertex {
            out.append(ascii: ",\"candidatesTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": ")
            out.append(decimal: output)
            out.append(ascii: "}]")
        }
        out.append(UInt8(ascii: "}"))
    }
}
