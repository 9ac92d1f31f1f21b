/// What one HTTP/1.1 connection does next, decided without sockets, clocks or the handler.
///
/// `Connection` reports each event (bytes read, a request parsed, output written, a queued
/// write done, a deadline due, the peer gone, a drain, the timeout sweep, the linger time over)
/// and carries out the `Action` it gets back. The legal states are the cases of `State`; what
/// does not vary within a state (reading paused by the pipeline limit, the server draining,
/// the connection over the limit, its clocks) sits beside it.
///
/// Generic over what a reply in progress holds (`Delayed`, `Stream`: `DelayedReply` and
/// `StreamRun` in the server), so tests drive it with plain values.
struct ConnectionStateMachine<Delayed, Stream> {
    enum State {
        /// Between requests: bytes are parsed as they arrive and requests answered at once.
        case idle
        /// A complete reply waits for its delay. Later pipelined requests wait in the parser.
        case delayed(Delayed)
        /// A stream is in progress; `paused` while its client reads slower than it is written.
        /// Reading goes on, so a client that goes away is noticed; later requests wait.
        case streaming(Stream, paused: Bool)
        /// The last response is written or queued and nothing more is read. When the write
        /// queue is empty: shut down the write side and linger, or close if the peer has.
        case flushing(peerClosed: Bool)
        /// Write side shut down after the last response; reading (and discarding) until the
        /// peer closes or the linger time passes. Closing at once could make the kernel answer
        /// unread request bytes with a reset that destroys the response before it is read.
        case lingering
        /// Upgraded to WebSocket (a 101 was written): bytes read are frames, the session's
        /// deadlines drive what is sent; `paused` while its client reads slower than it is
        /// written. The connection holds the session; the close handshake moves to `flushing`.
        case webSocket(paused: Bool)
        /// Closed: the socket is closing; nothing more happens.
        case closed
    }

    /// A reply in progress when the connection closed: reported as cut.
    enum Cut {
        case delayed(Delayed)
        case stream(Stream)
        /// A WebSocket session still open (its `ended` not yet told).
        case webSocket
    }

    enum Action {
        case none
        /// Parse what is buffered and answer the complete requests (the state is idle).
        case parseRequests
        /// Keep the bytes in the parser: a reply is in progress, later requests wait.
        case holdInput
        /// Stop reading: too many pipelined bytes wait behind the reply in progress.
        case pauseReading
        case resumeReading
        /// The peer has closed its side: stop reading; what is queued is still written.
        case stopReading
        /// Ask the handler for the reply to the request just parsed.
        case answerRequest
        /// Answer 503 (accepted over the connection limit); the connection then closes.
        case refuseOverLimit
        /// Answer 408 (the request did not arrive in time); the connection then closes.
        case answerRequestTimeout
        /// The delayed reply is due: write it, then report `replyEnded`.
        case sendDelayedReply(Delayed)
        /// The stream's next deadline has come: write the events that are due.
        case pumpStream(Stream)
        /// The client has read enough of a paused stream: it goes on from now, the rest of its
        /// schedule moved by the pause.
        case resumeStream(Stream)
        /// WebSocket: read the bytes as frames.
        case readFrames
        /// WebSocket: the session's deadline has come; ask it for what is due.
        case pumpWebSocket
        /// WebSocket: the client has read enough of what was queued; the session goes on.
        case resumeWebSocket
        /// WebSocket: the server is draining; start the close handshake with 1001.
        case drainWebSocket
        /// WebSocket: the periodic sweep; check pings, the idle time and the close handshake.
        case checkWebSocket
        /// Shut down the write side, read on (resuming reading if it was paused) and start the
        /// linger timer.
        case shutdownAndLinger(resumeReading: Bool)
        /// Close the socket and cancel the connection's deadline; report a cut reply.
        case close(cutting: Cut?)
        /// As `close`, but with a reset (RST) instead of a FIN.
        case reset(cutting: Cut?)
    }

    private(set) var state = State.idle
    /// Reading stopped because too many pipelined bytes wait behind a reply in progress.
    private(set) var readPaused = false
    /// The server is draining: once the reply in progress is done, the connection closes.
    private(set) var draining = false
    /// Accepted beyond the loop's connection limit: its first request gets a 503.
    let overLimit: Bool
    /// Loop time (ms) of the last read or the end of the last reply: the idle clock.
    private(set) var lastActivity: UInt64
    /// Loop time (ms) the request being received began to arrive (0: none partly received).
    private(set) var requestStarted: UInt64 = 0

