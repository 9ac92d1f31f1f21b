import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// An `InvokeModel` body of Meta Llama (`prompt`, `max_gen_len`, `temperature`, `top_p`), Amazon
/// Titan Text (`inputText`, `textGenerationConfig`: `maxTokenCount`, `stopSequences`, ...), Mistral
/// (`prompt`, `max_tokens`, `stop`, ...) or Amazon Nova (`schemaVersion: messages-v1`, Converse's
/// `messages` and `system`, `inferenceConfig` with `max_new_tokens`).
struct BedrockInvokeRequest {
    var prompt: String
    var messages: [ChatMessage]
    var maxTokens: Int?
    var stopSequences: [String] = []

    init(_ body: RequestFields, family: Bedrock.Family, model: String) throws(FieldProblem) {
        switch family {
        case .llama:
            let raw = try body.string("prompt", required: true)!
            prompt = Self.lastTurn(raw, open: "<|start_header_id|>user<|end_header_id|>", close: "<|eot_id|>")
            maxTokens = try body.integer("max_gen_len")
        case .mistral:
            let raw = try body.string("prompt", required: true)!
            prompt = Self.lastTurn(raw, open: "[INST]", close: "[/INST]")
            maxTokens = try body.integer("max_tokens")
            stopSequences = try Self.strings(body, "stop")
        case .titan:
            prompt = try body.string("inputText", required: true)!
            if let config = try body.object("textGenerationConfig") {
                maxTokens = try config.integer("maxTokenCount")
                stopSequences = try Self.strings(config, "stopSequences")
            }
        case .nova, .anthropic:
            let request = try BedrockConverseRequest(body, model: model)
            messages = request.conversation
            guard let last = request.messages.lastUserText else {
                throw .invalidValue(path: "messages", message: "A conversation must start with a user message.", code: "")
            }
            prompt = last
            maxTokens = request.maxTokens
            if maxTokens == nil, let config = try body.object("inferenceConfig") { maxTokens = try config.integer("max_new_tokens") }
            stopSequences = request.stopSequences
            return
        }
        if let tokens = maxTokens, tokens < 1 {
            throw .invalidValue(path: "max_tokens", message: "Malformed input request: #: maximum token count must be at least 1, please reformat your input and try again.", code: "")
        }
        messages = [ChatMessage(role: "user", text: prompt)]
    }

