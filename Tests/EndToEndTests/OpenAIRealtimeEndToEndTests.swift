import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// OpenAI Realtime over real sockets: the upgrade of `GET /v1/realtime`, a text turn answered by
/// the script, a spoken reply in G.711 of its words' length, the session's timing on the loop.
@Suite("OpenAI Realtime over real sockets")
struct OpenAIRealtimeEndToEndTests: ScriptLoading {
    static let scriptFile = "realtime.yml"

    func events(until last: String, _ ws: WebSocketClient) throws -> [[String: Any]] {
        var events: [[String: Any]] = []
        while let text = try ws.nextText() {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            events.append(event)
            if event["type"] as? String == last { return events }
        }
        throw TestFailure("the connection ended before \(last)")
    }

    @Test func aTextTurnAndASpokenTurnInG711() throws {
        let server = try TestServer(script: script("""
            pacing: {ttft_ms: 5, itl_ms: 2, chunking: word, speech_wpm: 600}
            rules:
              - match: {prompt: "Hello"}
                reply: "Hi there."
              - reply: "One two three four."
            """))
        defer { #expect(server.stop() == 0) }
        let ws = try WebSocketClient(port: server.port, path: "/v1/realtime?model=gpt-realtime", headers: ["Authorization: Bearer test"])
        #expect(ws.handshake.header("x-request-id")?.hasPrefix("req_") == true)
        let created = try events(until: "session.created", ws)
        #expect(created.count == 1)
        try ws.sendText(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
        try ws.sendText(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hello"}]}}"#)
        try ws.sendText(#"{"type":"response.create"}"#)
        let text = try events(until: "response.done", ws)
        let deltas = text.filter { $0["type"] as? String == "response.output_text.delta" }.compactMap { $0["delta"] as? String }
        #expect(deltas == ["Hi", " there."])
        #expect(try events(until: "rate_limits.updated", ws).count == 1)

        try ws.sendText(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["audio"],"audio":{"output":{"format":{"type":"audio/pcmu"}}}}}"#)
        try ws.sendText(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Count"}]}}"#)
        try ws.sendText(#"{"type":"response.create"}"#)
        let spoken = try events(until: "response.done", ws)
        let audio = spoken.filter { $0["type"] as? String == "response.output_audio.delta" }.compactMap { $0["delta"] as? String }
        let bytes = audio.reduce(0) { $0 + (Base64.decode(Array($1.utf8))?.count ?? 0) }
        #expect(bytes == 3_200)  // 4 words at 600 wpm: 0.4 s of 8 kHz mu-law
        let transcript = spoken.filter { $0["type"] as? String == "response.output_audio_transcript.delta" }
            .compactMap { $0["delta"] as? String }.joined()
        #expect(transcript == "One two three four.")
        try ws.sendClose(code: 1000)
        #expect(try ws.nextClose()?.code == 1000)
    }

    @Test func aRefusedHandshakeIsAnOpenAIError() throws {
        let server = try TestServer(script: script("rules: []"))
        defer { #expect(server.stop() == 0) }
        let client = try RawClient(port: server.port)
        try client.send(Array("GET /v1/realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        let response = try client.readResponse()
        #expect(response.status == 400)
        let error = try response.json()["error"] as? [String: Any]
        #expect(error?["code"] as? String == "missing_required_parameter")
    }
}
