import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// Vertex AI's two protocols over real sockets: Gemini's event stream and Claude's
/// `rawPredict` under project paths, in the journal with their providers and path models,
/// faults by header, a test scope's path prefix and `--api-key` checking the bearer token.
@Suite("Vertex AI over real sockets", .serialized)
struct VertexEndToEndTests {
    static let gemini = "/v1beta1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.0-flash-001"
    static let claude = "/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-3-haiku@20240307"
    static let geminiBody = #"{"contents":[{"role":"user","parts":[{"text":"ping"}]}]}"#
    static let claudeBody = #"{"anthropic_version":"vertex-2023-10-16","max_tokens":50,"messages":[{"role":"user","content":"ping"}]}"#
    static let script = Script(responses: ["ping": "pong"])

    func post(_ server: TestServer, _ target: String, _ body: String, headers: [(String, String)] = []) throws -> TestResponse {
        try server.request("POST", target, headers: [("Authorization", "Bearer ya29.token")] + headers, body: body)
    }

    @Test func bothProtocolsAnswerAndAreJournaledAsVertex() throws {
        try withServer(script: Self.script) { server in
            let stream = try post(server, Self.gemini + ":streamGenerateContent?alt=sse", Self.geminiBody)
            #expect(stream.status == 200)
            #expect(stream.header("content-type") == "text/event-stream; charset=utf-8")
            let events = stream.chunks.map { String(decoding: $0, as: UTF8.self) }
            #expect(events.count == 4 && events.allSatisfy { $0.hasPrefix("data: {") && $0.hasSuffix("}\r\n\r\n") })
            #expect(events.last?.contains(#""finishReason": "STOP""#) == true)
            #expect(events.last?.contains(#""createTime": ""#) == true)

            let message = try post(server, Self.claude + ":rawPredict", Self.claudeBody)
            #expect(message.status == 200)
            let json = try message.json()
            #expect((json["content"] as? [[String: Any]])?.first?["text"] as? String == "pong")
            #expect(json["model"] as? String == "claude-3-haiku@20240307")

            let journal = try server.request("GET", "/_mockllm/requests").json()
            let entries = try #require(journal["requests"] as? [[String: Any]])
            #expect(entries.map { $0["provider"] as? String } == ["vertex", "vertex-anthropic"])
            #expect(entries.map { $0["model"] as? String } == ["gemini-2.0-flash-001", "claude-3-haiku@20240307"])
            #expect(entries.map { $0["stream"] as? Bool } == [true, false])
        }
    }

    @Test func aMidStreamFaultIsEachProtocolsErrorEvent() throws {
        try withServer(script: Self.script) { server in
            let gemini = try post(server, Self.gemini + ":streamGenerateContent?alt=sse", Self.geminiBody,
                                  headers: [("x-mockllm-fault", "error:2")])
            let geminiEvents = gemini.chunks.map { String(decoding: $0, as: UTF8.self) }
            #expect(geminiEvents.count == 3)
            #expect(geminiEvents.last?.hasPrefix(#"data: {"error": {"code": 500,"#) == true)

            let streamBody = Self.claudeBody.replacingOccurrences(of: "\"max_tokens\"", with: "\"stream\":true,\"max_tokens\"")
            let claude = try post(server, Self.claude + ":streamRawPredict", streamBody, headers: [("x-mockllm-fault", "error:2")])
            let claudeEvents = claude.chunks.map { String(decoding: $0, as: UTF8.self) }
            #expect(claudeEvents.count == 3)
            #expect(claudeEvents.last?.hasPrefix("event: error\ndata: {\"type\":\"error\"") == true)
        }
    }

    @Test func aTestScopesPrefixCarriesTheProjectPath() throws {
        try withServer(script: Self.script) { server in
            let scoped = try post(server, "/t/vertex_case" + Self.gemini + ":generateContent", Self.geminiBody)
            #expect(scoped.status == 200)
            #expect(scoped.text.contains(#""text": "pong""#))
            let journal = try server.request("GET", "/_mockllm/requests?test=vertex_case").json()
            #expect((journal["requests"] as? [[String: Any]])?.map { $0["provider"] as? String } == ["vertex"])
        }
    }

    @Test func introspectionListsTheVendorsModelsUnderVertex() throws {
        let script = try ScriptLoader.parse(yaml: "responses: {ping: pong}\n", file: "v.yml", providers: providerCatalog).script
        try withServer(script: script) { server in
            let providers = try server.request("GET", "/providers").json()
            let vertex = try #require(providers["vertex"] as? [String: Any])
            #expect((vertex["models"] as? [String])?.contains("gemini-2.0-flash") == true)
            #expect((vertex["endpoints"] as? [[String: Any]])?.contains { $0["path"] as? String
                == "/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:generateContent" } == true)
            let models = try #require(server.request("GET", "/models").json()["by_provider"] as? [String: [String]])
            #expect(models["vertex-anthropic"]?.contains("claude-3-5-sonnet-20241022") == true)
            #expect(models["vertex-anthropic"] == models["anthropic"])
        }
    }

    @Test func theAPIKeyIsTheBearerTokenOrExpressModesKey() throws {
        let key = "ya29.the-token"
        let server = try TestServer(script: Self.script) { $0.apiKey = key }
        defer { #expect(server.stop() == 0) }
        let missing = try server.request("POST", Self.gemini + ":generateContent", body: Self.geminiBody)
        #expect(missing.status == 401)
        let error = try #require(missing.json()["error"] as? [String: Any])
        #expect(error["status"] as? String == "UNAUTHENTICATED")
        #expect((error["message"] as? String)?.hasPrefix("Request is missing required authentication credential.") == true)
        let wrong = try post(server, Self.claude + ":rawPredict", Self.claudeBody)
        #expect(wrong.status == 401)
        #expect((try wrong.json()["error"] as? [String: Any])?["status"] as? String == "UNAUTHENTICATED")
        #expect(try server.request("POST", Self.claude + ":rawPredict", headers: [("Authorization", "Bearer \(key)")],
                                   body: Self.claudeBody).status == 200)
        #expect(try server.request("POST", "/v1/publishers/google/models/gemini-2.5-flash:generateContent",
                                   headers: [("x-goog-api-key", key)], body: Self.geminiBody).status == 200)
    }
}
