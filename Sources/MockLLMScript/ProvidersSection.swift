import MockLLMCore
import Yams

/// A provider the script declares: a wire protocol this project does not speak, described by
/// data (an in-house gateway, a vendor's API). Its endpoints are answered like every other
/// chat endpoint: rules, pacing, faults, quotas and the journal apply.
package struct DeclaredProvider: Sendable, Equatable {
    package var name: String
    package var version: String
    package var description: String
    /// Model ids served by this provider (added to the registry as its models).
    package var models: [String]
    package var endpoints: [DeclaredEndpoint]
    /// The error body (`{{status}}`, `{{message}}`, `{{type}}`, `{{code}}`).
    package var error: BodyTemplate
    /// The header that carries the request id in replies (`x-request-id` unless declared).
    package var requestIDHeader: String

    /// The error body when the script gives none: OpenAI's envelope.
    package static let defaultError = #"{"error":{"message":{{message}},"type":{{type}},"param":{{param}},"code":{{code}}}}"#
}

/// One endpoint of a declared provider: where a request's fields are, and how replies look.
package struct DeclaredEndpoint: Sendable, Equatable {
    package var method: String
    /// A literal path; `{name}` segments match any one segment.
    package var path: String
    /// The prompt: a string, a list of strings (the last), or a list of messages with `role`
    /// and `content` (the last user message's).
    package var prompt: JSONPath
    package var model: JSONPath?
    /// A boolean: stream the reply when true.
    package var stream: JSONPath?
    package var maxTokens: JSONPath?
    package var reply: BodyTemplate
    package var contentType: String
    /// Each stream event (`{{chunk}}`, `{{index}}` and the reply's names); nil: the endpoint
    /// does not stream.
    package var streamChunk: BodyTemplate?
    /// Written before the first chunk and after the last one.
    package var streamStart: BodyTemplate?
    package var streamEnd: BodyTemplate?
    package var streamContentType: String
}

/// The script's `providers:` section.
///
/// ```yaml
/// providers:
///   - name: mycompany
///     version: 1.0.0
///     description: MyCompany LLM Provider
///     models: [mycompany-model-1, mycompany-model-2]
///     endpoints:
///       - path: /v1/mycompany/chat
///         prompt: $.messages[-1].content
///         model: $.model
///         stream: $.stream
///         reply: '{"response": {{text}}}'
///         stream_chunk: "data: {\"delta\": {{chunk}}}\n\n"
///         stream_end: "data: [DONE]\n\n"
/// ```
enum ProvidersSection {
    static let keys = ["name", "version", "description", "models", "endpoints", "error", "request_id_header"]
    static let endpointKeys = ["path", "method", "prompt", "model", "stream", "max_tokens", "reply", "content_type",
                               "stream_chunk", "stream_start", "stream_end", "stream_content_type"]
    /// Paths the server answers itself.
    static let reservedPaths = ["/health", "/metrics", "/models", "/providers"]

