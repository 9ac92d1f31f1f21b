import Foundation
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// `--api-key`: provider endpoints need the key; the server's own endpoints do not.
@Suite("API key over real sockets")
struct APIKeyEndToEndTests {
    static let key = "sk-test-0123456789"

    func exchange(_ server: TestServer, _ mode: Mode, headers: [(String, String)]) throws -> TestResponse {
        let client = try server.client()
        let body = Chat("hello", headers: headers).request(mode)
        try client.send(body)
        return try client.readResponse()
    }

    func withKeyedServer(_ body: (TestServer) throws -> Void) throws {
        let server = try TestServer(script: Script(responses: ["hello": "hi"])) { $0.apiKey = Self.key }
        defer { #expect(server.stop() == 0) }
        try body(server)
    }

    @Test func openAIWithoutOrWithAWrongKeyGets401InOpenAIsShape() throws {
        try withKeyedServer { server in
            let mode = Mode(wire: .openai, stream: false)
            let missing = try exchange(server, mode, headers: [])
            #expect(missing.status == 401)
            let missingError = try #require(missing.json()["error"] as? [String: Any])
            #expect((missingError["message"] as? String)?.hasPrefix("You didn't provide an API key") == true)
            let wrong = try exchange(server, mode, headers: [("Authorization", "Bearer sk-nope")])
            #expect(wrong.status == 401)
            let wrongError = try #require(wrong.json()["error"] as? [String: Any])
            #expect(wrongError["type"] as? String == "invalid_request_error")
            #expect(wrongError["code"] as? String == "invalid_api_key")
            #expect(try exchange(server, mode, headers: [("Authorization", "Bearer \(Self.key)")]).status == 200)
            #expect(try exchange(server, mode, headers: [("authorization", "bearer \(Self.key)")]).status == 200)
        }
    }

    @Test func anthropicWithoutOrWithAWrongKeyGets401InAnthropicsShape() throws {
        try withKeyedServer { server in
            let mode = Mode(wire: .anthropic, stream: true)
            let wrong = try exchange(server, mode, headers: [("x-api-key", "nope")])
            #expect(wrong.status == 401)
            let json = try wrong.json()
            #expect(json["type"] as? String == "error")
            #expect((json["error"] as? [String: Any])?["type"] as? String == "authentication_error")
            #expect(wrong.header("request-id") != nil)
            let ok = try exchange(server, mode, headers: [("x-api-key", Self.key)])
            #expect(ok.status == 200)
            #expect(!ok.chunks.isEmpty)
        }
    }

    @Test func theServersOwnEndpointsStayOpen() throws {
        try withKeyedServer { server in
            for path in ["/health", "/models", "/metrics", "/_mockllm/stats"] {
                let client = try server.client()
                try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try client.readResponse().status == 200, "\(path) asked for a key")
            }
        }
    }
}
