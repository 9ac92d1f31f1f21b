import CLibUV
import MockLLMCore

/// One accepted TCP connection.
///
/// It parses requests as bytes arrive and executes their replies strictly in order: while a
/// delayed reply or a stream is in progress, later pipelined requests wait in the parser. It
/// keeps reading during a stream, so a client that goes away is noticed at once and the
/// stream leaves the loop's schedule with the connection.
///
/// Lifetime: the `LoopServer` holds the connection from accept until the close callbacks of
/// all its handles (socket and, if one was needed, linger timer) have run.
final class Connection {
    enum Phase {
        case idle
        case delayed(DelayedReply)
        case streaming(StreamRun)
    }

    unowned let server: LoopServer
    let tcp: UnsafeMutablePointer<uv_tcp_t>
    /// Created only for a lingering close; stream events and delays use the loop's deadline queue.
    var lingerTimer: UnsafeMutablePointer<uv_timer_t>?
    /// Place in the loop's `DeadlineQueue` (-1: not scheduled); the queue keeps the deadline.
    var queueIndex = -1
    var parser: RequestParser
    var phase = Phase.idle
    /// Once what is queued is written, shut down the write side and close.
    var closeWhenFlushed = false
    /// Write side shut down; reading and discarding until EOF or the linger timeout.
    var lingering = false
    var peerClosed = false
    var closing = false
    var readPaused = false
    var openHandles = 1
    /// Accepted beyond the loop's connection limit: its first request gets a 503 and it closes.
    var overLimit = false
    /// Loop time (ms) of the last read or the end of the last reply: the idle clock.
    var lastActivity: UInt64 = 0
    /// Loop time (ms) the request being received began to arrive (0: none partly received).
    var requestStarted: UInt64 = 0

    var stream: UnsafeMutablePointer<uv_stream_t> { mockllm_tcp_as_stream(tcp) }

    init(server: LoopServer) {
        self.server = server
        parser = RequestParser(limits: server.options.limits)
        tcp = .allocate(capacity: 1)
        uv_tcp_init(server.loop.raw, tcp)
        tcp.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        lastActivity = server.loop.nowMilliseconds
    }

    /// Accepts the pending connection of `listener` and starts reading.
    func start(acceptingFrom listener: UnsafeMutablePointer<uv_stream_t>) {
        guard uv_accept(listener, stream) == 0 else {
            close()
            return
        }
        uv_tcp_nodelay(tcp, 1)
        if uv_read_start(stream, allocateReadBuffer, onRead) != 0 { close() }
    }

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

    func didReachEndOfInput(_ status: Int32) {
        peerClosed = true
        if status != UV_EOF.rawValue || lingering { return close() }
        switch phase {
        case .idle:
            uv_read_stop(stream)
            if uv_stream_get_write_queue_size(stream) == 0 { close() } else { closeWhenFlushed = true }
        case .delayed, .streaming:
            close()  // the client is gone: stop its timers now
        }
    }

    /// The server is draining: finish what is in progress, then close.
    func drain() {
        guard !closing else { return }
        if case .idle = phase {
            // Between requests: nothing in progress. Close once what is queued is written.
            if uv_stream_get_write_queue_size(stream) == 0 { return close() }
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
                  uv_stream_get_write_queue_size(stream) == 0 {
            close()
        }
    }

    private func pauseReading() {
        guard !readPaused else { return }
        uv_read_stop(stream)
        readPaused = true
    }

    func resumeReading() {
        guard readPaused, !closing, !peerClosed else { return }
        readPaused = false
        if uv_read_start(stream, allocateReadBuffer, onRead) != 0 { close() }
    }
}

private func allocateReadBuffer(
    _ handle: UnsafeMutablePointer<uv_handle_t>?, _ suggested: Int, _ buf: UnsafeMutablePointer<uv_buf_t>?
) {
    guard let handle, let buf, let data = handle.pointee.data else { return }
    let connection = Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue()
    let storage = connection.server.readBuffer
    buf.pointee = uv_buf_init(storage.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(storage.count))
}

private func onRead(_ stream: UnsafeMutablePointer<uv_stream_t>?, _ nread: Int, _ buf: UnsafePointer<uv_buf_t>?) {
    guard let stream, let data = stream.pointee.data else { return }
    let connection = Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue()
    if nread > 0, let base = buf?.pointee.base {
        connection.didRead(UnsafeRawBufferPointer(start: base, count: nread))
    } else if nread < 0 {
        connection.didReachEndOfInput(Int32(nread))
    }
}