    /// - Parameter builtIn: the names of the providers compiled in (a declared one may not take one).
    static func read(_ node: Node, builtIn: [String]?, reader: inout ScriptReader) -> [DeclaredProvider] {
        guard case .sequence(let entries) = node else {
            reader.error("'providers' must be a list of providers, found \(reader.describe(node))", at: node)
            return []
        }
        var providers: [DeclaredProvider] = []
        var routes: Set<String> = []
        for (i, entry) in entries.enumerated() {
            let what = "providers[\(i)]"
            guard let mapping = reader.mapping(entry, "'\(what)'") else { continue }
            reader.checkKeys(mapping, known: keys, in: "'\(what)'")
            guard let nameNode = mapping["name"] else {
                reader.error("'\(what)' needs a 'name'", at: entry)
                continue
            }
            guard let name = reader.text(nameNode, "'\(what).name'") else { continue }
            if name.isEmpty || !name.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == "_") }) {
                reader.error("'\(what).name' must be lower-case letters, digits, '-' or '_', found '\(name)'", at: nameNode)
                continue
            }
            if builtIn?.contains(name) == true {
                reader.error("'\(what).name': '\(name)' is a built-in provider", at: nameNode)
                continue
            }
            if providers.contains(where: { $0.name == name }) {
                reader.error("two providers are named '\(name)'", at: nameNode)
                continue
            }
            let version = mapping["version"].flatMap { reader.text($0, "'\(what).version'") } ?? "1.0.0"
            let description = mapping["description"].flatMap { reader.text($0, "'\(what).description'") } ?? "\(name) (declared in the script)"
            var models: [String] = []
            if let node = mapping["models"] {
                if case .sequence(let items) = node {
                    models = items.compactMap { reader.text($0, "a model in '\(what).models'") }
                } else {
                    reader.error("'\(what).models' must be a list of model ids, found \(reader.describe(node))", at: node)
                }
            }
            var error = (try? BodyTemplate(DeclaredProvider.defaultError, names: BodyTemplate.errorNames))!
            if let node = mapping["error"], let text = reader.text(node, "'\(what).error'") {
                error = template(text, names: BodyTemplate.errorNames, "'\(what).error'", node, &reader) ?? error
            }
            let requestIDHeader = mapping["request_id_header"].flatMap { reader.text($0, "'\(what).request_id_header'") }
            var endpoints: [DeclaredEndpoint] = []
            if let node = mapping["endpoints"], case .sequence(let items) = node, !items.isEmpty {
                for (k, item) in items.enumerated() {
                    if let endpoint = readEndpoint(item, what: "\(what).endpoints[\(k)]", reader: &reader) {
                        let route = "\(endpoint.method) \(endpoint.path)"
                        if routes.contains(route) {
                            reader.error("'\(what).endpoints[\(k)]': \(route) is declared twice", at: item)
                            continue
                        }
                        routes.insert(route)
                        endpoints.append(endpoint)
                    }
                }
            } else {
                reader.error("'\(what)' needs 'endpoints', a list of at least one endpoint", at: mapping["endpoints"] ?? entry)
                continue
            }
            providers.append(DeclaredProvider(name: name, version: version, description: description, models: models,
                                              endpoints: endpoints, error: error, requestIDHeader: requestIDHeader?.lowercased() ?? "x-request-id"))
        }
        return providers
    }

    private static func readEndpoint(_ node: Node, what: String, reader: inout ScriptReader) -> DeclaredEndpoint? {
        guard let mapping = reader.mapping(node, "'\(what)'") else { return nil }
        reader.checkKeys(mapping, known: endpointKeys, in: "'\(what)'")
        guard let pathNode = mapping["path"], let path = reader.text(pathNode, "'\(what).path'") else {
            if mapping["path"] == nil { reader.error("'\(what)' needs a 'path'", at: node) }
            return nil
        }
        guard path.hasPrefix("/"), !path.contains("?"), !path.contains("#") else {
            reader.error("'\(what).path' must start with '/' and hold no query, found '\(path)'", at: pathNode)
            return nil
        }
        if path.hasPrefix("/_mockllm/") || reservedPaths.contains(path) {
            reader.error("'\(what).path': \(path) is the server's own endpoint", at: pathNode)
            return nil
        }
        var method = "POST"
        if let node = mapping["method"], let text = reader.text(node, "'\(what).method'") {
            method = text.uppercased()
            guard ["POST", "PUT", "GET"].contains(method) else {
                reader.error("'\(what).method' must be POST, PUT or GET, found '\(text)'", at: node)
                return nil
            }
        }
        guard let promptNode = mapping["prompt"] else {
            reader.error("'\(what)' needs 'prompt', the JSON path of the prompt in the request body (e.g. $.prompt)", at: node)
            return nil
        }
        guard let prompt = jsonPath(promptNode, "'\(what).prompt'", &reader) else { return nil }
        let model = mapping["model"].flatMap { jsonPath($0, "'\(what).model'", &reader) }
        let stream = mapping["stream"].flatMap { jsonPath($0, "'\(what).stream'", &reader) }
        let maxTokens = mapping["max_tokens"].flatMap { jsonPath($0, "'\(what).max_tokens'", &reader) }
        guard let replyNode = mapping["reply"] else {
            reader.error("'\(what)' needs 'reply', the body template of a reply (e.g. '{\"response\": {{text}}}')", at: node)
            return nil
        }
        guard let replyText = reader.text(replyNode, "'\(what).reply'"),
              let reply = template(replyText, names: BodyTemplate.replyNames, "'\(what).reply'", replyNode, &reader)
        else { return nil }
        func optionalTemplate(_ key: String, _ names: [String]) -> BodyTemplate? {
            guard let node = mapping[key], let text = reader.text(node, "'\(what).\(key)'") else { return nil }
            return template(text, names: names, "'\(what).\(key)'", node, &reader)
        }
        let chunk = optionalTemplate("stream_chunk", BodyTemplate.chunkNames)
        let start = optionalTemplate("stream_start", BodyTemplate.replyNames)
        let end = optionalTemplate("stream_end", BodyTemplate.replyNames)
        if chunk == nil, mapping["stream_start"] != nil || mapping["stream_end"] != nil {
            reader.error("'\(what)' has 'stream_start' or 'stream_end' but no 'stream_chunk'", at: node)
        }
        if let chunk, !chunk.uses("chunk") {
            reader.warning("'\(what).stream_chunk' does not use {{chunk}}: its events carry none of the reply", at: mapping["stream_chunk"])
        }
        let contentType = mapping["content_type"].flatMap { reader.text($0, "'\(what).content_type'") } ?? "application/json"
        let streamContentType = mapping["stream_content_type"].flatMap { reader.text($0, "'\(what).stream_content_type'") }
            ?? "text/event-stream"
        return DeclaredEndpoint(method: method, path: path, prompt: prompt, model: model, stream: stream, maxTokens: maxTokens,
                                reply: reply, contentType: contentType, streamChunk: chunk, streamStart: start, streamEnd: end,
                                streamContentType: streamContentType)
    }

    private static func jsonPath(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> JSONPath? {
        guard let text = reader.text(node, what) else { return nil }
        do {
            return try JSONPath(text)
        } catch {
            reader.error("\(what) is not a JSON path (\(error.message), at character \(error.offset + 1) of '\(text)')", at: node)
            return nil
        }
    }

    private static func template(_ text: String, names: [String], _ what: String, _ node: Node, _ reader: inout ScriptReader) -> BodyTemplate? {
        do {
            return try BodyTemplate(text, names: names)
        } catch {
            reader.error("\(what): \(error.message)", at: node)
            return nil
        }
    }
}