    init(overLimit: Bool = false, now: UInt64) {
        self.overLimit = overLimit
        lastActivity = now
    }

    var isIdle: Bool {
        if case .idle = state { return true }
        return false
    }

    var isClosed: Bool {
        if case .closed = state { return true }
        return false
    }

    // MARK: Input

    /// Bytes arrived at loop time `now` (ms).
    mutating func bytesRead(now: UInt64) -> Action {
        switch state {
        case .idle:
            lastActivity = now
            return .parseRequests
        case .delayed, .streaming:
            lastActivity = now
            return .holdInput
        case .webSocket:
            lastActivity = now
            return .readFrames
        case .flushing, .lingering, .closed:
            return .none  // nothing after a final response is processed
        }
    }

    /// `bufferedBytes` wait in the parser behind the reply in progress.
    mutating func inputHeld(bufferedBytes: Int, limit: Int) -> Action {
        guard bufferedBytes > limit, !readPaused else { return .none }
        readPaused = true
        return .pauseReading
    }

    /// The parser needs more bytes; `bufferedBytes` of the next request have arrived.
    mutating func needMoreData(bufferedBytes: Int, now: UInt64) -> Action {
        if bufferedBytes == 0 {
            requestStarted = 0
        } else if requestStarted == 0 {
            requestStarted = now
        }
        guard readPaused else { return .none }
        readPaused = false
        return .resumeReading
    }

    /// A complete request was parsed.
    mutating func requestParsed() -> Action {
        requestStarted = 0
        guard overLimit else { return .answerRequest }
        state = .flushing(peerClosed: false)
        return .refuseOverLimit
    }

    /// The parser refused the request: it is answered once and nothing after it is read.
    mutating func parseFailed() {
        state = .flushing(peerClosed: false)
    }

    // MARK: Replies

    /// A reply was written whole at once; `keepAlive`: another request may follow.
    mutating func replied(keepAlive: Bool) {
        if !keepAlive || draining { state = .flushing(peerClosed: false) }
    }

    /// A reply waits for its delay (the driver schedules its deadline).
    mutating func delayedReplyStarted(_ reply: Delayed) {
        state = .delayed(reply)
    }

    /// A stream began (the driver writes what is due and schedules the rest).
    mutating func streamStarted(_ stream: Stream) {
        state = .streaming(stream, paused: false)
    }

    /// The deadline the connection was scheduled for has come.
    func deadlineDue() -> Action {
        switch state {
        case .delayed(let reply): .sendDelayedReply(reply)
        case .streaming(let stream, paused: false): .pumpStream(stream)
        case .webSocket(paused: false): .pumpWebSocket
        default: .none
        }
    }

    /// The feeder of a push-driven reply woke the connection (`ReplyLink.wake`): a deferred
    /// reply may have been supplied, or a pushed stream's next events are ready. As a deadline,
    /// but for a stream paused by backpressure nothing happens (it resumes when the client reads).
    func woken() -> Action {
        deadlineDue()
    }

    /// A deferred reply (held as `.delayed`) was supplied at loop time `now` and is about to
    /// begin like any reply: the state is idle again for it (the draining mark stays).
    mutating func deferredReplySupplied(now: UInt64) {
        guard case .delayed = state else { return }
        lastActivity = now
        state = .idle
    }

    /// The write queue is over the high-water mark: the stream waits for the client to read.
    mutating func streamBlocked() {
        if case .streaming(let stream, paused: false) = state { state = .streaming(stream, paused: true) }
    }

    /// The 101 was written: the connection speaks WebSocket from now on.
    mutating func webSocketStarted() {
        state = .webSocket(paused: false)
    }

    /// The write queue is over the high-water mark: the session waits for the client to read.
    mutating func webSocketBlocked() {
        if case .webSocket(paused: false) = state { state = .webSocket(paused: true) }
    }

    /// The close handshake is done (or the connection failed): once what is queued is written,
    /// the server shuts down its side first (RFC 6455 7.1.1) and lingers.
    mutating func webSocketEnded() {
        if case .webSocket = state { state = .flushing(peerClosed: false) }
    }

    /// The delayed reply was written, or the stream ended, at loop time `now`. `keepAlive`: it
    /// ended cleanly and another request may follow; the next one is parsed if the state is
    /// idle again.
    mutating func replyEnded(keepAlive: Bool, now: UInt64) {
        lastActivity = now
        state = keepAlive && !draining ? .idle : .flushing(peerClosed: false)
    }