    /// The text of the last user turn of a prompt written in a chat template (between `open` and
    /// `close`), or the whole prompt when it has none.
    static func lastTurn(_ prompt: String, open: String, close: String) -> String {
        guard let start = prompt.ranges(of: open).last else { return prompt }
        let rest = prompt[start.upperBound...]
        let turn = rest[..<(rest.firstRange(of: close)?.lowerBound ?? rest.endIndex)]
        return String(turn.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    private static func strings(_ fields: RequestFields, _ key: StaticString) throws(FieldProblem) -> [String] {
        var out: [String] = []
        for (i, item) in (try fields.array(key) ?? []).enumerated() {
            guard let text = item.string else { throw .wrongType(path: "\(fields.childPath(key))[\(i)]", expected: "a string", found: item.kindDescription) }
            out.append(text)
        }
        return out
    }
}

/// The replies of `BedrockInvokeRequest`'s families: the whole body, and the stream's objects
/// (a start for Nova, one per chunk of text, and the last with the stop reason and
/// `amazon-bedrock-invocationMetrics`).
struct BedrockInvokeWriter: Sendable {
    let family: Bedrock.Family
    let plan: ChatPlan

    /// How the reply ends, in the family's words.
    var stop: String {
        switch (family, plan.finish) {
        case (.titan, .maxTokens): "LENGTH"
        case (.titan, .stopSequence): "STOP_CRITERIA_MET"
        case (.titan, _): "FINISH"
        case (.nova, let finish), (.anthropic, let finish): Bedrock.stopReason(finish)
        case (_, .maxTokens): "length"
        case (_, _): "stop"
        }
    }

    func writeBody(into out: inout ByteBuffer) {
        switch family {
        case .llama:
            out.append(ascii: "{\"generation\":")
            out.append(jsonString: plan.text)
            out.append(ascii: ",\"prompt_token_count\":")
            out.append(decimal: plan.promptTokens)
            out.append(ascii: ",\"generation_token_count\":")
            out.append(decimal: plan.tokens)
            out.append(ascii: ",\"stop_reason\":")
            out.append(jsonString: stop)
            out.append(UInt8(ascii: "}"))
        case .titan:
            out.append(ascii: "{\"inputTextTokenCount\":")
            out.append(decimal: plan.promptTokens)
            out.append(ascii: ",\"results\":[{\"tokenCount\":")
            out.append(decimal: plan.tokens)
            out.append(ascii: ",\"outputText\":")
            out.append(jsonString: plan.text)
            out.append(ascii: ",\"completionReason\":")
            out.append(jsonString: stop)
            out.append(ascii: "}]}")
        case .mistral:
            out.append(ascii: "{\"outputs\":[{\"text\":")
            out.append(jsonString: plan.text)
            out.append(ascii: ",\"stop_reason\":")
            out.append(jsonString: stop)
            out.append(ascii: "}]}")
        case .nova, .anthropic:
            out.append(ascii: "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":")
            out.append(jsonString: plan.text)
            out.append(ascii: "}]}},\"stopReason\":")
            out.append(jsonString: stop)
            out.append(UInt8(ascii: ","))
            Bedrock.writeUsage(plan, into: &out)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Nova's `messageStart`.
    func writeStart(into out: inout ByteBuffer) {
        out.append(ascii: "{\"messageStart\":{\"role\":\"assistant\"}}")
    }

    func writeChunk(_ chunk: Substring, index: Int, into out: inout ByteBuffer) {
        switch family {
        case .llama:
            out.append(ascii: "{\"generation\":")
            out.append(jsonString: chunk)
            out.append(ascii: ",\"prompt_token_count\":")
            if index == 0 { out.append(decimal: plan.promptTokens) } else { out.append(ascii: "null") }
            out.append(ascii: ",\"generation_token_count\":")
            out.append(decimal: index + 1)
            out.append(ascii: ",\"stop_reason\":null}")
        case .titan:
            out.append(ascii: "{\"outputText\":")
            out.append(jsonString: chunk)
            out.append(ascii: ",\"index\":0,\"totalOutputTextTokenCount\":null,\"completionReason\":null,\"inputTextTokenCount\":")
            if index == 0 { out.append(decimal: plan.promptTokens) } else { out.append(ascii: "null") }
            out.append(UInt8(ascii: "}"))
        case .mistral:
            out.append(ascii: "{\"outputs\":[{\"text\":")
            out.append(jsonString: chunk)
            out.append(ascii: ",\"stop_reason\":null}]}")
        case .nova, .anthropic:
            out.append(ascii: "{\"contentBlockDelta\":{\"delta\":{\"text\":")
            out.append(jsonString: chunk)
            out.append(ascii: "},\"contentBlockIndex\":0}}")
        }
    }

    /// The last object: the stop reason (Nova: `messageStop` with the `metadata` usage) and the
    /// invocation metrics.
    func writeEnd(into out: inout ByteBuffer) {
        switch family {
        case .llama:
            out.append(ascii: "{\"generation\":\"\",\"prompt_token_count\":null,\"generation_token_count\":")
            out.append(decimal: plan.tokens)
            out.append(ascii: ",\"stop_reason\":")
            out.append(jsonString: stop)
        case .titan:
            out.append(ascii: "{\"outputText\":\"\",\"index\":0,\"totalOutputTextTokenCount\":")
            out.append(decimal: plan.tokens)
            out.append(ascii: ",\"completionReason\":")
            out.append(jsonString: stop)
            out.append(ascii: ",\"inputTextTokenCount\":null")
        case .mistral:
            out.append(ascii: "{\"outputs\":[{\"text\":\"\",\"stop_reason\":")
            out.append(jsonString: stop)
            out.append(ascii: "}]")
        case .nova, .anthropic:
            out.append(ascii: "{\"messageStop\":{\"stopReason\":")
            out.append(jsonString: stop)
            out.append(ascii: "},\"metadata\":{")
            Bedrock.writeUsage(plan, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: ","))
        Self.writeInvocationMetrics(plan, into: &out)
        out.append(UInt8(ascii: "}"))
    }

    /// `"amazon-bedrock-invocationMetrics":{"inputTokenCount":N,"outputTokenCount":N,"invocationLatency":MS,"firstByteLatency":MS}`
    static func writeInvocationMetrics(_ plan: ChatPlan, into out: inout ByteBuffer) {
        out.append(ascii: "\"amazon-bedrock-invocationMetrics\":{\"inputTokenCount\":")
        out.append(decimal: plan.promptTokens)
        out.append(ascii: ",\"outputTokenCount\":")
        out.append(decimal: plan.tokens)
        out.append(ascii: ",\"invocationLatency\":")
        out.append(decimal: Bedrock.latencyMilliseconds(plan))
        out.append(ascii: ",\"firstByteLatency\":")
        var schedule = plan.schedule  // a copy: the time to the first chunk, as the stream would wait it
        out.append(decimal: Int(schedule.delay(before: "") / 1_000_000))
        out.append(UInt8(ascii: "}"))
    }
}
