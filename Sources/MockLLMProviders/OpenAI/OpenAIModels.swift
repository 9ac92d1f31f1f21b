import MockLLMCore
import MockLLMScript

/// OpenAI's model listing: `GET /v1/models` (every model of the registry, built-in and from
/// the script) and `GET /v1/models/{model}` (a name or an alias).
extension OpenAIChat {
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

    /// `{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"openai"}`
    private static func write(_ model: ModelInfo, into out: inout ByteBuffer) {
        out.append(ascii: "{\"id\":")
        out.append(jsonString: model.id)
        out.append(ascii: ",\"object\":\"model\",\"created\":")
        out.append(decimal: model.created)
        out.append(ascii: ",\"owned_by\":")
        out.append(jsonString: model.provider)
        out.append(UInt8(ascii: "}"))
    }
}
