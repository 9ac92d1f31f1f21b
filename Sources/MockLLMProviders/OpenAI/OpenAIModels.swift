import MockLLMCore
import MockLLMScript

/// OpenAI's model listing: `GET /v1/models` (every model of the registry, built-in and from
/// the script) and `GET /v1/models/{model}` (a name or an alias).
extension OpenAIChat {
    /// OpenAI's models the registry starts from: the original mockllm's (names, aliases, context
    /// windows), plus current ones.
    static let defaultModels: [ModelInfo] = [
        ModelInfo(id: "gpt-3.5-turbo", aliases: ["gpt-3.5", "turbo"], displayName: "GPT-3.5 Turbo",
                  contextWindow: 4_096, maxOutputTokens: 4_096, created: 1_677_610_602),
        ModelInfo(id: "gpt-4", aliases: ["gpt-4-0613"], displayName: "GPT-4",
                  contextWindow: 8_192, maxOutputTokens: 8_192, created: 1_687_882_411),
        ModelInfo(id: "gpt-4-turbo", aliases: ["gpt-4-turbo-preview", "gpt-4-1106"], displayName: "GPT-4 Turbo",
                  contextWindow: 128_000, maxOutputTokens: 4_096, created: 1_712_361_441),
        ModelInfo(id: "gpt-4o", displayName: "GPT-4o",
                  contextWindow: 128_000, maxOutputTokens: 16_384, created: 1_715_367_049),
        ModelInfo(id: "gpt-4o-mini", displayName: "GPT-4o mini",
                  contextWindow: 128_000, maxOutputTokens: 16_384, created: 1_721_172_741),
        ModelInfo(id: "gpt-4.1", displayName: "GPT-4.1",
                  contextWindow: 1_047_576, maxOutputTokens: 32_768, created: 1_744_316_542),
        ModelInfo(id: "gpt-4.1-mini", displayName: "GPT-4.1 mini",
                  contextWindow: 1_047_576, maxOutputTokens: 32_768, created: 1_744_318_173),
    ]

    static func listModels(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        var out = ByteBuffer(capacity: 1024)
        out.append(ascii: "{\"object\":\"list\",\"data\":[")
        for (i, model) in context.script.models.models.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            write(model, into: &out)
        }
        out.append(ascii: "]}")
        return Reply.json(200, out).adding(header: OpenAIErrors.requestIDHeader, context.requestID)
    }

    static func retrieveModel(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let name = context.pathParameters["model"] ?? ""
        guard let model = context.script.models.resolve(name) else {
            var error = OpenAIErrors.modelNotFound(name)
            error.param = "model"
            return errorReply(error, requestID: context.requestID)
        }
        var out = ByteBuffer()
        write(model, into: &out)
        return Reply.json(200, out).adding(header: OpenAIErrors.requestIDHeader, context.requestID)
    }

    /// `{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"openai"}`; a model on a
    /// serving engine also has vLLM's `root` (its path: an adapter's `lora_path`, else its id)
    /// and `parent` (an adapter's base model, else null), as a router listing adapters reads them.
    private static func write(_ model: ModelInfo, into out: inout ByteBuffer) {
        out.append(ascii: "{\"id\":")
        out.append(jsonString: model.id)
        out.append(ascii: ",\"object\":\"model\",\"created\":")
        out.append(decimal: model.created)
        out.append(ascii: ",\"owned_by\":")
        out.append(jsonString: model.provider)
        if model.engine != nil {
            out.append(ascii: ",\"root\":")
            out.append(jsonString: model.loraPath ?? model.id)
            out.append(ascii: ",\"parent\":")
            if let parent = model.parent { out.append(jsonString: parent) } else { out.append(ascii: "null") }
        }
        out.append(UInt8(ascii: "}"))
    }
}
