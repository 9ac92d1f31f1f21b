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

/// The Responses API over real sockets: its stream's framing, and the stored responses shared
/// by every worker and kept across a reload.
@Suite("Responses API over real sockets")
struct ResponsesEndToEndTests {
    static let script = Script(responses: ["ping": "pong", "again": "pong again"], defaultReply: "default")

    static func create(_ server: TestServer, _ body: String) throws -> (id: String, text: String) {
        let response = try server.request("POST", "/v1/responses", body: body)
        #expect(response.status == 200)
        return (try #require(response.json()["id"] as? String), response.text)
    }

    @Test func aStreamIsChunkedSSEThatEndsWithItsCompletedEvent() throws {
        try withServer(script: Self.script) { server in
            let response = try server.request("POST", "/v1/responses", body: #"{"model":"gpt-4o","input":"ping","stream":true}"#)
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream; charset=utf-8")
            #expect(response.header("transfer-encoding") == "chunked")
            let events = response.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.first?.hasPrefix("event: response.created\ndata: {\"type\":\"response.created\"") == true)
            #expect(events.last?.hasPrefix("event: response.completed\ndata: {\"type\":\"response.completed\"") == true)
            #expect(events.last?.hasSuffix(",\"sequence_number\":\(events.count - 1)}") == true)
            #expect(!response.text.contains("[DONE]"))
            let deltas = events.filter { $0.hasPrefix("event: response.output_text.delta\n") }
            #expect(deltas.count == 4)
        }
    }

    /// Each request on a new connection: over three loops, a store per loop would lose most of
    /// them (all twelve found by chance: about 2 in a million).
    @Test func aResponseCreatedOnOneWorkerIsFoundFromEveryOther() throws {
        try withServer(script: Self.script, workers: 3) { server in
            var created: [(id: String, text: String)] = []
            for _ in 0..<12 { created.append(try Self.create(server, #"{"model":"gpt-4o","input":"ping"}"#)) }
            #expect(Set(created.map(\.id)).count == 12)
            for (id, text) in created {
                let found = try server.request("GET", "/v1/responses/\(id)")
                #expect(found.status == 200)
                #expect(found.text == text)
            }
            let (first, _) = created[0]
            let next = try server.request("POST", "/v1/responses",
                                     body: #"{"model":"gpt-4o","input":"again","previous_response_id":"\#(first)"}"#)
            #expect(next.status == 200)
            #expect(try next.json()["previous_response_id"] as? String == first)
            #expect(try server.request("DELETE", "/v1/responses/\(first)").status == 200)
            #expect(try server.request("GET", "/v1/responses/\(first)").status == 404)
        }
    }

    @Test func storedResponsesOutliveAReload() throws {
        let file = try ScriptFile("responses:\n  ping: pong\n")
        let loaded = try ScriptLoader.parse(yaml: "responses:\n  ping: pong\n", file: file.path, providers: providerCatalog)
        let server = try TestServer(script: loaded.script) { $0.scriptPath = file.path }
        defer { #expect(server.stop() == 0) }
        let (id, text) = try Self.create(server, #"{"model":"gpt-4o","input":"ping"}"#)
        try file.write("responses:\n  ping: pong, reloaded\n")
        #expect(try server.request("POST", "/_mockllm/reload").status == 200)
        let after = try Self.create(server, #"{"model":"gpt-4o","input":"ping","previous_response_id":"\#(id)"}"#)
        #expect(after.text.contains("pong, reloaded"), "the new script answers")
        #expect(try server.request("GET", "/v1/responses/\(id)").text == text)
    }

    @Test func aStoreSizeOfZeroKeepsNothing() throws {
        let server = try TestServer(script: Self.script) { $0.responseStoreSize = 0 }
        defer { #expect(server.stop() == 0) }
        let (id, _) = try Self.create(server, #"{"model":"gpt-4o","input":"ping"}"#)
        #expect(try server.request("GET", "/v1/responses/\(id)").status == 404)
    }
}
