import MockLLMCore
import MockLLMLoop

/// One accepted TCP connection: the driver of its `ConnectionStateMachine`.
///
/// The machine decides; the connection parses, asks the handler, builds responses, writes them
/// and carries out the machine's actions on its `TCPStream` and the loop's `DeadlineQueue`.
/// Replies go out strictly in order: while a delayed reply or a stream is in progress, later
/// pipelined requests wait in the parser. Reading goes on during a stream, so a client that
/// goes away is noticed at once and the stream leaves the loop's schedule with the connection.
///
/// Lifetime: the `LoopServer` holds the connection from accept until its socket says all its
/// handles are closed (`streamDidClose`).
final class Connection: TCPStreamDelegate, DeadlineHeapElement, ReplyLinkTarget {
    typealias StateMachine = ConnectionStateMachine<DelayedReply, StreamRun>

    /// unowned(unsafe): the server holds the connection until its last handle is closed, so it is
    /// always there; a checked `unowned` costs a retain and release in the runtime per use.
    unowned(unsafe) let server: LoopServer
    let socket: TCPStream
    /// Place in the loop's `DeadlineQueue` (-1: not scheduled); the queue keeps the deadline.
    var deadlineHeapIndex = -1
    // Each access to these two is one call of their own methods, which cannot reach back into
    // the connection (the parser knows nothing of it, the state machine calls nothing): no
    // access can overlap another, so the runtime's exclusivity check, two calls into the
    // runtime per access and about 60 instructions, is off. Several accesses a request.
    @exclusivity(unchecked) var parser: RequestParser
    @exclusivity(unchecked) var state: StateMachine
    /// The WebSocket session once the connection is upgraded (`Connection+WebSocket.swift`).
    var webSocket: WebSocketRun?

    init(server: LoopServer, overLimit: Bool) {
        self.server = server
        parser = RequestParser(limits: server.options.limits)
        socket = TCPStream(loop: server.loop, readBuffer: server.readBuffer)
        state = StateMachine(overLimit: overLimit, now: server.loop.nowMilliseconds)
        socket.delegate = self
    }

    /// Accepts the pending connection of `listener` and starts reading.
    func start(acceptingFrom listener: TCPListener) {
        do throws(UVError) {
            try socket.accept(from: listener)
            try socket.startReading()
        } catch {
            close()
        }
    }

