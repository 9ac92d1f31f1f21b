import MockLLMCore
import MockLLMScript

/// Ollama's model endpoints, from the registry's `provider: ollama` models: `GET /api/tags`
/// (the "pulled" models), `POST /api/show`, `GET /api/ps` (every model counts as loaded: the
/// mock is always warm), `GET /api/version`, and `GET /` ("Ollama is running").
extension Ollama {
    /// Ollama's models the registry starts from, as if pulled: ids with their tags (a name without
    /// a tag means `:latest`, as Ollama resolves it); `OllamaCatalog` has their details.
    static let defaultModels: [ModelInfo] = [
        ModelInfo(id: "llama3.2:latest", aliases: ["llama3.2"], displayName: "Llama 3.2 3B",
                  contextWindow: 131_072, maxOutputTokens: 131_072, created: 1_727_222_400),
        ModelInfo(id: "llama3.1:8b", displayName: "Llama 3.1 8B",
                  contextWindow: 131_072, maxOutputTokens: 131_072, created: 1_721_692_800),
        ModelInfo(id: "qwen2.5:latest", aliases: ["qwen2.5"], displayName: "Qwen2.5 7B",
                  contextWindow: 32_768, maxOutputTokens: 32_768, created: 1_726_704_000),
        ModelInfo(id: "mistral:latest", aliases: ["mistral"], displayName: "Mistral 7B",
                  contextWindow: 32_768, maxOutputTokens: 32_768, created: 1_716_336_000),
        ModelInfo(id: "gemma3:latest", aliases: ["gemma3"], displayName: "Gemma 3 4B",
                  contextWindow: 131_072, maxOutputTokens: 131_072, created: 1_741_737_600),
        // Ollama's embedding models (`/api/embed`): the context is what one input may hold.
        ModelInfo(id: "nomic-embed-text:latest", aliases: ["nomic-embed-text"], displayName: "Nomic Embed Text v1.5",
                  contextWindow: 2_048, maxOutputTokens: 2_048, created: 1_707_955_200),
        ModelInfo(id: "mxbai-embed-large:latest", aliases: ["mxbai-embed-large"], displayName: "mxbai-embed-large 335M",
                  contextWindow: 512, maxOutputTokens: 512, created: 1_709_856_000),
    ]

    /// The Ollama release whose API this provider answers as.
    static let ollamaVersion = "0.32.15"

    static func root(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        Reply(status: 200, headers: HTTPFields([.init(name: "content-type", value: "text/plain; charset=utf-8")]),
              body: .bytes(ByteBuffer("Ollama is running"), delay: 0))
    }

    static func version(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        json(ByteBuffer("{\"version\":\"\(ollamaVersion)\"}"), context)
    }