    // MARK: Output

    /// Output was handed to the socket; `queued` bytes of it wait in the write queue.
    mutating func wrote(queued: Int) -> Action {
        guard case .flushing(let peerClosed) = state, queued == 0 else { return .none }
        return flushed(peerClosed: peerClosed)
    }

    /// A queued write is done (`failed`: refused); `queued` bytes still wait. A paused stream
    /// resumes once the queue is down to `resumeAt`.
    mutating func writeCompleted(failed: Bool, queued: Int, resumeAt: Int) -> Action {
        if isClosed { return .none }
        if failed { return close() }
        switch state {
        case .flushing(let peerClosed) where queued == 0:
            return flushed(peerClosed: peerClosed)
        case .streaming(let stream, paused: true) where queued <= resumeAt:
            state = .streaming(stream, paused: false)
            return .resumeStream(stream)
        case .webSocket(paused: true) where queued <= resumeAt:
            state = .webSocket(paused: false)
            return .resumeWebSocket
        default:
            return .none
        }
    }

    private mutating func flushed(peerClosed: Bool) -> Action {
        if peerClosed { return close() }
        state = .lingering
        defer { readPaused = false }
        return .shutdownAndLinger(resumeReading: readPaused)
    }

    // MARK: Ends

    /// The peer closed its side (`cleanly`: EOF, else a read error); `queued` bytes wait.
    mutating func peerClosed(cleanly: Bool, queued: Int) -> Action {
        switch state {
        case .closed:
            return .none
        case .idle where cleanly, .flushing where cleanly:
            if queued == 0 { return close() }
            state = .flushing(peerClosed: true)
            return .stopReading
        case .idle, .flushing, .delayed, .streaming, .lingering, .webSocket:
            return close()  // gone mid-reply (its schedule goes with it), an error, or lingering is over
        }
    }

    /// The server is draining: what is in progress finishes, then the connection closes;
    /// between requests it closes once what is queued (`queued` bytes) is written.
    mutating func drain(queued: Int) -> Action {
        switch state {
        case .closed:
            return .none
        case .delayed, .streaming:
            draining = true
            return .none
        case .webSocket:
            draining = true
            return .drainWebSocket
        case .idle, .flushing, .lingering:
            draining = true
            if queued == 0 { return close() }
            if case .idle = state { state = .flushing(peerClosed: false) }
            return .none
        }
    }

    /// The periodic sweep at loop time `now`: a request that has not arrived whole within
    /// `requestTimeout` ms gets a 408; a connection idle for `idleTimeout` ms with nothing
    /// queued closes.
    mutating func timeoutCheck(now: UInt64, idleTimeout: UInt64, requestTimeout: UInt64, queued: Int) -> Action {
        if case .webSocket = state { return .checkWebSocket }
        guard case .idle = state else { return .none }
        if requestStarted != 0 {
            guard now &- requestStarted >= requestTimeout else { return .none }
            state = .flushing(peerClosed: false)
            return .answerRequestTimeout
        }
        if now &- lastActivity >= idleTimeout && queued == 0 { return close() }
        return .none
    }

    /// The linger time is over.
    mutating func lingerExpired() -> Action {
        close()
    }

    /// Closes now (a write refused, a stream cut at its limit, the server stopping): returns
    /// the reply in progress to report as cut, or `.none` if already closed.
    mutating func close() -> Action {
        isClosed ? .none : .close(cutting: end())
    }

    /// As `close`, with a reset: a scripted connection reset.
    mutating func reset() -> Action {
        isClosed ? .none : .reset(cutting: end())
    }

    /// Moves to `closed`; returns the reply that was in progress, if any.
    private mutating func end() -> Cut? {
        defer { state = .closed }
        switch state {
        case .delayed(let reply): return .delayed(reply)
        case .streaming(let stream, _): return .stream(stream)
        case .webSocket: return .webSocket
        case .idle, .flushing, .lingering, .closed: return nil
        }
    }
}

extension ConnectionStateMachine.State: Equatable where Delayed: Equatable, Stream: Equatable {}
extension ConnectionStateMachine.Cut: Equatable where Delayed: Equatable, Stream: Equatable {}
extension ConnectionStateMachine.Action: Equatable where Delayed: Equatable, Stream: Equatable {}
