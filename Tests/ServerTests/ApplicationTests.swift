@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// A second provider serving OpenAI's chat path, to prove the original's multi-provider
/// routing: on a shared path the registry's owner of the requested model answers.
private enum EchoProvider: Provider {
    static let metadata = ProviderMetadata(
        name: "echo", version: "0.0.1", description: "test",
        endpoints: [Endpoint(method: "POST", path: "/v1/chat/completions", handlerName: "echo") { _, _ in
            Reply.json(200, ByteBuffer(#"{"echo":true}"#))
        }],
        capabilities: Capabilities(streaming: false, functionCalling: false, vision: false))

    static func errorReply(_ error: APIError, requestID: String) -> Reply {
        Reply.json(error.status, ByteBuffer(#"{"echo_error":true}"#))
    }

    static func claims(_ request: HTTPRequest) -> Bool { request.headers.contains("x-echo") }
}

/// A provider that declares only what it must (metadata and its error envelope): everything
/// else is the `Provider` defaults, OpenAI's behaviour.
private enum PlainProvider: Provider {
    static let metadata = ProviderMetadata(
        name: "plain", version: "0.0.1", description: "test",
        endpoints: [Endpoint(method: "POST", path: "/plain", handlerName: "plain") { _, context in
            Reply.json(200, ByteBuffer(#"{"key":"\#(context.clientKey)"}"#))
        }],
        capabilities: Capabilities(streaming: false, functionCalling: false, vision: false))

    static func errorReply(_ error: APIError, requestID: String) -> Reply {
        var out = ByteBuffer()
        out.append(ascii: "{\"plain\":")
        out.append(jsonString: error.message)
        out.append(UInt8(ascii: "}"))
        return Reply.json(error.status, out, headers: error.headers)
    }
}

@Suite("Application routing")
struct ApplicationTests {
    func post(_ app: Application, _ path: String, _ body: String, headers: HTTPFields = HTTPFields()) -> Reply {
        app.reply(to: HTTPRequest(method: "POST", target: path, headers: headers, body: Array(body.utf8)))
    }

    @Test func onASharedPathTheModelsOwnerAnswers() throws {
        let script = try ScriptLoader.parse(yaml: "responses: {}\nmodels: [{id: parrot, provider: echo}]", file: "t", providers: ["openai", "echo"]).script
        let app = Application(script: script, seed: 1, providers: [OpenAIChat.self, EchoProvider.self])
        let parrot = post(app, "/v1/chat/completions", #"{"model":"parrot","messages":[{"role":"user","content":"x"}]}"#)
        #expect(parrot.bodyBytes.description == #"{"echo":true}"#)
        let gpt = post(app, "/v1/chat/completions", #"{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}"#)
        #expect(gpt.bodyBytes.description.contains("chat.completion"))
        let unknown = post(app, "/v1/chat/completions", #"{"model":"who","messages":[{"role":"user","content":"x"}]}"#)
        #expect(unknown.bodyBytes.description.contains("chat.completion"), "the first provider in the table is the default")
        let claimed = post(app, "/v1/chat/completions", #"{"model":"gpt-4o","messages":[]}"#, headers: HTTPFields(["x-echo": "1"]))
        #expect(claimed.bodyBytes.description == #"{"echo":true}"#, "a provider that claims the request by its headers wins")
    }

    @Test func modelListingsTakeTheShapeOfTheClientsProtocol() {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        let openAI = app.reply(to: HTTPRequest(method: "GET", target: "/v1/models")).bodyBytes.description
        #expect(openAI.hasPrefix(#"{"object":"list","data":[{"id":"gpt-3.5-turbo","object":"model","created":1677610602,"owned_by":"openai"}"#))
        let anthropic = app.reply(to: HTTPRequest(method: "GET", target: "/v1/models?limit=1",
                                                  headers: HTTPFields(["anthropic-version": "2023-06-01"]))).bodyBytes.description
        #expect(anthropic.hasPrefix(#"{"data":[{"type":"model","id":"claude-haiku-4-5-20251001","display_name":"Claude Haiku 4.5","created_at":"2025-10-01T00:00:00Z""#))
        #expect(anthropic.hasSuffix(#""has_more":true,"first_id":"claude-haiku-4-5-20251001","last_id":"claude-haiku-4-5-20251001"}"#))
    }

    @Test func anthropicModelPagesFollowTheirCursors() {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        func page(_ query: String) -> String {
            app.reply(to: HTTPRequest(method: "GET", target: "/v1/models?\(query)", headers: HTTPFields(["anthropic-version": "x"]))).bodyBytes.description
        }
        #expect(page("limit=2&after_id=claude-sonnet-4-5-20250929").contains(#""first_id":"claude-3-5-sonnet-20241022","last_id":"claude-3-haiku-20240307""#))
        #expect(page("limit=1&before_id=claude-sonnet-4-5-20250929").contains(#""first_id":"claude-haiku-4-5-20251001","last_id":"claude-haiku-4-5-20251001""#))
        #expect(page("limit=0").contains("invalid_request_error"))
        #expect(page("after_id=nope").contains("not_found_error"))
    }

    @Test func retrievingAModelResolvesAliasesAndRefusesUnknownOnesInEachShape() {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        #expect(app.reply(to: HTTPRequest(method: "GET", target: "/v1/models/turbo")).bodyBytes.description
            == #"{"id":"gpt-3.5-turbo","object":"model","created":1677610602,"owned_by":"openai"}"#)
        let missing = app.reply(to: HTTPRequest(method: "GET", target: "/v1/models/nope"))
        #expect(missing.status == 404)
        #expect(missing.bodyBytes.description.contains(#""param":"model","code":"model_not_found""#))
        let anthropic = app.reply(to: HTTPRequest(method: "GET", target: "/v1/models/nope", headers: HTTPFields(["anthropic-version": "x"])))
        #expect(anthropic.bodyBytes.description.contains(#""type":"not_found_error","message":"model: nope""#))
    }

    @Test func introspectionIsGeneratedFromTheTableAndRegistry() {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        let providers = app.reply(to: HTTPRequest(method: "GET", target: "/providers")).bodyBytes.description
        #expect(providers.contains(#""anthropic":{"version":"1.0.0","description":"Anthropic Messages API provider","endpoints":[{"path":"/v1/messages","method":"POST","handler":"handle_chat_completion"}"#))
        let models = app.reply(to: HTTPRequest(method: "GET", target: "/models")).bodyBytes.description
        #expect(models.contains(#""by_provider":{"openai":["gpt-3.5-turbo""#))
        #expect(models.contains(#""sonnet":"claude-3-sonnet-20240229""#))
    }

    @Test func errorsForUnknownPathsTakeTheShapeOfTheClient() {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        let plain = app.reply(to: HTTPRequest(method: "GET", target: "/v1/nothing")).bodyBytes.description
        #expect(plain.hasPrefix(#"{"error":{"message":"Invalid URL (GET /v1/nothing)""#))
        let anthropic = app.reply(to: HTTPRequest(method: "GET", target: "/v1/nothing", headers: HTTPFields(["anthropic-version": "x"])))
        #expect(anthropic.bodyBytes.description.hasPrefix(#"{"type":"error","error":{"type":"not_found_error""#))
        let messagesPath = app.reply(to: HTTPRequest(method: "GET", target: "/v1/messages"))
        #expect(messagesPath.status == 405)
        #expect(messagesPath.headers["allow"] == "POST, OPTIONS")
        #expect(messagesPath.bodyBytes.description.hasPrefix(#"{"type":"error""#))
    }

    @Test func corsPreflightAndHeaders() {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        let preflight = app.reply(to: HTTPRequest(method: "OPTIONS", target: "/v1/chat/completions", headers: HTTPFields([
            "origin": "http://localhost:3000", "access-control-request-method": "POST", "access-control-request-headers": "content-type, authorization",
        ])))
        #expect(preflight.status == 204)
        #expect(preflight.headers["access-control-allow-origin"] == "http://localhost:3000")
        #expect(preflight.headers["access-control-allow-methods"] == "POST, OPTIONS")
        #expect(preflight.headers["access-control-allow-headers"] == "content-type, authorization")
        let health = app.reply(to: HTTPRequest(method: "GET", target: "/health", headers: HTTPFields(["origin": "http://x"])))
        #expect(health.headers["access-control-allow-origin"] == "http://x")
        #expect(app.reply(to: HTTPRequest(method: "GET", target: "/health")).headers["access-control-allow-origin"] == nil)
        #expect(app.reply(to: HTTPRequest(method: "OPTIONS", target: "/nowhere")).status == 404)
    }

    @Test func strictModelsInOpenAIShape() {
        let app = Application(script: Script(models: .builtIn, strictModels: true), seed: 1)
        let unknown = post(app, "/v1/chat/completions", #"{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}"#)
        #expect(unknown.status == 404)
        #expect(unknown.bodyBytes.description == #"{"error":{"message":"The model `gpt-9` does not exist or you do not have access to it.","type":"invalid_request_error","param":null,"code":"model_not_found"}}"#)
        let tooMany = post(app, "/v1/chat/completions", #"{"model":"turbo","max_tokens":5000,"messages":[{"role":"user","content":"x"}]}"#)
        #expect(tooMany.status == 400)
        #expect(tooMany.bodyBytes.description.contains(#""param":"max_tokens","code":"invalid_value""#))
        #expect(post(app, "/v1/chat/completions", #"{"model":"turbo","messages":[{"role":"user","content":"x"}]}"#).status == 200)
        #expect(unknown.headers["x-request-id"]?.hasPrefix("req_") == true)
    }

    @Test func aProviderThatDeclaresNoKeyWaysTakesABearerKeyAndRefusesInOpenAIsWords() {
        let app = Application(script: Script(models: .builtIn), seed: 1, providers: [PlainProvider.self])
        #expect(app.router.keySources == [.bearer])
        #expect(post(app, "/plain", "{}", headers: HTTPFields(["authorization": "Bearer sk-1"])).bodyBytes.description == #"{"key":"sk-1"}"#)
        #expect(post(app, "/plain", "{}", headers: HTTPFields(["x-api-key": "sk-2"])).bodyBytes.description == #"{"key":""}"#,
                "another provider's way counts only when that provider is served")
        app.apiKey = APIKeyCheck("sk-1")
        #expect(post(app, "/plain", "{}", headers: HTTPFields(["authorization": "Bearer sk-1"])).status == 200)
        let missing = post(app, "/plain", "{}")
        #expect(missing.status == 401)
        #expect(missing.bodyBytes.description.hasPrefix(#"{"plain":"You didn't provide an API key."#))
        let wrong = post(app, "/plain", "{}", headers: HTTPFields(["authorization": "Bearer sk-2"]))
        #expect(wrong.status == 401)
        #expect(wrong.bodyBytes.description.hasPrefix(#"{"plain":"Incorrect API key provided."#))
    }

    /// What a provider described by data would be: a value made without a `Provider` type.
    @Test func aProviderMadeOfValuesIsServedLikeATypesOne() {
        let metadata = ProviderMetadata(
            name: "data", version: "0", description: "made of values",
            endpoints: [Endpoint(method: "POST", path: "/data/{model}", handlerName: "data") { _, context in
                Reply.json(200, ByteBuffer(#"{"model":"\#(context.pathParameters["model"] ?? "")","key":"\#(context.clientKey)"}"#))
            }],
            capabilities: Capabilities(streaming: false, functionCalling: false, vision: false),
            models: [ModelInfo(id: "d-1", contextWindow: 10, maxOutputTokens: 10, created: 0)])
        let served = ServedProvider(
            metadata: metadata, apiKeySources: [.header("api-key")], stateTypes: [], claims: { _ in false },
            errorReply: { error, _ in Reply.json(error.status, ByteBuffer(#"{"oops":"\#(error.message)"}"#)) },
            keyRefusal: { given in APIError(status: 401, kind: .authentication, message: given ? "wrong" : "none") })
        let app = Application(script: Script(models: ModelRegistry(ProviderCatalog([served]).models)), seed: 1, serving: [served])
        #expect(post(app, "/data/d-1", "{}", headers: HTTPFields(["api-key": "k"])).bodyBytes.description == #"{"model":"d-1","key":"k"}"#)
        #expect(app.reply(to: HTTPRequest(method: "GET", target: "/models")).bodyBytes.description
            == #"{"models":["d-1"],"by_provider":{"data":["d-1"]},"aliases":{}}"#)
        app.apiKey = APIKeyCheck("k")
        #expect(post(app, "/data/d-1", "{}", headers: HTTPFields(["api-key": "k"])).status == 200)
        #expect(post(app, "/data/d-1", "{}").bodyBytes.description == #"{"oops":"none"}"#)
        #expect(post(app, "/nowhere", "{}").bodyBytes.description == #"{"oops":"Invalid URL (POST /nowhere)"}"#)
    }
}
