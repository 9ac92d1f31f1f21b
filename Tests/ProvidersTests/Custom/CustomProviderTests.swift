@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// A provider written against the public API, as a package outside this one would write it.
struct Echoing: CustomProvider {
    static let name = "echoing"
    static let models = ["echo-1"]
    static let endpoints = [
        CustomEndpoint("POST", "/echo/{channel}") { (request, session) throws(CustomError) -> Reply in
            let body = try request.json()
            guard let prompt = body.objectValue?["say"]?.stringValue else { throw CustomError(status: 422, message: "say what?") }
            let answer = try session.answer(prompt: prompt, model: "echo-1", headers: request)
            if request.header("Accept") == "text/event-stream" {
                return answer.stream(start: "start\n", event: { chunk, i in "\(i):\(chunk)\n" }, end: "end\n")
            }
            return answer.reply(json: .object([
                "channel": .string(request.pathParameters["channel"] ?? ""), "text": .string(answer.text),
                "tokens": .number(Double(answer.completionTokens)), "finish": .string(answer.finishReason),
            ]))
        },
    ]

    static func errorBody(_ error: CustomError) -> JSONValue {
        .object(["oops": .string(error.message), "status": .number(Double(error.status))])
    }
}

@Suite("Custom providers (the public API)")
struct CustomProviderTests {
    static func app() throws -> Application {
        let providers = servedProviders + [ServedProvider(custom: Echoing.self)]
        let script = try ScriptLoader.parse(yaml: "responses:\n  hi: Hello there\n", file: "c.yml",
                                            providers: ProviderCatalog(providers)).script
        return Application(script: script, seed: 3, serving: providers)
    }

    static func post(_ app: Application, _ body: String, accept: String? = nil, fault: String? = nil) -> Reply {
        var headers = HTTPFields()
        if let accept { headers.append(name: "accept", value: accept) }
        if let fault { headers.append(name: "x-mockllm-fault", value: fault) }
        return app.reply(to: HTTPRequest(method: "POST", target: "/echo/general", headers: headers, body: Array(body.utf8)))
    }

    @Test func itAnswersFromTheScriptWithItsOwnShape() throws {
        let reply = Self.post(try Self.app(), #"{"say":"hi"}"#)
        #expect(reply.status == 200 && reply.headers["x-mockllm-rule"] == "responses")
        #expect(reply.bodyBytes.description == #"{"channel":"general","text":"Hello there","tokens":2,"finish":"stop"}"#)
    }

    @Test func itStreamsThroughItsFrames() throws {
        let reply = Self.post(try Self.app(), #"{"say":"hi"}"#, accept: "text/event-stream")
        #expect(reply.streamTexts == ["start\n"] + "Hello there".enumerated().map { "\($0.offset):\($0.element)\n" } + ["end\n"])
    }

    @Test func refusalsAndFaultsUseItsErrorBody() throws {
        let app = try Self.app()
        let refused = Self.post(app, #"{"nothing":1}"#)
        #expect(refused.status == 422 && refused.bodyBytes.description == #"{"oops":"say what?","status":422}"#)
        let notJSON = Self.post(app, "{")
        #expect(notJSON.status == 400 && notJSON.bodyBytes.description.hasPrefix(#"{"oops":"We could not parse"#))
        let fault = Self.post(app, #"{"say":"hi"}"#, fault: "503")
        #expect(fault.status == 503 && fault.bodyBytes.description.hasSuffix(#""status":503}"#))
        #expect(fault.headers["x-request-id"] != nil)
    }

    @Test func itIsListedWithItsModels() throws {
        let app = try Self.app()
        let providers = app.reply(to: HTTPRequest(method: "GET", target: "/providers")).bodyBytes.description
        #expect(providers.contains(#""echoing":{"version":"1.0.0","description":"echoing""#))
        #expect(providers.contains(#""models":["echo-1"]"#))
    }
}