    /// `{"models":[{"name","model","modified_at","size","digest","details":{..},"capabilities":[..]}]}`
    static func tags(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let models = context.script.models.models(of: metadata.name)
        var out = ByteBuffer(capacity: 64 + models.count * 400)
        out.append(ascii: "{\"models\":[")
        for (i, model) in models.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let entry = OllamaCatalog.entry(for: model)
            writeNames(model, into: &out)
            out.append(ascii: ",\"modified_at\":")
            out.append(jsonString: OllamaCatalog.modifiedAt(model))
            out.append(ascii: ",\"size\":")
            out.append(decimal: entry.size)
            out.append(ascii: ",\"digest\":")
            out.append(jsonString: OllamaCatalog.digest(of: model))
            out.append(ascii: ",\"details\":")
            entry.writeDetails(contextLength: model.contextWindow, into: &out)
            out.append(ascii: ",\"capabilities\":")
            out.append(jsonStrings: entry.capabilities)
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "]}")
        return json(out, context)
    }

    /// `{"models":[{"name","model","size","digest","details","expires_at","size_vram","context_length"}]}`,
    /// each model loaded fully in VRAM until five minutes from now, with Ollama's default context.
    static func ps(_ http: HTTPRequest, _ context: inout ProviderContext) -> Reply {
        let models = context.script.models.models(of: metadata.name)
        var out = ByteBuffer(capacity: 64 + models.count * 400)
        out.append(ascii: "{\"models\":[")
        for (i, model) in models.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let entry = OllamaCatalog.entry(for: model)
            writeNames(model, into: &out)
            out.append(ascii: ",\"size\":")
            out.append(decimal: entry.size)
            out.append(ascii: ",\"digest\":")
            out.append(jsonString: OllamaCatalog.digest(of: model))
            out.append(ascii: ",\"details\":")
            entry.writeDetails(contextLength: nil, into: &out)
            out.append(ascii: ",\"expires_at\":")
            out.append(jsonString: OllamaTiming.timestamp(seconds: context.now + 300, plus: 0))
            out.append(ascii: ",\"size_vram\":")
            out.append(decimal: entry.size)
            out.append(ascii: ",\"context_length\":4096}")
        }
        out.append(ascii: "]}")
        return json(out, context)
    }

    /// `POST /api/show {"model"}`: the modelfile, parameters, template, details, `model_info`
    /// (GGUF metadata, keys sorted as Go sorts a map's), capabilities and `modified_at`. A model
    /// the registry does not know is shown with made-up details, or refused (404) with
    /// `settings.strict_models`.
    static func show(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        guard !http.body.isEmpty else { return errorReply(OllamaErrors.bad("missing request body"), requestID: requestID) }
        let name: String = try decodeBody(http, requestID: requestID, wording: OllamaShowWording.self) { (body) throws(FieldProblem) -> String in
            let model = try body.value("model").flatMap { (v) throws(FieldProblem) in try OllamaOptions.typed(v, "ShowRequest", "model", "string") { $0.string } }
            let legacy = try body.value("name").flatMap { (v) throws(FieldProblem) in try OllamaOptions.typed(v, "ShowRequest", "name", "string") { $0.string } }
            return model.flatMap { $0.isEmpty ? nil : $0 } ?? legacy ?? ""
        }
        guard !name.isEmpty else { return errorReply(OllamaErrors.bad("model is required"), requestID: requestID) }
        guard let model = OllamaCatalog.model(named: name, in: context.script) else {
            return errorReply(OllamaErrors.modelNotFound(name.contains(":") ? name : name + ":latest"), requestID: requestID)
        }
        let entry = OllamaCatalog.entry(for: model)
        var out = ByteBuffer(capacity: 2048)
        out.append(ascii: "{\"modelfile\":")
        out.append(jsonString: modelfile(model, entry))
        out.append(ascii: ",\"parameters\":")
        out.append(jsonString: entry.stops.map { "stop" + String(repeating: " ", count: 27) + "\"\($0)\"" }.joined(separator: "\n"))
        out.append(ascii: ",\"template\":")
        out.append(jsonString: entry.templateText)
        out.append(ascii: ",\"details\":")
        entry.writeDetails(contextLength: nil, into: &out)
        out.append(ascii: ",\"model_info\":{")
        let info: [(String, String)] = [
            ("general.architecture", "\"\(entry.family)\""), ("general.file_type", "15"),
            ("general.parameter_count", String(entry.parameterCount)), ("general.quantization_version", "2"),
            ("\(entry.family).block_count", String(entry.blockCount)),
            ("\(entry.family).context_length", String(model.contextWindow)),
            ("\(entry.family).embedding_length", String(entry.embeddingLength)),
        ].sorted { $0.0 < $1.0 }
        for (i, (key, value)) in info.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(jsonString: key)
            out.append(UInt8(ascii: ":"))
            out.append(utf8: value)
        }
        out.append(ascii: "},\"capabilities\":")
        out.append(jsonStrings: entry.capabilities)
        out.append(ascii: ",\"modified_at\":")
        out.append(jsonString: OllamaCatalog.modifiedAt(model))
        out.append(UInt8(ascii: "}"))
        return json(out, context)
    }

    /// As `ollama show --modelfile` prints it.
    private static func modelfile(_ model: ModelInfo, _ entry: OllamaCatalog) -> String {
        var text = "# Modelfile generated by \"ollama show\"\n# To build a new Modelfile based on this, replace FROM with:\n"
        text += "# FROM \(model.id)\n\nFROM /root/.ollama/models/blobs/sha256-\(OllamaCatalog.digest(of: model))\n"
        text += "TEMPLATE \"\"\"\(entry.templateText)\"\"\"\n"
        for stop in entry.stops { text += "PARAMETER stop \(stop)\n" }
        return text
    }

    /// `"name":..,"model":..` (both the full name with its tag).
    private static func writeNames(_ model: ModelInfo, into out: inout ByteBuffer) {
        out.append(ascii: "{\"name\":")
        out.append(jsonString: model.id)
        out.append(ascii: ",\"model\":")
        out.append(jsonString: model.id)
    }

    static func json(_ body: ByteBuffer, _ context: ProviderContext) -> Reply {
        Reply(status: 200, headers: HTTPFields([.init(name: "content-type", value: OllamaErrors.contentType),
                                                .init(name: OllamaErrors.requestIDHeader, value: context.requestID)]),
              body: .bytes(body, delay: 0))
    }
}
