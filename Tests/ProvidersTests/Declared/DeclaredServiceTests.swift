import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// A provider declared in the script, served through the application as a client sees it.
@Suite("Declared providers, served")
struct DeclaredServiceTests {
    static let yaml = """
        responses:
          hello: Hello! How can I help you today?
        providers:
          - name: mycompany
            description: MyCompany LLM Provider
            models: [mycompany-model-1, mycompany-model-2]
            request_id_header: x-mycompany-request
            endpoints:
              - path: /v1/mycompany/chat
                prompt: $.messages
                model: $.model
                stream: $.stream
                max_tokens: $.limit
                reply: '{"id":{{id}},"model":{{model}},"response":{{text}},"usage":[{{prompt_tokens}},{{completion_tokens}},{{total_tokens}}],"stop":{{finish_reason}}}'
                stream_start: "event: start\\ndata: {{id}}\\n\\n"
                stream_chunk: "data: {\\"i\\":{{index}},\\"delta\\":{{chunk}}}\\n\\n"
                stream_end: "data: [DONE]\\n\\n"
              - path: /v1/mycompany/{model}/complete
                prompt: $.input
                reply: '{{text.raw}}'
                content_type: text/plain
        rules:
          - match: {provider: mycompany, prompt: {contains: weather}, model: mycompany-model-2}
            reply: Sunny.
        """

    static func app(_ yaml: String = yaml) throws -> Application {
        let loaded = try ScriptLoader.parse(yaml: yaml, file: "declared.yml", providers: providerCatalog)
        return Application(script: loaded.script, seed: 7)
    }

