import Foundation
import MockLLM
import Testing

/// Clients that vanish mid-stream (FIN and RST) and clients that never read: the server stays
/// up, frees every connection, and counts each stream as aborted. Counts only, no timing.
@Suite("Disconnect storms over real sockets")
struct DisconnectStormEndToEndTests {
    static let slowReply = (1...200).map { "w\($0)" }.joined(separator: " ")
    static let bigReply = String(repeating: "0123456789", count: 50_000)

    func stream(_ prompt: String, headers: String = "") -> String {
        let body = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    func stats(_ server: TestServer) throws -> [String: Any] {
        let client = try server.client()
        try client.send("GET /_mockllm/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return try client.readResponse().json()
    }

    @Test func vanishingAndNonReadingClientsLeaveNothingBehind() throws {
        let script = Script(responses: ["slow": Self.slowReply, "big": Self.bigReply])
        try withServer(script: script) { server in
            var finClients: [RawClient] = [], rstClients: [RawClient] = [], stuck: [RawClient] = []
            for i in 0..<300 {
                let client = try server.client(timeout: 10)
                try client.send(stream("slow", headers: "x-mockllm-itl-ms: 50\r\nx-mockllm-chunking: word\r\n"))
                _ = try client.readHead()
                if i % 2 == 0 { finClients.append(client) } else { rstClients.append(client) }
            }
            for _ in 0..<50 {
                // A 500 KB stream with no pacing to a client that never reads: the server must
                // pause at its high-water mark, not buffer the rest.
                let client = try server.client(timeout: 10, receiveBuffer: 4096)
                try client.send(stream("big"))
                stuck.append(client)
            }
            Thread.sleep(forTimeInterval: 0.2)  // let events flow and the stuck ones fill up
            for client in rstClients { client.reset() }
            finClients.removeAll()  // deinit closes: a FIN mid-stream
            for client in stuck { client.reset() }
            stuck.removeAll()
            rstClients.removeAll()

            var open = -1, aborted = -1
            let deadline = Date().addingTimeInterval(20)
            repeat {
                Thread.sleep(forTimeInterval: 0.05)
                let s = try stats(server)
                open = (s["connections"] as? [String: Any])?["open"] as? Int ?? -1
                aborted = (s["streams"] as? [String: Any])?["aborted"] as? Int ?? -1
            } while (open != 1 || aborted < 350) && Date() < deadline
            #expect(open == 1, "connections still open besides the stats request: \(open - 1)")
            #expect(aborted == 350)
            let client = try server.client()
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }
}
