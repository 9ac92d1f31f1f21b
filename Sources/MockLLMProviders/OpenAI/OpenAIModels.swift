import MockLLMCore
import MockLLMScript
import MockLLMSimulation

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
        // The Realtime API's (GET /v1/realtime?model=...).
        ModelInfo(id: "gpt-realtime", aliases: ["gpt-realtime-2025-08-28"], displayName: "gpt-realtime",
                  contextWindow: 32_000, maxOutputTokens: 4_096, created: 1_756_271_701),
        ModelInfo(id: "gpt-realtime-mini", aliases: ["gpt-realtime-mini-2025-10-06"], displayName: "gpt-realtime-mini",
                  contextWindow: 32_000, maxOutputTokens: 4_096, created: 1_759_517_133),
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
    /// serving engine (`engine:`) is a vLLM twin's, in vLLM's `ModelCard` shape: `owned_by`
    /// `vllm`, `root` (the served path: an adapter's `lora_path`, else its id), `parent` (an
    /// adapter's base model, else null: what a router listing adapters reads), `max_model_len`
    /// and one `permission`. The extra fields are vLLM's only: OpenAI's models keep OpenAI's
    /// exact shape (the openai SDK would accept either: its models allow extras).
    private static func write(_ model: ModelInfo, into out: inout ByteBuffer) {
        out.append(ascii: "{\"id\":")
        out.append(jsonString: model.id)
        out.append(ascii: ",\"object\":\"model\",\"created\":")
        out.append(decimal: model.created)
        out.append(ascii: ",\"owned_by\":")
        guard model.engine != nil else {
            out.append(jsonString: model.provider)
            out.append(UInt8(ascii: "}"))
            return
        }
        out.append(ascii: "\"vllm\",\"root\":")
        out.append(jsonString: model.loraPath ?? model.id)
        out.append(ascii: ",\"parent\":")
        if let parent = model.parent { out.append(jsonString: parent) } else { out.append(ascii: "null") }
        out.append(ascii: ",\"max_model_len\":")
        out.append(decimal: model.contextWindow)
        // vLLM's `ModelPermission` defaults; the id is derived from the model's so listings are stable.
        out.append(ascii: ",\"permission\":[{\"id\":\"modelperm-")
        out.append(hex: Int(truncatingIfNeeded: EmbeddingVector.hash(text: model.id) & 0xFFFF_FFFF_FFFF))
        out.append(ascii: "\",\"object\":\"model_permission\",\"created\":")
        out.append(decimal: model.created)
        out.append(ascii: ",\"allow_create_engine\":false,\"allow_sampling\":true,\"allow_logprobs\":true,")
        out.append(ascii: "\"allow_search_indices\":false,\"allow_view\":true,\"allow_fine_tuning\":false,\"organization\":\"*\",")
        out.append(ascii: "\"group\":null,\"is_blocking\":false}]}")
    }
}