    // MARK: Socket events

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        switch state.bytesRead(now: server.loop.nowMilliseconds) {
        case .parseRequests:
            parser.lend(bytes)  // `bytes` is the loop's shared read buffer: keep what is left before returning
            defer { parser.keepUnconsumed() }
            var out = server.takeOutput()
            processRequests(&out)
            send(&out)
        case .holdInput:
            parser.lend(bytes)
            defer { parser.keepUnconsumed() }
            perform(state.inputHeld(bufferedBytes: parser.bufferedBytes(), limit: server.options.maxBufferedPipelineBytes))
        case .readFrames:
            webSocketDidRead(bytes)
        default:
            return
        }
    }

    func streamDidReachEnd(error: UVError?) {
        perform(state.peerClosed(cleanly: error == nil, queued: socket.writeQueueSize))
    }

    func streamDidWrite(error: UVError?) {
        perform(state.writeCompleted(failed: error != nil, queued: socket.writeQueueSize,
                                     resumeAt: server.options.writeHighWaterMark / 2))
    }

    func streamTimerFired() {
        perform(state.lingerExpired())
    }

    func streamDidClose() {
        server.remove(self)
    }

    // MARK: Server events

    /// The server is draining: finish what is in progress, then close.
    func drain() {
        perform(state.drain(queued: socket.writeQueueSize))
    }

    /// Called about once a second by the server's sweep.
    func checkTimeouts(now: UInt64) {
        let options = server.options
        let action = state.timeoutCheck(now: now, idleTimeout: options.idleTimeoutMilliseconds,
                                        requestTimeout: options.requestTimeoutMilliseconds, queued: socket.writeQueueSize)
        if case .checkWebSocket = action { return checkWebSocket(now: now) }
        guard case .answerRequestTimeout = action else { return perform(action) }
        let reply = server.handler.reply(to: HTTPParseError(408, "the request did not arrive within \(options.requestTimeoutMilliseconds) ms"))
        var out = server.takeOutput()
        appendResponse(status: reply.status, headers: reply.headers, body: reply.bodyBytes,
                       version: .http11, keepAlive: false, headOnly: false, into: &out)
        send(&out)
    }

    // MARK: Requests

    /// Answers every complete request in the buffer while the connection is idle: until one
    /// needs time (a delay or a stream), or is its last.
    func processRequests(_ out: inout ByteBuffer) {
        while state.isIdle {
            switch parser.next() {
            case .needMoreData:
                return perform(state.needMoreData(bufferedBytes: parser.bufferedBytes(), now: server.loop.nowMilliseconds))
            case .continueExpected:
                ResponseWriter.appendContinue(into: &out)
            case .error(let error):
                state.parseFailed()
                let reply = server.handler.reply(to: error)
                appendResponse(status: reply.status, headers: reply.headers, body: reply.bodyBytes,
                               version: .http11, keepAlive: false, headOnly: false, into: &out)
            case .request(let request):
                guard case .answerRequest = state.requestParsed() else {
                    let reply = server.handler.reply(to: HTTPParseError(
                        503, "the server has \(server.options.maxConnections) connections open, its limit", target: request.target))
                    appendResponse(status: reply.status, headers: reply.headers, body: reply.bodyBytes,
                                   version: request.version, keepAlive: false, headOnly: request.method == "HEAD", into: &out)
                    continue
                }
                server.stats.requests += 1
                begin(server.handler.reply(to: request), for: request, out: &out)
            }
        }
    }

    // MARK: Actions

    /// Carries out what the state machine decided about the socket and the schedule.
    func perform(_ action: StateMachine.Action) {
        switch action {
        case .none, .parseRequests, .holdInput, .answerRequest, .refuseOverLimit, .answerRequestTimeout,
             .sendDelayedReply, .pumpStream, .readFrames, .pumpWebSocket, .checkWebSocket:
            break  // what to write: handled where the event is reported
        case .pauseReading, .stopReading:
            socket.stopReading()
        case .resumeReading:
            if (try? socket.startReading()) == nil { close() }
        case .resumeStream(let run):
            resumeAfterBackpressure(run)
        case .resumeWebSocket:
            resumeWebSocket()
        case .drainWebSocket:
            drainWebSocket()
        case .shutdownAndLinger(let resume):
            do throws(UVError) {
                try socket.shutdownWrite()
                if resume { try socket.startReading() }
            } catch {
                return close()
            }
            socket.startTimer(milliseconds: server.options.lingerMilliseconds)
        case .close(let cut):
            closeSocket(cutting: cut, reset: false)
        case .reset(let cut):
            closeSocket(cutting: cut, reset: true)
        }
    }

    /// Closes now; pending writes are cancelled.
    func close() {
        perform(state.close())
    }

    private func closeSocket(cutting cut: StateMachine.Cut?, reset: Bool) {
        switch cut {
        case .stream(let run):
            server.stats.streamsAborted += 1
            report(run, aborted: true)
            run.link?.cut()
        case .delayed(let reply):
            report(reply, aborted: true)
            reply.link?.cut()
        case .webSocket:
            if let run = webSocket { endSession(run, code: WebSocketFrame.CloseCode.abnormal) }
        case nil:
            break
        }
        server.deadlines.cancel(self)
        if reset { socket.reset() } else { socket.close() }
    }
}

extension RequestParser {
    /// `bufferedByteCount` read through `inout`, which lends the parser in place. Read as a
    /// stored property of the connection, the whole struct was copied around the call into
    /// MockLLMCore (about 160 instructions a request): an opaque call might change a class's
    /// property behind the read, never an `inout` value.
    fileprivate mutating func bufferedBytes() -> Int { bufferedByteCount }
}
