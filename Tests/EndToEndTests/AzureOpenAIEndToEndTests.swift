import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// Azure OpenAI's paths over real sockets: the router, `--api-key` with `api-key` or a bearer
/// token, a stream with its content-filter chunks, per-deployment limits, the journal and the
/// listings.
@Suite("Azure OpenAI over real sockets")
struct AzureOpenAIEndToEndTests {
    static let key = "azure-key-0123"
    static let yaml = """
        responses: {ping: pong}
        deployments:
          prod-chat: {model: gpt-4o, tokens_per_minute: 1000, requests_per_minute: 2}
        """

    func server(apiKey: String? = nil) throws -> TestServer {
        let script = try ScriptLoader.parse(yaml: Self.yaml, file: "azure.yml", providers: providerCatalog).script
        return try TestServer(script: script) { $0.apiKey = apiKey }
    }

    let chat = #"{"model":"x","max_tokens":20,"messages":[{"role":"user","content":"ping"}]}"#
    let path = "/openai/deployments/prod-chat/chat/completions?api-version=2024-10-21"

    @Test func theKeyMayComeAsAPIKeyOrABearerTokenAndIsRefusedInAzuresWords() throws {
        let server = try server(apiKey: Self.key)
        defer { #expect(server.stop() == 0) }
        let missing = try server.request("POST", path, body: chat)
        #expect(missing.status == 401)
        #expect(try missing.json()["error"] as? [String: String]
            == ["code": "401", "message": "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."])
        let wrong = try server.request("POST", path, headers: [("api-key", "nope")], body: chat)
        #expect(wrong.status == 401)
        #expect((try wrong.json()["error"] as? [String: String])?["code"] == "401")
        #expect(try server.request("POST", path, headers: [("api-key", Self.key)], body: chat).status == 200)
        #expect(try server.request("POST", "/openai/v1/chat/completions", headers: [("Authorization", "Bearer \(Self.key)")],
                                   body: #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping"}]}"#).status == 200)
    }

    @Test func aStreamSendsThePromptsFilterResultsFirstAndTheJournalSeesAzure() throws {
        let server = try server()
        defer { #expect(server.stop() == 0) }
        let stream = try server.request("POST", path, body: #"{"model":"x","max_tokens":20,"stream":true,"messages":[{"role":"user","content":"ping"}]}"#)
        #expect(stream.status == 200)
        #expect(stream.header("content-type") == "text/event-stream; charset=utf-8")
        #expect(stream.header("x-ratelimit-remaining-requests") == "1")
        let events = stream.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(events.first?.hasPrefix(#"data: {"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"#) == true)
        #expect(events.dropFirst().first?.contains(#""model":"gpt-4o""#) == true)
        #expect(events.last == "data: [DONE]")
        let journal = try server.request("GET", "/_mockllm/requests")
        let entries = try #require(try journal.json()["requests"] as? [[String: Any]])
        let azure = try #require(entries.first { $0["provider"] as? String == "azure" })
        // The journal names the deployment the path names; the reply, the model it serves.
        #expect(azure["model"] as? String == "prod-chat")
    }

    @Test func aDeploymentOverItsRequestsPerMinuteGetsAzures429() throws {
        let server = try server()
        defer { #expect(server.stop() == 0) }
        #expect(try server.request("POST", path, body: chat).status == 200)
        #expect(try server.request("POST", path, body: chat).status == 200)
        let refused = try server.request("POST", path, body: chat)
        #expect(refused.status == 429)
        #expect(refused.header("retry-after") != nil)
        #expect(refused.header("retry-after-ms") != nil)
        #expect(refused.header("x-ratelimit-remaining-requests") == "0")
        #expect(((try refused.json()["error"] as? [String: String])?["message"])?.contains("exceeded call rate limit") == true)
    }

    @Test func aTestScopeHasItsOwnDeploymentWindows() throws {
        let server = try server()
        defer { #expect(server.stop() == 0) }
        for _ in 0..<2 { #expect(try server.request("POST", path, body: chat).status == 200) }
        #expect(try server.request("POST", path, body: chat).status == 429)
        // The same deployment under /t/ID/ counts in the scope's own windows.
        let scoped = try server.request("POST", "/t/azure-scope" + path, body: chat)
        #expect(scoped.status == 200)
        #expect(scoped.header("x-ratelimit-remaining-requests") == "1")
        let journal = try server.request("GET", "/_mockllm/requests?test=azure-scope")
        let entries = try #require(try journal.json()["requests"] as? [[String: Any]])
        #expect(entries.count == 1)
        #expect(entries.first?["provider"] as? String == "azure")
    }

    @Test func missingVersionsUnknownPathsAndTheListings() throws {
        let server = try server()
        defer { #expect(server.stop() == 0) }
        let unversioned = try server.request("POST", "/openai/deployments/prod-chat/chat/completions", body: chat)
        #expect(unversioned.status == 404)
        #expect(try unversioned.json()["error"] as? [String: String] == ["code": "404", "message": "Resource not found"])
        let providers = try server.request("GET", "/providers").text
        #expect(providers.contains(#""azure""#))
        #expect(providers.contains("/openai/deployments/{deployment}/chat/completions"))
        let models = try server.request("GET", "/models").text
        #expect(models.contains("gpt-35-turbo"))
    }
}
