@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// Gemini Live over real sockets: the upgrade at google-genai's path, a paced text turn in
/// binary frames, a refused key as a close frame, a plain GET in Google's envelope.
@Suite("Gemini Live over real sockets")
struct GeminiLiveEndToEndTests {
    static let path = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
    static func script() throws -> Script {
        try ScriptLoader.parse(yaml: """
            responses:
              hello: one two three
            pacing: {ttft_ms: 20, itl_ms: 20, chunking: word}
            """, file: "live.yml", providers: providerCatalog).script
    }

    /// The next message's JSON, text or binary (the API sends binary), skipping pings.
    static func nextMessage(_ ws: WebSocketClient) throws -> String? {
        while let event = try ws.next() {
            switch event {
            case .message(.text(let data)), .message(.binary(let data)): return data.description
            case .close(let code, let reason): throw TestFailure("closed (\(code.map(String.init) ?? "no code") \(reason))")
            case .ping, .pong: continue
            }
        }
        return nil
    }

    @Test func aTextTurnIsAnsweredInPacedBinaryFrames() throws {
        let server = try TestServer(script: Self.script())
        defer { #expect(server.stop() == 0) }
        let ws = try WebSocketClient(port: server.port, path: Self.path)
        try ws.sendText(#"{"setup":{"model":"models/gemini-live-2.5-flash-preview"}}"#)
        #expect(try Self.nextMessage(ws) == #"{"setupComplete": {}}"#)
        try ws.sendText(#"{"client_content":{"turns":[{"role":"user","parts":[{"text":"hello"}]}],"turnComplete":true}}"#)
        var messages: [String] = []
        while let message = try Self.nextMessage(ws) {
            messages.append(message)
            if message.contains("turnComplete") { break }
        }
        #expect(Array(messages.prefix(3)) == ["one", " two", " three"].map { #"{"serverContent": {"modelTurn": {"parts": [{"text": "\#($0)"}]}}}"# })
        #expect(messages.dropLast().last == #"{"serverContent": {"generationComplete": true}}"#)
        #expect(messages.last?.hasPrefix(#"{"serverContent": {"turnComplete": true},"usageMetadata": "#) == true)
        try ws.sendClose(code: 1000)
        #expect(try ws.nextClose()?.code == 1000)
    }

    @Test func aWrongKeyIsAcceptedThenClosedWith1007() throws {
        let server = try TestServer(script: Self.script()) { $0.apiKey = "right" }
        defer { #expect(server.stop() == 0) }
        let ws = try WebSocketClient(port: server.port, path: Self.path + "?key=wrong")
        try ws.sendText(#"{"setup":{"model":"m"}}"#)
        let close = try #require(try ws.nextClose())
        #expect(close.code == 1007)
        #expect(close.reason == "API key not valid. Please pass a valid API key.")
    }

    @Test func aPlainRequestGetsGooglesEnvelopeWith426() throws {
        let server = try TestServer(script: Self.script())
        defer { #expect(server.stop() == 0) }
        let client = try RawClient(port: server.port)
        try client.send("GET \(Self.path) HTTP/1.1\r\nHost: x\r\nx-goog-api-key: k\r\n\r\n")
        let reply = try client.readResponse()
        #expect(reply.status == 426)
        #expect(String(decoding: reply.body, as: UTF8.self).hasPrefix(#"{"error": {"code": 426,"message": "this endpoint speaks WebSocket"#))
    }
}
