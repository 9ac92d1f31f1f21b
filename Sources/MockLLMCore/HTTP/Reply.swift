/// What the application answers to a request: a value the event loop executes.
///
/// Providers build replies without touching sockets or clocks; the loop owns time and I/O
/// (docs/ARCHITECTURE.md, "A request's path").
package struct Reply {
    package enum Body {
        /// A complete body, sent after `delay` nanoseconds (0: at once).
        case bytes(ByteBuffer, delay: UInt64)
        /// A body produced event by event, each event after its own delay.
        case stream(any EventSource)
    }

    package var status: Int
    package var headers: HTTPFields
    package var body: Body
    /// Close the connection after this reply even if the client wants to keep it.
    package var closeConnection: Bool
    /// Not 0: the handler is told how the reply went (`HTTPHandler.replyFinished`) with this tag.
    package var trace = 0
    package init(status: Int, headers: HTTPFields, body: Body, closeConnection: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.closeConnection = closeConnection
    }

    /// A JSON reply.
    package static func json(_ status: Int, _ bytes: ByteBuffer, headers: HTTPFields = HTTPFields(), delay: UInt64 = 0) -> Reply {
        if headers.isEmpty { return Reply(status: status, headers: jsonHeaders, body: .bytes(bytes, delay: delay)) }
        var all = HTTPFields(capacity: headers.count + 2)
        all.append(name: "content-type", value: "application/json")
        for field in headers { all.append(name: field.name, value: field.value) }
        return Reply(status: status, headers: all, body: .bytes(bytes, delay: delay))
    }

    /// The same reply with one more header.
    package func adding(header name: String, _ value: String) -> Reply {
        var copy = self
        copy.headers.append(name: name, value: value)
        return copy
    }

    /// The body of a `.bytes` reply (empty for a stream).
    package var bodyBytes: ByteBuffer {
        if case .bytes(let bytes, _) = body { return bytes }
        return ByteBuffer()
    }

    private static let jsonHeaders = HTTPFields([HTTPFields.Field(name: "content-type", value: "application/json")])
}

/// A lazily produced stream body: the loop asks for one event at a time, so a stream in
/// flight holds its position in the reply and no prebuilt body.
///
/// For each event the loop first calls `nextDelay()`, waits until the start of the stream plus
/// the sum of all delays so far (an absolute deadline, so error never accumulates), then calls
/// `writeNext(into:)`.
package protocol EventSource {
    /// Nanoseconds between the previous event (or the start of the stream) and the next one,
    /// or nil when the stream has ended.
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
    package var ending: StreamEnding { .complete }
    package var firstPayloadEvent: Int { 0 }
}

/// The end of a stream body.
package enum StreamEnding: Sendable, Equatable {
    /// The body's proper end (the last chunk), then keep-alive as usual.
    case complete
    /// Close the connection without ending the body (a FIN mid-stream).
    case close
    /// Reset the connection (an RST mid-stream).
    case reset
}
