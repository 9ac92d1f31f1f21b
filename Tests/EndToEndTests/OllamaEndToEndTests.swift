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

/// Ollama's NDJSON over real sockets: chunked transfer with one JSON line per HTTP chunk, the
/// connection kept alive after it, and `HEAD /`.
@Suite("Ollama over real sockets")
struct OllamaEndToEndTests {
    func request(_ path: String, _ body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func aChatStreamIsOneJSONLinePerChunk() throws {
        try withServer(script: Script(responses: ["ping": "pong"])) { server in
            let client = try server.client()
            try client.send(request("/api/chat", #"{"model":"llama3.2","messages":[{"role":"user","content":"ping"}]}"#))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/x-ndjson")
            #expect(response.header("transfer-encoding") == "chunked")
            let lines = response.chunks.map { String(decoding: $0, as: UTF8.self) }
            #expect(lines.count == 5)
            #expect(lines.allSatisfy { $0.hasSuffix("}\n") && $0.filter { $0 == "\n" }.count == 1 })
            let objects = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            #expect(objects.map { ($0["message"] as! [String: Any])["content"] as! String }.joined() == "pong")
            #expect(objects.map { $0["done"] as! Bool } == [false, false, false, false, true])
            #expect(objects.last?["done_reason"] as? String == "stop")
            try client.send(request("/api/generate", #"{"model":"llama3.2","prompt":"ping","stream":false}"#))
            let second = try client.readResponse()
            #expect(second.header("content-type") == "application/json; charset=utf-8")
            #expect(String(decoding: second.body, as: UTF8.self).contains(#""response":"pong","done":true"#))
        }
    }

    @Test func headOfTheRootSaysNothingButOK() throws {
        try withServer { server in
            let client = try server.client()
            try client.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
            let head = try client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("content-length") == "17")
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(String(decoding: try client.readResponse().body, as: UTF8.self) == "Ollama is running")
        }
    }
}
