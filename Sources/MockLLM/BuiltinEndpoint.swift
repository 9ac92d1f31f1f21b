import MockLLMCore
import MockLLMHTTPServer
import MockLLMProviders
import MockLLMScript

/// The server's own endpoints, beside the providers': health, introspection, statistics and
/// Prometheus metrics.
/// Paths the server reserves for itself live under `/_mockllm/`.
struct BuiltinEndpoint: Sendable {
    let method: String
    let path: String
    /// Under `--admin-token`, the token may also come as `?token=` (the dashboard page, which a
    /// browser opens without a header).
    var tokenInQuery = false
    /// The reply, from the request and the application answering it (its script, its stats).
    let reply: @Sendable (HTTPRequest, Application) -> Reply

    init(method: String, path: String, tokenInQuery: Bool = false, reply: @escaping @Sendable (HTTPRequest, Application) -> Reply) {
        self.method = method
        self.path = path
        self.tokenInQuery = tokenInQuery
        self.reply = reply
    }

    static func all(providers: [ServedProvider]) -> [BuiltinEndpoint] {
        let health = Introspection.health
        return [
            BuiltinEndpoint(method: "GET", path: "/health") { _, _ in Reply.json(200, health) },
            BuiltinEndpoint(method: "GET", path: "/models") { _, app in
                Reply.json(200, Introspection.models(providers, app.servedScript.models))
            },
            BuiltinEndpoint(method: "GET", path: "/providers") { _, app in
                Reply.json(200, Introspection.providers(providers, app.servedScript.models))
            },
            BuiltinEndpoint(method: "GET", path: "/_mockllm/stats") { _, app in
                let (stats, perWorker) = app.statistics?() ?? (LoopServer.Stats(), [LoopServer.Stats()])
                return Reply.json(200, StatsReport.json(stats, perWorker: perWorker))
            },
            BuiltinEndpoint(method: "GET", path: "/metrics") { _, app in
                app.metrics.scrape(stats: app.statistics?().merged ?? LoopServer.Stats(), registry: app.script.models)
            },
        ] + VLLMEndpoints.endpoints + FaultsAdmin.endpoints + ScopeAdmin.endpoints + Dashboard.endpoints + LoRAAdmin.endpoints
    }
}

/// Bodies of the introspection endpoints, generated from the provider table and the model
/// registry (so they can never disagree with what is served) in the original's shapes.
package enum Introspection {
    static let health = ByteBuffer(#"{"status":"ok"}"#)

    /// `{"models":[...],"by_provider":{"openai":[...],...},"aliases":{"turbo":"gpt-3.5-turbo",...}}`
    /// (the original's shape, plus `aliases`).
    static func models(_ providers: [ServedProvider], _ registry: ModelRegistry) -> ByteBuffer {
        var out = ByteBuffer()
        out.append(ascii: "{\"models\":")
        out.append(jsonStrings: registry.models.map(\.id))
        out.append(ascii: ",\"by_provider\":{")
        for (i, provider) in providers.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(jsonString: provider.metadata.name)
            out.append(UInt8(ascii: ":"))
            out.append(jsonStrings: provider.metadata.servedModels(in: registry).map(\.id))
        }
        out.append(ascii: "},\"aliases\":{")
        var first = true
        for model in registry.models {
            for alias in model.aliases {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                out.append(jsonString: alias)
                out.append(UInt8(ascii: ":"))
                out.append(jsonString: model.id)
            }
        }
        out.append(ascii: "}}")
        return out
    }

    /// `{"openai":{"version":..,"description":..,"endpoints":[{"path","method","handler"}],"models":[..],"capabilities":{..}}}`
    static func providers(_ providers: [ServedProvider], _ registry: ModelRegistry) -> ByteBuffer {
        var out = ByteBuffer()
        out.append(UInt8(ascii: "{"))
        for (i, provider) in providers.enumerated() {
            let m = provider.metadata
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(jsonString: m.name)
            out.append(ascii: ":{\"version\":")
            out.append(jsonString: m.version)
            out.append(ascii: ",\"description\":")
            out.append(jsonString: m.description)
            out.append(ascii: ",\"endpoints\":[")
            for (k, endpoint) in m.endpoints.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                out.append(ascii: "{\"path\":")
                out.append(jsonString: endpoint.path)
                out.append(ascii: ",\"method\":")
                out.append(jsonString: endpoint.method)
                out.append(ascii: ",\"handler\":")
                out.append(jsonString: endpoint.handlerName)
                out.append(UInt8(ascii: "}"))
            }
            out.append(ascii: "],\"models\":")
            out.append(jsonStrings: m.servedModels(in: registry).map(\.id))
            out.append(ascii: ",\"capabilities\":{\"streaming\":")
            out.append(jsonBool: m.capabilities.streaming)
            out.append(ascii: ",\"function_calling\":")
            out.append(jsonBool: m.capabilities.functionCalling)
            out.append(ascii: ",\"vision\":")
            out.append(jsonBool: m.capabilities.vision)
            out.append(ascii: "}}")
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
