/// What the application answers to a request: a value the event loop executes.
///
/// Providers build replies without touching sockets or clocks; the loop owns time and I/O
/// (docs/ARCHITECTURE.md, "A request's path").
public struct Reply {
    public enum Body {
        /// A complete body, sent after `delay` nanoseconds (0: at once).
        case bytes(ByteBuffer, delay: UInt64)
        /// A body produced event by event, each event after its own delay.
        case stream(any EventSource)
        /// A stream driven from outside: its source may answer `nextDelay()` with
        /// `Reply.notReady` ("the next event is not known yet"); the connection then waits until
        /// the feeder calls `link.wake()` and asks the source again. The head goes out at once.
        case pushed(any EventSource, ReplyLink)
        /// A reply whose status, headers and body are not known yet: the feeder gives them
        /// with `link.supply(_:)` (any body but another `.deferred`), and nothing is written
        /// before.
        case deferred(ReplyLink)
        /// A `101 Switching Protocols` (`WebSocketHandshake.reply`): after the head the
        /// connection speaks WebSocket frames, driven by the session until either side closes.
        case webSocket(any WebSocketSession)
    }

    /// The `nextDelay()` of a `.pushed` stream's source whose next event is not known yet.
    public static let notReady = UInt64.max

    public var status: Int
    public var headers: HTTPFields
    public var body: Body
    /// Close the connection after this reply even if the client wants to keep it.
    public var closeConnection: Bool
    /// Not 0: the handler is told how the reply went (`HTTPHandler.replyFinished`) with this tag.
    public var trace = 0
    public init(status: Int, headers: HTTPFields, body: Body, closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// A JSON reply.
    public static func json(_ status: Int, _ bytes: ByteBuffer, headers: HTTPFields = HTTPFields(), delay: UInt64 = 0) -> Reply {
        if headers.isEmpty { return Reply(status: status, headers: jsonHeaders, body: .bytes(bytes, delay: delay)) }
        var all = HTTPFields(capacity: headers.count + 2)
        all.append(name: "content-type", value: "application/json")
        for field in headers { all.append(name: field.name, value: field.value) }
        return Reply(status: status, headers: all, body: .bytes(bytes, delay: delay))
    }

    /// The same reply with one more header.
    public func adding(header name: String, _ value: String) -> Reply {
        var copy = self
        copy.headers.append(name: name, value: value)
        return copy
    }

    /// The body of a `.bytes` reply (empty for a stream).
    public var bodyBytes: ByteBuffer {
        if case .bytes(let bytes, _) = body { return bytes }
        return ByteBuffer()
    }

    private static let jsonHeaders = HTTPFields([HTTPFields.Field(name: "content-type", value: "application/json")])
}

/// The tie between a push-driven reply (`Reply.Body.pushed`, `.deferred`) and whoever feeds it.
///
/// Confined to the thread of the connection's loop: the feeder calls `wake()` and `supply(_:)`
/// there. The connection attaches itself while the reply is in progress; when the reply is cut
/// before its end (the client went away, the server closed the connection, a drain ran out of
/// time) `onCut` is called once, so the feeder can drop its work. A reply that ends normally
/// detaches without calling it.
public final class ReplyLink {
    /// Called once when the reply is cut before its end.
    public var onCut: (() -> Void)?
    /// A `.deferred` reply's reply once supplied, until the connection takes it.
    public private(set) var supplied: Reply?
    private weak var target: (any ReplyLinkTarget)?
    /// Cut, or ended: nothing more is delivered.
    public private(set) var isClosed = false

    public init(onCut: (() -> Void)? = nil) {
        self.onCut = onCut
    }

    /// When the events of the last `wake(due:)` were due (monotonic nanoseconds; 0: now).
    public private(set) var due: UInt64 = 0

    /// The feeder: the next events of the stream are ready (the connection pumps them now).
    /// `due`: when they became due (monotonic nanoseconds), if before now: the connection
    /// times them from it, so its lateness histogram shows how late they were written.
    public func wake(due: UInt64 = 0) {
        self.due = due
        target?.replyLinkWoken()
    }

    /// The feeder: the deferred reply is `reply`; it is written now.
    public func supply(_ reply: Reply) {
        guard !isClosed else { return }
        supplied = reply
        wake()
    }

    /// The connection: deliver wakes to `target` until `detach()` or `cut()`.
    public func attach(_ target: any ReplyLinkTarget) {
        self.target = target
    }

    /// The connection takes the supplied reply.
    public func takeSupplied() -> Reply? {
        let reply = supplied
        supplied = nil
        return reply
    }

    /// The connection: the reply ended normally (or moves to another body with this link).
    public func detach() {
        target = nil
    }

    /// The connection: the reply was cut; the feeder is told once.
    public func cut() {
        target = nil
        guard !isClosed else { return }
        isClosed = true
        supplied = nil
        let call = onCut
        onCut = nil
        call?()
    }

    /// The feeder: nothing more will be asked of this link (the reply is complete).
    public func close() {
        isClosed = true
        onCut = nil
    }
}

/// What a `ReplyLink` wakes: the server's connection.
public protocol ReplyLinkTarget: AnyObject {
    func replyLinkWoken()
}

/// A lazily produced stream body: the loop asks for one event at a time, so a stream in
/// flight holds its position in the reply and no prebuilt body.
///
/// For each event the loop first calls `nextDelay()`, waits until the start of the stream plus
/// the sum of all delays so far (an absolute deadline, so error never accumulates), then calls
/// `writeNext(into:)`.
public protocol EventSource {
    /// Nanoseconds between the previous event (or the start of the stream) and the next one,
    /// or nil when the stream has ended. In a `.pushed` stream, `Reply.notReady`: the next event
    /// is not known yet; the source is asked again when its link is woken.
    mutating func nextDelay() -> UInt64?

    /// Appends the bytes of the event whose delay was just returned.
    mutating func writeNext(into out: inout ByteBuffer)

    /// How the stream ends once `nextDelay()` returns nil (a scripted fault may cut it).
    var ending: StreamEnding { get }

    /// The index (from 0) of the first event that carries the stream's payload rather than its
    /// opening frames (an LLM stream's first token): the loop times the stream from it, the
    /// time to the first payload event and the intervals between payload events. `Int.max`
    /// when no event does.
    var firstPayloadEvent: Int { get }
}

extension EventSource {
    public var ending: StreamEnding { .complete }
    public var firstPayloadEvent: Int { 0 }
}

/// The end of a stream body.
public enum StreamEnding: Sendable, Equatable {
    /// The body's proper end (the last chunk), then keep-alive as usual.
    case complete
    /// Close the connection without ending the body (a FIN mid-stream).
    case close
    /// Reset the connection (an RST mid-stream).
    case reset
}
