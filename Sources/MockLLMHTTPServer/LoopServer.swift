import MockLLMCore
import MockLLMLoop

#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on one loop: its listeners, its connections, and the buffers they share.
///
/// Buffers are shared per loop rather than held per connection: a read is parsed and a write
/// attempted before control returns to the loop, so one read buffer and one output buffer
/// serve every connection, and an idle connection holds no buffer at all.
package final class LoopServer {
    package struct Options: Sendable {
        package var limits = RequestParser.Limits()
        package var backlog: Int32 = 4096
        /// Above this many bytes queued in the kernel-refused write queue, a stream stops
        /// producing events until the client reads (docs/ARCHITECTURE.md, "Connections").
        package var writeHighWaterMark = 256 * 1024
        /// While a reply is in progress, pipelined bytes beyond this are not read.
        package var maxBufferedPipelineBytes = 64 * 1024
        /// How long a closing connection keeps reading (and discarding) so that the client
        /// receives the final response instead of a reset (nginx's lingering close).
        package var lingerMilliseconds: UInt64 = 2000
        /// A keep-alive connection with no request for this long is closed (nginx: 75 s).
        package var idleTimeoutMilliseconds: UInt64 = 75_000
        /// A request must arrive whole (head and body) within this long of its first byte,
        /// else 408 and close: what stops a slowloris client holding a connection for ever.
        package var requestTimeoutMilliseconds: UInt64 = 30_000
        /// Connections this loop serves at once; those beyond get one quick 503 (in the shape of
        /// the provider their request addressed) and are closed.
        package var maxConnections = Int.max
        /// A stream whose schedule runs longer than this is cut (the connection closes).
        package var maxStreamMilliseconds: UInt64 = 3_600_000
        /// WebSocket sessions' limits and timeouts.
        package var webSocket = WebSocketOptions()

        package init() {}
    }

    /// WebSocket sessions' limits and timeouts (docs/PROTOCOLS.md, "WebSocket").
    package struct WebSocketOptions: Sendable {
        /// The longest message a client may send (all its fragments; longer: closed with 1009).
        package var maxMessageBytes = 16 << 20
        /// After this long with nothing read from a client, the server pings it (0: never).
        package var pingMilliseconds: UInt64 = 30_000
        /// After this long with nothing read from a client (not even the pong to a ping), the
        /// server closes the session with 1001.
        package var idleTimeoutMilliseconds: UInt64 = 120_000
        /// How long the server waits for the client's close frame after sending its own before
        /// it closes the connection.
        package var closeTimeoutMilliseconds: UInt64 = 5_000

        package init() {}
    }

    /// Counters of this loop; kept on the loop thread, merged across loops on read.
    package struct Stats: Sendable, Equatable {
        package var acceptedConnections = 0
        package var openConnections = 0
        package var requests = 0
        package var streamsStarted = 0
        package var streamsCompleted = 0
        package var streamsAborted = 0
        /// Times a stream paused because its client read slower than it was written.
        package var streamsPaused = 0
        /// Timed writes: stream events and delayed replies.
        package var events = 0
        /// How late each timed write was: the time it was written minus the time it was due.
        package var lateness = LatencyHistogram()
        /// How late this loop began writing the tokens of each engine step it had tokens of:
        /// the time it began minus the step's end (one value per step and loop).
        package var stepLateness = LatencyHistogram()
        /// Stream events written.
        package var streamEvents = 0
        /// The time between consecutive events of a stream as written, from its first payload
        /// event on (`EventSource.firstPayloadEvent`; events written together: 0).
        package var payloadIntervals = LatencyHistogram()
        /// WebSocket sessions opened (101 written) and ended; messages read and written.
        package var webSocketsOpened = 0
        package var webSocketsClosed = 0
        package var webSocketMessagesIn = 0
        package var webSocketMessagesOut = 0

        /// WebSocket sessions open now.
        package var openWebSockets: Int { max(0, webSocketsOpened - webSocketsClosed) }

        package init() {}

        @inline(__always)
        mutating func recordLateness(_ nanoseconds: UInt64) {
            events &+= 1
            lateness.record(nanoseconds)
        }

        /// A stream event written `lateness` nanoseconds after it was due and `interval` after
        /// the stream's previous one (nil before its first payload event): one call per event.
        @inline(__always)
        mutating func recordStreamEvent(lateness nanoseconds: UInt64, interval: UInt64?) {
            recordLateness(nanoseconds)
            streamEvents &+= 1
            if let interval { payloadIntervals.record(interval) }
        }

        /// Adds another loop's counters.
        package mutating func merge(_ other: Stats) {
            acceptedConnections += other.acceptedConnections
            openConnections += other.openConnections
            requests += other.requests
            streamsStarted += other.streamsStarted
            streamsCompleted += other.streamsCompleted
            streamsAborted += other.streamsAborted
            streamsPaused += other.streamsPaused
            events += other.events
            lateness.merge(other.lateness)
            stepLateness.merge(other.stepLateness)
            streamEvents += other.streamEvents
            payloadIntervals.merge(other.payloadIntervals)
            webSocketsOpened += other.webSocketsOpened
            webSocketsClosed += other.webSocketsClosed
            webSocketMessagesIn += other.webSocketMessagesIn
            webSocketMessagesOut += other.webSocketMessagesOut
        }
    }

    let loop: EventLoop
    let handler: any HTTPHandler
    let options: Options
    private var listeners: [TCPListener] = []
    /// When each scheduled connection is next due.
    let deadlines: DeadlineQueue
    private var connections: [ObjectIdentifier: Connection] = [:]
    let readBuffer = SharedReadBuffer()
    // The buffers and counters every request and stream event touches. No access to them can
    // overlap another (a swap, or one call into MockLLMCore that knows nothing of the server),
    // so the runtime's exclusivity check, about 60 instructions an access, is off.
    @exclusivity(unchecked) private var spareOutput = ByteBuffer()
    /// Scratch space for one stream event before it is framed (`Connection.pump` borrows it).
    @exclusivity(unchecked) var eventScratch = ByteBuffer()
    /// Checks idle and request timeouts once a second: a store per read instead of a timer
    /// per connection, and one pass over the connections each second.
    private var sweeper: LoopTimer?
    private var dateSecond = -1
    private var dateValue = ""
    @exclusivity(unchecked) var stats = Stats()
    /// Draining: not listening; each connection closes once its reply in progress is done.
    package private(set) var draining = false
    /// Called once, when draining and the last connection has gone.
    private var onDrained: (() -> Void)?

    package init(loop: EventLoop, handler: any HTTPHandler, options: Options = Options()) {
        self.loop = loop
        self.handler = handler
        self.options = options
        deadlines = DeadlineQueue(loop: loop)
        spareOutput.reserveCapacity(64 * 1024)
        eventScratch.reserveCapacity(4 * 1024)
        let timer = LoopTimer(loop: loop) { [unowned self] in self.sweepTimeouts() }
        timer.unref()
        let webSocket = options.webSocket
        var shortest = min(options.idleTimeoutMilliseconds, options.requestTimeoutMilliseconds, webSocket.idleTimeoutMilliseconds,
                           webSocket.closeTimeoutMilliseconds)
        if webSocket.pingMilliseconds > 0 { shortest = min(shortest, webSocket.pingMilliseconds) }
        let period = max(10, min(1000, shortest / 4))
        timer.start(after: period, repeat: period)
        sweeper = timer
    }

    /// Closes connections idle past the idle timeout; answers 408 to requests that have not
    /// arrived whole within the request timeout.
    private func sweepTimeouts() {
        let now = loop.nowMilliseconds
        for connection in connections.values {
            connection.checkTimeouts(now: now)
        }
    }

    /// Binds and listens; returns the bound port (useful when `port` is 0).
    @discardableResult
    package func listen(host: String, port: Int, reusePort: Bool = false) throws(UVError) -> Int {
        let listener = try TCPListener(
            loop: loop, host: host, port: port, backlog: options.backlog, reusePort: reusePort
        ) { [unowned self] listener in self.accept(from: listener) }
        listeners.append(listener)
        return listener.port
    }

    package var connectionCount: Int { connections.count }

    /// The loop began writing an engine step's tokens `nanoseconds` after the step's end.
    package func recordStepLateness(_ nanoseconds: UInt64) {
        stats.stepLateness.record(nanoseconds)
    }

    package var statistics: Stats {
        var current = stats
        current.openConnections = connections.count
        return current
    }

    /// Stops accepting new connections.
    package func stopListening() {
        for listener in listeners { listener.close() }
        listeners = []
    }

    /// Closes every connection at once, streams included.
    package func closeAllConnections() {
        for connection in Array(connections.values) { connection.close() }
    }

    /// Graceful stop: stops accepting, closes idle connections now, and lets every reply or
    /// stream in progress finish (its connection then closes instead of reading another
    /// request). `drained` runs once no connection is left; call `shutdown()` to cut it short.
    package func drain(then drained: @escaping () -> Void) {
        guard !draining else { return }
        draining = true
        onDrained = drained
        stopListening()
        for connection in Array(connections.values) { connection.drain() }
        checkDrained()
    }

    private func checkDrained() {
        guard draining, connections.isEmpty, let done = onDrained else { return }
        onDrained = nil
        done()
    }

    /// Stops listening, closes every connection and the loop's schedule: after this the loop
    /// has nothing left and `run()` returns.
    package func shutdown() {
        onDrained = nil
        sweeper?.close()
        sweeper = nil
        stopListening()
        closeAllConnections()
        deadlines.close()
    }

    private func accept(from listener: TCPListener) {
        let connection = Connection(server: self, overLimit: connections.count >= options.maxConnections)
        connections[ObjectIdentifier(connection)] = connection
        stats.acceptedConnections += 1
        connection.start(acceptingFrom: listener)
    }

    /// Called once all of a connection's handles are closed.
    func remove(_ connection: Connection) {
        connections[ObjectIdentifier(connection)] = nil
        checkDrained()
    }

    /// The `date` header value, formatted once per second.
    var date: String {
        let now = time(nil)
        if now != dateSecond {
            dateSecond = now
            dateValue = HTTPDate.format(unixSeconds: now)
        }
        return dateValue
    }

    /// An empty output buffer with capacity; give it back with `recycle`.
    func takeOutput() -> ByteBuffer {
        var buffer = ByteBuffer()
        swap(&buffer, &spareOutput)
        return buffer
    }

    func recycle(_ buffer: inout ByteBuffer) {
        buffer.removeAll()
        if buffer.capacity <= 1 << 20 { swap(&buffer, &spareOutput) }
    }
}
