import MockLLMCore
import MockLLMLoop

/// One slot of the load: runs one stream at a time over a keep-alive connection that it reuses
/// for the next stream, and measures it.
///
/// Timing: one monotonic timestamp per read, taken as the read arrives; every token event of
/// that read is stamped with it. TTFT runs from the request written to the first token event;
/// each later token event records the interval since the previous read that carried one (and
/// 0 for each further token event in the same read).
final class StreamClient: BenchSlot, TCPClientConnectionDelegate {
    typealias Phase = BenchSlotPhase

    unowned let runner: BenchRunner
    private var connection: TCPClientConnection?
    private(set) var phase = Phase.idle
    private var reader = ResponseReader()
    private var scanner: BodyScanner
    /// When the runner started the stream (for `--timeout`).
    private(set) var startedAt: UInt64 = 0
    private var writtenAt: UInt64 = 0
    /// The stream's events counted and its token events timed so far.
    private var timing = TokenTiming()
    private var status = 0
    private var receivedAny = false
    private var onReusedConnection = false
    private var retried = false

    init(runner: BenchRunner) {
        self.runner = runner
        scanner = BodyScanner(provider: runner.plan.provider)
    }

    /// Starts a stream: on the open connection if there is one, else on a new one.
    func start(at now: UInt64) {
        startedAt = now
        retried = false
        send()
    }

    private func send() {
        reader = ResponseReader()
        scanner.reset()
        timing.reset()
        status = 0
        receivedAny = false
        if let connection, connection.isConnected {
            onReusedConnection = true
            writeRequest(on: connection)
        } else {
            onReusedConnection = false
            phase = .connecting
            let fresh = TCPClientConnection(loop: runner.loop, readBuffer: runner.readBuffer, delegate: self)
            connection = fresh
            fresh.connect(to: runner.address)
        }
    }

    private func writeRequest(on connection: TCPClientConnection) {
        phase = .active
        let written = runner.plan.request.withUnsafeBytes { connection.write($0) }
        if written { writtenAt = EventLoop.hrtime }  // else the connection ended and was handled
    }

    func connectionDidConnect(_ connection: TCPClientConnection) {
        guard connection === self.connection, phase == .connecting else { return }
        writeRequest(on: connection)
    }

    func connection(_ connection: TCPClientConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard connection === self.connection else { return }
        let now = EventLoop.hrtime
        runner.metrics.bytes += bytes.count
        guard phase == .active else { return dropConnection() }  // bytes nobody asked for
        receivedAny = true
        var i = 0
        do {
            while true {
                switch try reader.next(bytes, from: &i) {
                case .needMoreData:
                    timeTokens(at: now)
                    return
                case .head(let head):
                    status = head.status
                    runner.didReceiveHead(head)
                case .body(let range):
                    if status == 200 { scanner.scan(UnsafeRawBufferPointer(rebasing: bytes[range])) }
                case .end(let keepAlive):
                    if status == 200 { scanner.endOfBody() }
                    timeTokens(at: now)
                    if !keepAlive || i < bytes.count { dropConnection() }
                    return complete(at: now)
                }
            }
        } catch {
            timeTokens(at: now)
            fail(.malformed, at: now)
        }
    }

    func connection(_ connection: TCPClientConnection, didCloseWith error: UVError?) {
        guard connection === self.connection else { return }
        self.connection = nil
        let now = EventLoop.hrtime
        switch phase {
        case .idle:
            return  // a kept-alive connection closed between streams: the next one reconnects
        case .connecting:
            finish(.failed(.connect), at: now)
        case .active:
            if reader.endOfInput() == .complete {
                if status == 200 { scanner.endOfBody() }
                timeTokens(at: now)
                complete(at: now)
            } else if onReusedConnection && !receivedAny && !retried {
                retried = true  // the server closed the idle connection as we reused it: once more, fresh
                send()
            } else {
                fail(.closedEarly, at: now)
            }
        }
    }

    /// Ends the stream in progress, if any, as failed (a timeout, or cut at the end of the run).
    func cut(_ failure: BenchFailure, at now: UInt64) {
        guard phase != .idle else { return }
        fail(failure, at: now)
    }

    /// Closes the kept-alive connection (at the end of the run).
    func closeConnection() {
        dropConnection()
    }

    /// Counts the events of the read just scanned and times its token events (called once per read).
    private func timeTokens(at now: UInt64) {
        timing.record(scanner.tally, at: now, writtenAt: writtenAt, into: &runner.metrics)
    }

    private func complete(at now: UInt64) {
        if status != 200 {
            finish(.failed(.status(status)), at: now)
        } else {
            finish(scanner.tally.failure.map(StreamOutcome.failed) ?? .completed, at: now)
        }
    }

    private func fail(_ failure: BenchFailure, at now: UInt64) {
        dropConnection()
        finish(.failed(failure), at: now)
    }

    private func finish(_ outcome: StreamOutcome, at now: UInt64) {
        phase = .idle
        runner.streamEnded(self, outcome, at: now)
    }

    private func dropConnection() {
        connection?.close()
        connection = nil
    }
}

/// How a stream ended.
enum StreamOutcome: Equatable {
    case completed
    case failed(BenchFailure)
}
