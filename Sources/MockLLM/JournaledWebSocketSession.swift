import MockLLMCore

/// A provider's session with every message it reads and sends written to its journal entry's
/// transcript (`Application.journaled`). Only the loop's thread calls it, as it does the session.
final class JournaledWebSocketSession: WebSocketSession {
    let inner: any WebSocketSession
    let transcript: WebSocketTranscript
    private var openedAt: UInt64 = 0

    init(_ inner: any WebSocketSession, transcript: WebSocketTranscript) {
        self.inner = inner
        self.transcript = transcript
    }

    func opened(now: UInt64, into out: inout [WebSocketOutput]) {
        openedAt = now
        let first = out.count
        inner.opened(now: now, into: &out)
        recordSent(out, from: first, now: now)
    }

    func received(_ message: WebSocketMessage, now: UInt64, into out: inout [WebSocketOutput]) {
        switch message {
        case .text(let bytes): transcript.record(.received, binary: false, bytes: bytes, offset: now &- openedAt)
        case .binary(let bytes): transcript.record(.received, binary: true, bytes: bytes, offset: now &- openedAt)
        }
        let first = out.count
        inner.received(message, now: now, into: &out)
        recordSent(out, from: first, now: now)
    }

    var nextDeadline: UInt64? { inner.nextDeadline }

    func due(now: UInt64, into out: inout [WebSocketOutput]) {
        let first = out.count
        inner.due(now: now, into: &out)
        recordSent(out, from: first, now: now)
    }

    func ended(code: UInt16, now: UInt64) {
        transcript.ended(code: code)
        inner.ended(code: code, now: now)
    }

    private func recordSent(_ out: [WebSocketOutput], from first: Int, now: UInt64) {
        for output in out[first...] {
            switch output {
            case .text(let bytes): transcript.record(.sent, binary: false, bytes: bytes, offset: now &- openedAt)
            case .binary(let bytes): transcript.record(.sent, binary: true, bytes: bytes, offset: now &- openedAt)
            case .close(let code, let reason): transcript.serverClosed(code: code, reason: reason)
            }
        }
    }
}
