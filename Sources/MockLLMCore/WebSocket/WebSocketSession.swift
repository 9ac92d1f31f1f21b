/// One complete WebSocket message (RFC 6455 section 6): its fragments joined, a text message's
/// bytes checked to be UTF-8.
public enum WebSocketMessage {
    case text(ByteBuffer)
    case binary(ByteBuffer)
}

/// What a session asks the connection to send.
public enum WebSocketOutput {
    /// A text message (the bytes must be UTF-8: JSON events).
    case text(ByteBuffer)
    case binary(ByteBuffer)
    /// Start the closing handshake with `code` (RFC 6455 7.4) and `reason` (at most 123 bytes
    /// of UTF-8); nothing is sent after it.
    case close(code: UInt16, reason: String)
}

/// The application's side of one WebSocket connection once the opening handshake is done:
/// messages in, timed messages out. A provider (OpenAI Realtime, Gemini Live) implements it; the
/// HTTP server drives it.
///
/// Called only on the thread of the connection's loop. A session reads no clock and does no
/// I/O: every call is given `now` (monotonic nanoseconds, the loop's clock) and appends what is
/// to be sent to `out`, in order. After every call the connection asks `nextDeadline` and, when
/// it is not nil, calls `due(now:into:)` once that time has come (later when the socket is
/// backed up: the session's timing slips, as a stream's does, and it is told the real `now`).
/// Pings, pongs, the close handshake, fragmentation and size limits are the connection's
/// business, never the session's.
public protocol WebSocketSession: AnyObject {
    /// The 101 has been written: what to send first (a `session.created`, say).
    func opened(now: UInt64, into out: inout [WebSocketOutput])

    /// A complete message from the client.
    func received(_ message: WebSocketMessage, now: UInt64, into out: inout [WebSocketOutput])

    /// When (monotonic nanoseconds) the session next has something to send, or nil for
    /// nothing scheduled.
    var nextDeadline: UInt64? { get }

    /// `nextDeadline` has passed: append everything due by `now`.
    func due(now: UInt64, into out: inout [WebSocketOutput])

    /// The connection is over: `code` is the close code the client sent, or 1006 (RFC 6455
    /// 7.1.5) when it went away without one, or 1001 when the server is draining. Nothing more
    /// is sent or asked after it.
    func ended(code: UInt16, now: UInt64)
}

extension WebSocketMessage: Equatable {}
