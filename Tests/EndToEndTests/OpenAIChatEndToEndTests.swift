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

@Suite("OpenAI chat over real sockets")
struct OpenAIChatEndToEndTests {
    let script = Script(responses: ["hello": "Hello! How can I help you today?", "ping": "pong"], defaultReply: "no idea")

    func chatRequest(_ body: String, extraHeaders: String = "") -> String {
        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\(extraHeaders)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func answersAScriptedPrompt() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            try client.send(chatRequest(#"{"model":"gpt-4","messages":[{"role":"user","content":"hello"}]}"#))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            let json = try response.json()
            let choices = json["choices"] as? [[String: Any]]
            let message = choices?.first?["message"] as? [String: Any]
            #expect(message?["content"] as? String == "Hello! How can I help you today?")
            #expect(json["model"] as? String == "gpt-4")
        }
    }

    @Test func streamsOneEventPerCharacterWithTheSameId() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            try client.send(chatRequest(#"{"model":"m","stream":true,"messages":[{"role":"user","content":"ping"}]}"#))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("content-type") == "text/event-stream; charset=utf-8")
            #expect(response.header("transfer-encoding") == "chunked")
            let events = response.chunks.map { String(decoding: $0, as: UTF8.self) }
            #expect(events.count == 1 + 4 + 1 + 1)  // role, p o n g, finish, [DONE]
            #expect(events.last == "data: [DONE]\n\n")
            let objects = try events.dropLast().map { event -> [String: Any] in
                #expect(event.hasPrefix("data: ") && event.hasSuffix("\n\n"))
                return try JSONSerialization.jsonObject(with: Data(event.dropFirst(6).utf8)) as! [String: Any]
            }
            #expect(Set(objects.map { $0["id"] as! String }).count == 1)
            let text = objects.compactMap { (($0["choices"] as! [[String: Any]]).first?["delta"] as? [String: Any])?["content"] as? String }.joined()
            #expect(text == "pong")
        }
    }

    @Test func keepsTheConnectionAliveAndAnswersPipelinedRequestsInOrder() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            let a = chatRequest(#"{"model":"m","messages":[{"role":"user","content":"hello"}]}"#)
            let b = chatRequest(#"{"model":"m","stream":true,"messages":[{"role":"user","content":"ping"}]}"#)
            let c = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
            try client.send(a + b + c)
            #expect(try client.readResponse().text.contains("Hello!"))
            #expect(try client.readResponse().text.contains("[DONE]"))
            #expect(try client.readResponse().text == #"{"status":"ok"}"#)
        }
    }

    @Test func invalidJSONIsA400InOpenAIShapeAndTheServerKeepsServing() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            try client.send(chatRequest("{not json"))
            let response = try client.readResponse()
            #expect(response.status == 400)
            let error = try response.json()["error"] as? [String: Any]
            #expect(error?["type"] as? String == "invalid_request_error")
            #expect(error?.keys.sorted() == ["code", "message", "param", "type"])
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func noUserMessageGivesTheOriginalsMessage() throws {
        try withServer(script: script) { server in
            let client = try server.client()
            try client.send(chatRequest(#"{"model":"m","messages":[{"role":"system","content":"hi"}]}"#))
            let response = try client.readResponse()
            #expect(response.status == 400)
            let error = try response.json()["error"] as? [String: Any]
            #expect(error?["message"] as? String == "No user message found in request")
        }
    }

    @Test func lagDelaysANonStreamReplyByTheOriginalsFormula() throws {
        // 20 characters at lag_factor 10: 20 / 100 s = 200 ms. Only a lower bound is asserted:
        // an upper bound would make the test depend on machine load.
        let lagged = Script(responses: ["x": "12345678901234567890"], pacing: .seedLag(factor: 10))
        try withServer(script: lagged) { server in
            let client = try server.client()
            let start = Date()
            try client.send(chatRequest(#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#))
            #expect(try client.readResponse().status == 200)
            #expect(Date().timeIntervalSince(start) >= 0.2)
        }
    }

    @Test func aClientThatVanishesMidStreamIsClosedAndTheServerKeepsServing() throws {
        let slow = Script(responses: ["x": String(repeating: "a", count: 200)], pacing: .seedLag(factor: 1))
        try withServer(script: slow) { server in
            let client = try server.client()
            try client.send(chatRequest(#"{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}"#))
            client.reset()
            let other = try server.client()
            try other.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try other.readResponse().status == 200)
        }
    }
}
