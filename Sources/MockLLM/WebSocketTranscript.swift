import MockLLMCore
import Synchronization

/// What a journaled WebSocket session said, for `GET /_mockllm/requests`: each message in and
/// out with its time from the session's opening, and how it closed. Bounded like the journal's
/// other bodies: message text is kept up to `RequestJournal.bodyLimit` bytes over the whole
/// session (later messages keep their direction, kind, size and time, not their text), and at
/// most `eventLimit` messages are listed (later ones are only counted).
///
/// Written on the session's loop, read by whichever thread serves the journal: one uncontended
/// lock per message.
final class WebSocketTranscript: Sendable {
    static let eventLimit = 1000

    struct Event: Sendable {
        enum Direction: String, Sendable {
            case received = "in"
            case sent = "out"
        }

        var direction: Direction
        /// Nanoseconds since the session opened.
        var offset: UInt64
        var binary: Bool
        var size: Int
        /// The message's bytes, when they fit the transcript's budget.
        var data: ByteBuffer?
    }

    struct State: Sendable {
        var events: [Event] = []
        var received = 0
        var sent = 0
        /// Bytes of message data kept so far.
        var kept = 0
        /// The close code the session ended with; nil while it is open.
        var closeCode: UInt16?
        /// What the server's own close frame said, if it sent one first.
        var serverClose: (code: UInt16, reason: String)?
    }

    private let state = Mutex(State())

    /// A message read or sent `offset` nanoseconds after the opening.
    func record(_ direction: Event.Direction, binary: Bool, bytes: ByteBuffer, offset: UInt64) {
        state.withLock { state in
            if direction == .received { state.received += 1 } else { state.sent += 1 }
            guard state.events.count < Self.eventLimit else { return }
            var data: ByteBuffer?
            if state.kept + bytes.count <= RequestJournal.bodyLimit {
                data = bytes
                state.kept += bytes.count
            }
            state.events.append(Event(direction: direction, offset: offset, binary: binary, size: bytes.count, data: data))
        }
    }

    func serverClosed(code: UInt16, reason: String) {
        state.withLock { if $0.serverClose == nil { $0.serverClose = (code, reason) } }
    }

    func ended(code: UInt16) {
        state.withLock { $0.closeCode = code }
    }

    var snapshot: State { state.withLock { $0 } }
}
