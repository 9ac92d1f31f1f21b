import MockLLM
import MockLLMCore

/// A stand-in for OpenAI Realtime's event flow, served at `GET /test/realtime` through the
/// custom-provider API, for `mockllm bench --provider realtime` while the bench is tested on its
/// own: `session.created` when opened, and for each `response.create` `response.created`,
/// `deltas` `response.output_audio.delta` events 1 ms apart (from the session's deadlines),
/// then `response.done`. `deltas` is the `deltas` query parameter (default 10).
struct FakeRealtime: CustomProvider {
    static let name = "fake-realtime"
    static let endpoints = [
        CustomEndpoint("GET", "/test/realtime") { (request, _) throws(CustomError) -> Reply in
            let deltas = QueryParameters(request.http.query)["deltas"].flatMap { Int($0) } ?? 10
            switch WebSocketHandshake.reply(to: request.http, session: { FakeRealtimeSession(deltas: deltas) }) {
            case .success(let reply): return reply
            case .failure(let refusal): throw CustomError(status: refusal.status, message: refusal.message)
            }
        },
    ]
}

final class FakeRealtimeSession: WebSocketSession {
    let deltas: Int
    private var queue: [(due: UInt64, event: String)] = []

    init(deltas: Int) { self.deltas = deltas }

    func opened(now: UInt64, into out: inout [WebSocketOutput]) {
        out.append(.text(ByteBuffer(#"{"type":"session.created","session":{"type":"realtime"}}"#)))
    }

    func received(_ message: WebSocketMessage, now: UInt64, into out: inout [WebSocketOutput]) {
        guard case .text(let text) = message, text.description.contains(#""type":"response.create""#) else { return }
        out.append(.text(ByteBuffer(#"{"type":"response.created"}"#)))
        for i in 1...deltas {
            queue.append((now + UInt64(i) * 1_000_000, #"{"type":"response.output_audio.delta","delta":"AAAA"}"#))
        }
        queue.append((now + UInt64(deltas + 1) * 1_000_000, #"{"type":"response.done","response":{"status":"completed"}}"#))
    }

    var nextDeadline: UInt64? { queue.first?.due }

    func due(now: UInt64, into out: inout [WebSocketOutput]) {
        while let first = queue.first, first.due <= now {
            out.append(.text(ByteBuffer(first.event)))
            queue.removeFirst()
        }
    }

    func ended(code: UInt16, now: UInt64) {}
}
