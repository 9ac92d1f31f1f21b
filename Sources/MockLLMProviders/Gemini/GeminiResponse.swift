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
struct GeminiResponse {
    let model: String
    let responseID: String
    let promptTokens: Int

    /// `STOP` (also after function calls and at a stop sequence) or `MAX_TOKENS`.
    static func finishReason(_ finish: ChatPlan.Finish) -> String {
        finish == .maxTokens ? "MAX_TOKENS" : "STOP"
    }

    /// `{"candidates": [...],"usageMetadata": {...},"modelVersion": "...","responseId": "..."}`
    /// with `candidates` copies of the candidate (`index` 0, 1, ...).
    func write(parts: some Sequence<GeminiPart>, finishReason: String?, candidates: Int = 1, outputTokens: Int, into out: inout ByteBuffer) {
        out.append(ascii: "{\"candidates\": [")
        for index in 0..<candidates {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"content\": {\"parts\": [")
            // A flag, not `enumerated()`: Swift 6.3's optimiser crashed (an OSSA lifetime check)
            // on the enumerated iterator of the stream's CollectionOfOne across modules.
            var first = true
            for part in parts {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                part.write(into: &out)
            }
            out.append(ascii: "],\"role\": \"model\"}")
            if let finishReason {
                out.append(ascii: ",\"finishReason\": ")
                out.append(jsonString: finishReason)
            }
            out.append(ascii: ",\"index\": ")
            out.append(decimal: index)
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "],\"usageMetadata\": ")
        Self.writeUsage(prompt: promptTokens, output: outputTokens, into: &out)
        out.append(ascii: ",\"modelVersion\": ")
        out.append(jsonString: model)
        out.append(ascii: ",\"responseId\": ")
        out.append(jsonString: responseID)
        out.append(UInt8(ascii: "}"))
    }

    /// `{"promptTokenCount": P,"candidatesTokenCount": C,"totalTokenCount": P+C,`
    /// `"promptTokensDetails": [{"modality": "TEXT","tokenCount": P}]}`
    static func writeUsage(prompt: Int, output: Int, into out: inout ByteBuffer) {
        out.append(ascii: "{\"promptTokenCount\": ")
        out.append(decimal: prompt)
        out.append(ascii: ",\"candidatesTokenCount\": ")
        out.append(decimal: output)
        out.append(ascii: ",\"totalTokenCount\": ")
        out.append(decimal: prompt + output)
        out.append(ascii: ",\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": ")
        out.append(decimal: prompt)
        out.append(ascii: "}]}")
    }
}
