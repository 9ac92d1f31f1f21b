import MockLLMCore
import MockLLMLoop

/// One accepted TCP connection.
///
/// It parses requests as bytes arrive and executes their replies strictly in order: while a
/// delayed reply or a stream is in progress, later pipelined requests wait in the parser. It
/// keeps reading during a stream, so a client that goes away is noticed at once and the
/// stream leaves the loop's schedule with the connection.
///
/// Lifetime: the `LoopServer` holds the connection from accept until its socket says all its
/// handles are closed (`streamDidClose`).
final class Connection: TCPStreamDelegate, DeadlineHeapElement {
    enum Phase {
        case idle
        case delayed(DelayedReply)
        case streaming(StreamRun)
    }

    unowned let server: LoopServer
    let socket: TCPStream
    /// Place in the loop's `DeadlineQueue` (-1: not scheduled); the queue keeps the deadline.
    var deadlineHeapIndex = -1
    var parser: RequestParser
    var phase = Phase.idle
    /// Once what is queued is written, shut down the write side and close.
    var closeWhenFlushed = false
    /// Write side shut down; reading and discarding until EOF or the linger timeout.
    var lingering = false
    var peerClosed = false
    var closing = false
    var readPaused = false
    /// Accepted beyond the loop's connection limit: its first request gets a 503 and it closes.
    var overLimit = false
    /// Loop time (ms) of the last read or the end of the last reply: the idle clock.
    var lastActivity: UInt64 = 0
    /// Loop time (ms) the request being received began to arrive (0: none partly received).
    var requestStarted: UInt64 = 0

    init(server: LoopServer) {
        self.server = server
        parser = RequestParser(limits: server.options.limits)
        socket = TCPStream(loop: server.loop, readBuffer: server.readBuffer)
        lastActivity = server.loop.nowMilliseconds
        socket.delegate = self
    }

    /// Accepts the pending connection of `listener` and starts reading.
    func start(acceptingFrom listener: TCPListener) {
        guard socket.accept(from: listener), socket.startReading() else { return close() }
    }

    // MARK: Socket events

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) { didRead(bytes) }
    func streamDidReachEnd(error: Bool) { didReachEndOfInput(error: error) }
    func streamDidWrite(failed: Bool) { writeCompleted(failed: failed) }
    func streamTimerFired() { close() }  // the linger time is over
    func streamDidClose() { server.remove(self) }

    // MARK: Reading

    func didRead(_ bytes: UnsafeRawBufferPointer) {
        if closeWhenFlushed || lingering || closing { return }  // nothing after a final reply is processed
        lastActivity = server.loop.nowMilliseconds
        parser.lend(bytes)  // `bytes` is the loop's shared read buffer: keep what is left before returning
        defer { parser.keepUnconsumed() }
        guard case .idle = phase else {
            if parser.bufferedByteCount > server.options.maxBufferedPipelineBytes { pauseReading() }
            return
        }
        var out = server.takeOutput()
        processRequests(&out)
        send(&out)
    }

    func didReachEndOfInput(error: Bool) {
        peerClosed = true
        if error || lingering { return close() }
        switch phase {
        case .idle:
            socket.stopReading()
            if socket.writeQueueSize == 0 { close() } else { closeWhenFlushed = true }
        case .delayed, .streaming:
            close()  // the client is gone: stop its timers now
        }
    }

    /// The server is draining: finish what is in progress, then close.
    func drain() {
        guard !closing else { return }
        if case .idle = phase {
            // Between requests: nothing in progress. Close once what is queued is written.
            if socket.writeQueueSize == 0 { return close() }
            closeWhenFlushed = true
        }
        // A reply in progress: `processRequests` ends the connection after it.
    }

    /// Answers every complete request in the buffer until one needs time (a delay or a stream).
    func processRequests(_ out: inout ByteBuffer) {
        if server.draining, case .idle = phase, !closing {
            closeWhenFlushed = true  // the reply in progress is done; no further request is read
            return
        }
        while case .idle = phase, !closeWhenFlushed, !closing {
            switch parser.next() {
            case .needMoreData:
                if parser.bufferedByteCount == 0 {
                    requestStarted = 0
                } else if requestStarted == 0 {
                    requestStarted = server.loop.nowMilliseconds
                }
                resumeReading()
                return
            case .continueExpected:
                ResponseWriter.appendContinue(into: &out)
            case .error(let error):
                let reply = server.handler.reply(to: error)
                appendResponse(status: reply.status, headers: reply.headers, body: reply.bodyBytes,
                               version: .http11, keepAlive: false, headOnly: false, into: &out)
                closeWhenFlushed = true
            case .request(let request) where overLimit:
                requestStarted = 0
                let reply = server.handler.reply(to: HTTPParseError(
                    503, "the server has \(server.options.maxConnections) connections open, its limit", target: request.target))
                appendResponse(status: reply.status, headers: reply.headers, body: reply.bodyBytes,
                               version: request.version, keepAlive: false, headOnly: request.method == "HEAD", into: &out)
                closeWhenFlushed = true
            case .request(let request):
                requestStarted = 0
                server.stats.requests += 1
                begin(server.handler.reply(to: request), for: request, out: &out)
            }
        }
    }

    /// Called about once a second by the server's sweep.
    func checkTimeouts(now: UInt64) {
        guard case .idle = phase, !closing, !lingering, !closeWhenFlushed else { return }
        let options = server.options
        if requestStarted != 0 {
            guard now &- requestStarted >= options.requestTimeoutMilliseconds else { return }
            let reply = server.handler.reply(to: HTTPParseError(408, "the request did not arrive within \(options.requestTimeoutMilliseconds) ms"))
            var out = server.takeOutput()
            appendResponse(status: reply.status, headers: reply.headers, body: reply.bodyBytes,
                           version: .http11, keepAlive: false, headOnly: false, into: &out)
            closeWhenFlushed = true
            send(&out)
        } else if now &- lastActivity >= options.idleTimeoutMilliseconds,
                  socket.writeQueueSize == 0 {
            close()
        }
    }

    private func pauseReading() {
        guard !readPaused else { return }
        socket.stopReading()
        readPaused = true
    }

    func resumeReading() {
        guard readPaused, !closing, !peerClosed else { return }
        readPaused = false
        if !socket.startReading() { close() }
    }
}
