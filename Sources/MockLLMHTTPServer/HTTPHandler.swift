import MockLLMCore

/// What the loop asks of the application: a `Reply` for each request. Implemented by the
/// Server layer; one instance per loop, called only on that loop's thread.
package protocol HTTPHandler: AnyObject {
    /// The reply to a complete, valid request.
    func reply(to request: HTTPRequest) -> Reply

    /// The reply to a request the parser refused (`error.target` is set when the request line
    /// was read, so the error can take the shape of the protocol addressed). The connection is
    /// closed after it.
    func reply(to error: HTTPParseError) -> Reply

    /// A reply whose `trace` is not 0 has been sent in full, or cut: its timing, for the
    /// request journal and metrics.
    func replyFinished(_ finished: FinishedReply)
}

extension HTTPHandler {
    package func replyFinished(_ finished: FinishedReply) {}
}

/// How one traced reply went, measured by the loop.
package struct FinishedReply: Sendable {
    /// The `Reply.trace` the handler gave it.
    package var trace: Int
    package var status: Int
    /// Nanoseconds from the request to the reply's first body byte written (a stream's first
    /// event, a delayed reply's body); nil when none was written.
    package var firstByteNanoseconds: UInt64?
    /// Nanoseconds from the request to the reply's end (or its cut).
    package var durationNanoseconds: UInt64
    /// Stream events written (0 for a plain reply).
    package var events: Int
    /// The reply was cut: the client went away, the server closed it, or a fault ended it early.
    package var aborted: Bool
    /// The reply was a stream (`Reply.Body.stream`), even one cut before its first event.
    package var stream: Bool
    /// A stream's nanoseconds from the request to its first payload event written
    /// (`EventSource.firstPayloadEvent`); nil when none was.
    package var firstPayloadNanoseconds: UInt64?

    package init(trace: Int, status: Int, firstByteNanoseconds: UInt64?, durationNanoseconds: UInt64, events: Int, aborted: Bool,
                stream: Bool = false, firstPayloadNanoseconds: UInt64? = nil) {
        self.trace = trace
        self.status = status
        self.firstByteNanoseconds = firstByteNanoseconds
        self.durationNanoseconds = durationNanoseconds
        self.events = events
        self.aborted = aborted
        self.stream = stream
        self.firstPayloadNanoseconds = firstPayloadNanoseconds
    }
}
