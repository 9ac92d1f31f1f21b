import MockLLM
import MockLLMCore
import Synchronization

/// A WebSocket endpoint served through the public custom-provider API, the way a package (or
/// the Realtime providers) answers an upgrade: `GET /ws/echo` returns `WebSocketHandshake.reply`.
///
/// Its session says `{"type":"ready"}` when opened, then answers `echo:TEXT` with TEXT, a
/// binary message with itself, `later:N` with N messages `n:1` ... `n:N` 20 ms apart (from its
/// deadlines), `close` with a close 1000, and anything else with `?`. `ended` records the code
/// under the `id` query parameter.
struct WebSocketEcho: CustomProvider {
    static let name = "wsecho"
    static let endpoints = [
        CustomEndpoint("GET", "/ws/echo") { (request, _) throws(CustomError) -> Reply in
            let id = QueryParameters(request.http.query)["id"] ?? ""
            let upgrade = WebSocketHandshake.reply(to: request.http, headers: HTTPFields([HTTPFields.Field(name: "x-echo", value: "1")]),
                                                   session: { EchoSession(id: id) })
            switch upgrade {
            case .success(let reply): return reply
            case .failure(let refusal): throw CustomError(status: refusal.status, message: refusal.message, type: "invalid_request_error")
            }
        },
    ]

    /// The close code each session ended with, by the `id` of its query (read from the test's thread).
    static let endings = Mutex<[String: UInt16]>([:])

    static func ending(_ id: String) -> UInt16? { endings.withLock { $0[id] } }
}

final class EchoSession: WebSocketSession {
    let id: String
    private var pending: [(due: UInt64, text: String)] = []

    init(id: String) { self.id = id }

    func opened(now: UInt64, into out: inout [WebSocketOutput]) {
        out.append(.text(ByteBuffer(#"{"type":"ready"}"#)))
    }

    func received(_ message: WebSocketMessage, now: UInt64, into out: inout [WebSocketOutput]) {
        guard case .text(let bytes) = message else { return out.append(.binary(message.bytes)) }
        let text = bytes.description
        if text.hasPrefix("echo:") {
            out.append(.text(ByteBuffer(String(text.dropFirst(5)))))
        } else if text.hasPrefix("later:"), let n = Int(text.dropFirst(6)) {
            for i in 1...max(1, n) { pending.append((now + UInt64(i) * 20_000_000, "n:\(i)")) }
        } else if text == "close" {
            out.append(.close(code: 1000, reason: "done"))
        } else {
            out.append(.text(ByteBuffer("?")))
        }
    }

    var nextDeadline: UInt64? { pending.first?.due }

    func due(now: UInt64, into out: inout [WebSocketOutput]) {
        while let first = pending.first, first.due <= now {
            out.append(.text(ByteBuffer(first.text)))
            pending.removeFirst()
        }
    }

    func ended(code: UInt16, now: UInt64) {
        WebSocketEcho.endings.withLock { $0[id] = code }
    }
}

extension WebSocketMessage {
    var bytes: ByteBuffer {
        switch self {
        case .text(let bytes), .binary(let bytes): bytes
        }
    }
}