    static func post(_ app: Application, _ path: String, _ body: String, headers: [(String, String)] = []) -> Reply {
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(name: name, value: value) }
        return app.reply(to: HTTPRequest(method: "POST", target: path, headers: fields, body: Array(body.utf8)))
    }

    @Test func theOriginalsMyCompanyRequestIsAnsweredFromTheScript() throws {
        let app = try Self.app()
        let reply = Self.post(app, "/v1/mycompany/chat", #"{"model":"mycompany-model-1","messages":[{"role":"user","content":"hello"}]}"#)
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        #expect(reply.headers["x-mycompany-request"]?.hasPrefix("req_") == true)
        #expect(reply.headers["x-mockllm-rule"] == "responses")
        let body = try ReplyJSON.parse(reply.bodyBytes.description)
        #expect(ReplyJSON.at(body, "response") == .string("Hello! How can I help you today?"))
        #expect(ReplyJSON.at(body, "model") == .string("mycompany-model-1"))
        #expect(ReplyJSON.at(body, "stop") == .string("stop"))
        #expect(ReplyJSON.at(body, "id")?.stringValue.map { ReplyJSON.isUUIDID($0) } == true)
        let usage = (ReplyJSON.at(body, "usage")?.arrayValue ?? []).map { (value: JSONValue) -> Double in
            if case .number(let n) = value { n } else { -1 }
        }
        #expect(usage.count == 3 && usage[0] > 0 && usage[1] > 0 && usage[2] == usage[0] + usage[1], "\(usage)")
    }

    @Test func rulesSeeTheProviderTheModelAndTheConversation() throws {
        let app = try Self.app()
        let asked = #"{"model":"mycompany-model-2","messages":["earlier","weather?"]}"#
        #expect(Self.post(app, "/v1/mycompany/chat", asked).bodyBytes.description.contains(#""response":"Sunny.""#))
        let other = #"{"model":"mycompany-model-1","messages":["weather?"]}"#
        #expect(!Self.post(app, "/v1/mycompany/chat", other).bodyBytes.description.contains("Sunny"))
    }

    @Test func aStreamIsItsStartOneEventPerChunkAndItsEnd() throws {
        let app = try Self.app()
        let reply = Self.post(app, "/v1/mycompany/chat", #"{"messages":[{"role":"user","content":"hello"}],"stream":true}"#)
        #expect(reply.headers["content-type"] == "text/event-stream")
        let texts = reply.streamTexts
        #expect(texts.count == 1 + "Hello! How can I help you today?".count + 1)
        #expect(texts.first?.hasPrefix("event: start\ndata: \"mock-") == true)
        #expect(texts[1] == "data: {\"i\":0,\"delta\":\"H\"}\n\n")
        #expect(texts[2] == "data: {\"i\":1,\"delta\":\"e\"}\n\n")
        #expect(texts.last == "data: [DONE]\n\n")
    }

    @Test func maxTokensCutsTheReplyAndSaysSo() throws {
        let app = try Self.app()
        let reply = Self.post(app, "/v1/mycompany/chat", #"{"messages":["hello"],"limit":2}"#)
        let body = try ReplyJSON.parse(reply.bodyBytes.description)
        #expect(ReplyJSON.at(body, "stop") == .string("length"))
        #expect(ReplyJSON.at(body, "response")?.stringValue == "Hello!")
    }

    @Test func rawTemplatesAndPathParametersWork() throws {
        let app = try Self.app()
        let reply = Self.post(app, "/v1/mycompany/any-model/complete", #"{"input":"hello"}"#)
        #expect(reply.status == 200 && reply.headers["content-type"] == "text/plain")
        #expect(reply.bodyBytes.description == "Hello! How can I help you today?")
    }

    @Test(arguments: [
        ("{", 400, "We could not parse the JSON body of your request"),
        (#"{"model":"x"}"#, 400, "Missing required parameter: '$.messages'."),
        (#"{"messages":5}"#, 400, "Invalid type for '$.messages': expected a string or an array, but got a number instead."),
        (#"{"messages":[{"role":"system","content":"x"}]}"#, 400, "Invalid '$.messages': expected a string, a list of strings"),
        (#"{"messages":["hi"],"stream":"yes"}"#, 400, "Invalid type for '$.stream': expected a boolean, but got a string instead."),
        (#"{"messages":["hi"],"limit":0}"#, 400, "Invalid '$.limit': expected an integer of 1 or more."),
    ])
    func badRequestsGetTheProvidersErrorBody(body: String, status: Int, message: String) throws {
        let app = try Self.app()
        let reply = Self.post(app, "/v1/mycompany/chat", body)
        #expect(reply.status == status)
        let error = try ReplyJSON.parse(reply.bodyBytes.description)
        #expect(ReplyJSON.at(error, "error", "message")?.stringValue?.hasPrefix(message) == true, "\(reply.bodyBytes)")
        #expect(reply.headers["x-mycompany-request"] != nil)
    }

    @Test func faultsAndTheErrorTemplateApply() throws {
        let app = try Self.app(Self.yaml.replacingOccurrences(
            of: "    request_id_header: x-mycompany-request\n",
            with: "    request_id_header: x-mycompany-request\n    error: '{\"failure\":{{message}},\"status\":{{status}}}'\n"))
        let refused = Self.post(app, "/v1/mycompany/chat", #"{"messages":["hello"]}"#, headers: [("x-mockllm-fault", "503")])
        #expect(refused.status == 503)
        #expect(refused.bodyBytes.description.hasPrefix(#"{"failure":"#) && refused.bodyBytes.description.hasSuffix(#","status":503}"#))
        let cut = Self.post(app, "/v1/mycompany/chat", #"{"messages":["hello"],"stream":true}"#, headers: [("x-mockllm-fault", "error:2")])
        let texts = cut.streamTexts
        #expect(texts.count == 2 + 1, "after two events (the start and one chunk), the error: \(texts)")
        #expect(texts.last?.hasPrefix(#"data: {"failure":"#) == true)
    }

    @Test func aReloadServesTheProvidersOfTheNewScript() throws {
        let app = try Self.app()
        #expect(Self.post(app, "/v1/mycompany/chat", #"{"messages":["hello"]}"#).status == 200)
        let renamed = Self.yaml.replacingOccurrences(of: "/v1/mycompany/chat", with: "/v2/chat")
        app.script = try ScriptLoader.parse(yaml: renamed, file: "declared.yml", providers: providerCatalog).script
        #expect(Self.post(app, "/v1/mycompany/chat", #"{"messages":["hello"]}"#).status == 404)
        #expect(Self.post(app, "/v2/chat", #"{"messages":["hello"]}"#).status == 200)
        let listing = app.reply(to: HTTPRequest(method: "GET", target: "/providers")).bodyBytes.description
        #expect(listing.contains(#""path":"/v2/chat""#) && !listing.contains("/v1/mycompany/chat"))
        app.script = Script()
        #expect(Self.post(app, "/v2/chat", #"{"messages":["hello"]}"#).status == 404)
    }

    @Test func itsModelsAndItAreListed() throws {
        let app = try Self.app()
        let models = try ReplyJSON.parse(app.reply(to: HTTPRequest(method: "GET", target: "/models")).bodyBytes.description)
        #expect(ReplyJSON.at(models, "by_provider", "mycompany") == .array([.string("mycompany-model-1"), .string("mycompany-model-2")]))
        let providers = try ReplyJSON.parse(app.reply(to: HTTPRequest(method: "GET", target: "/providers")).bodyBytes.description)
        #expect(ReplyJSON.at(providers, "mycompany", "description") == .string("MyCompany LLM Provider"))
        #expect(ReplyJSON.at(providers, "mycompany", "capabilities", "streaming") == .bool(true))
    }
}
