import MockLLMCore
import MockLLMLoop

/// A WebSocket session in flight on a connection (after its 101): the session, the frame
/// parser, where the close handshake stands and the clocks of the ping and idle timeout.
final class WebSocketRun {
    let session: any WebSocketSession
    var parser: WebSocketFrameParser
    /// What the session asks to send, reused across calls.
    var outputs: [WebSocketOutput] = []
    /// The server has sent its close frame: nothing more is sent, and the session is not
    /// asked for anything more.
    var closeSent = false
    /// The session has been told `ended`.
    var ended = false
    /// Loop time (ms) by which the client's close frame must arrive once ours is sent.
    var closeBy: UInt64 = 0
    /// Loop time (ms) of the last bytes read: the ping and idle clocks.
    var lastRead: UInt64
    /// Loop time (ms) a ping went out that no bytes have answered yet (0: none).
    var pingSent: UInt64 = 0
    /// For `HTTPHandler.replyFinished`: the reply's trace and when the session opened.
    let trace: Int
    let start: UInt64
    var firstMessage: UInt64?
    var messagesOut = 0

    init(session: any WebSocketSession, maxMessageBytes: Int, now: UInt64, trace: Int) {
        self.session = session
        parser = WebSocketFrameParser(role: .server, maxMessageBytes: maxMessageBytes)
        lastRead = now
        self.trace = trace
        start = EventLoop.hrtime
    }
}

extension Connection {
    /// Writes the 101 and hands the connection to `session`: the bytes that followed the
    /// request are its first frames.
    func beginWebSocket(_ session: any WebSocketSession, status: Int, headers: HTTPFields, version: HTTPVersion, trace: Int,
                        out: inout ByteBuffer) {
        ResponseWriter.appendHead(status: status, headers: headers, framing: .untilClose, version: version, keepAlive: true,
                                  date: server.date, into: &out)
        let run = WebSocketRun(session: session, maxMessageBytes: server.options.webSocket.maxMessageBytes,
                               now: server.loop.nowMilliseconds, trace: trace)
        webSocket = run
        state.webSocketStarted()
        server.stats.webSocketsOpened += 1
        let early = parser.takeUnconsumed()
        run.session.opened(now: EventLoop.hrtime, into: &run.outputs)
        emit(run, out: &out)
        if !early.isEmpty { early.withUnsafeBytes { readFrames($0, run: run, out: &out) } }
        scheduleSession(run)
    }

    /// Bytes read in WebSocket mode.
    func webSocketDidRead(_ bytes: UnsafeRawBufferPointer) {
        guard let run = webSocket else { return }
        var out = server.takeOutput()
        readFrames(bytes, run: run, out: &out)
        scheduleSession(run)
        send(&out)
    }

    /// Reads frames: messages go to the session, pings are answered, a close frame is answered
    /// and ends the session, a violation fails the connection with its close code.
    private func readFrames(_ bytes: UnsafeRawBufferPointer, run: WebSocketRun, out: inout ByteBuffer) {
        run.lastRead = server.loop.nowMilliseconds
        run.pingSent = 0
        let failure = run.parser.feed(bytes) { event in
            switch event {
            case .message(let message):
                server.stats.webSocketMessagesIn &+= 1
                guard !run.closeSent else { return }  // RFC 6455 7.1.2: once closing, data is discarded
                run.session.received(message, now: EventLoop.hrtime, into: &run.outputs)
                emit(run, out: &out)
            case .ping(let data):
                if !run.closeSent { WebSocketFrame.append(.pong, payload: data, into: &out) }
            case .pong:
                break
            case .close(let code, let reason):
                // 5.5.1: answered with a close frame echoing the code; the server then closes
                // the TCP connection first (7.1.1).
                if !run.closeSent {
                    run.closeSent = true
                    let echo = code.map { WebSocketFrame.closePayload(code: $0, reason: reason) } ?? ByteBuffer()
                    WebSocketFrame.append(.close, payload: echo, into: &out)
                }
                endSession(run, code: code ?? WebSocketFrame.CloseCode.noStatus)
                state.webSocketEnded()
            }
        }
        if let failure {
            // 7.1.7: fail the connection: our close frame with the reason, then close.
            if !run.closeSent {
                run.closeSent = true
                WebSocketFrame.append(.close, payload: WebSocketFrame.closePayload(code: failure.code, reason: failure.reason), into: &out)
            }
            endSession(run, code: failure.code)
            state.webSocketEnded()
        }
    }

    /// Frames what the session asked to send.
    private func emit(_ run: WebSocketRun, out: inout ByteBuffer) {
        guard !run.outputs.isEmpty else { return }
        for output in run.outputs {
            if run.closeSent { break }
            switch output {
            case .text(let text):
                WebSocketFrame.append(.text, payload: text, into: &out)
                countMessageOut(run)
            case .binary(let data):
                WebSocketFrame.append(.binary, payload: data, into: &out)
                countMessageOut(run)
            case .close(let code, let reason):
                startClosing(run, code: code, reason: reason, out: &out)
            }
        }
        run.outputs.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func countMessageOut(_ run: WebSocketRun) {
        server.stats.webSocketMessagesOut &+= 1
        if run.messagesOut == 0 { run.firstMessage = EventLoop.hrtime }
        run.messagesOut &+= 1
    }

    /// Sends the server's close frame and waits (at most the close timeout) for the client's.
    private func startClosing(_ run: WebSocketRun, code: UInt16, reason: String, out: inout ByteBuffer) {
        guard !run.closeSent else { return }
        run.closeSent = true
        run.closeBy = server.loop.nowMilliseconds &+ server.options.webSocket.closeTimeoutMilliseconds
        WebSocketFrame.append(.close, payload: WebSocketFrame.closePayload(code: code, reason: reason), into: &out)
        server.deadlines.cancel(self)
    }

    /// Tells the session it is over (once) and the handler how it went.
    func endSession(_ run: WebSocketRun, code: UInt16) {
        guard !run.ended else { return }
        run.ended = true
        server.stats.webSocketsClosed += 1
        run.session.ended(code: code, now: EventLoop.hrtime)
        guard run.trace != 0 else { return }
        let now = EventLoop.hrtime
        server.handler.replyFinished(FinishedReply(
            trace: run.trace, status: 101, firstByteNanoseconds: run.firstMessage.map { $0 &- run.start },
            durationNanoseconds: now &- run.start, events: run.messagesOut,
            aborted: code != WebSocketFrame.CloseCode.normal && code != WebSocketFrame.CloseCode.noStatus
                && code != WebSocketFrame.CloseCode.goingAway))
    }

    /// Schedules the connection for the session's next deadline, or for none.
    private func scheduleSession(_ run: WebSocketRun) {
        if !run.closeSent, let deadline = run.session.nextDeadline {
            schedule(at: deadline)
        } else {
            server.deadlines.cancel(self)
        }
    }

    /// The session's deadline has come (it was due at `deadline`): unless the socket is backed
    /// up, it is asked for what is due and the lateness of the write is recorded.
    func pumpWebSocket(due deadline: UInt64?) {
        guard let run = webSocket, !run.closeSent else { return }
        if socket.writeQueueSize > server.options.writeHighWaterMark {
            state.webSocketBlocked()  // resumed once the client has read (`streamDidWrite`)
            server.stats.streamsPaused += 1
            return
        }
        let now = EventLoop.hrtime
        if let deadline { server.stats.recordLateness(now &- deadline) }
        var out = server.takeOutput()
        run.session.due(now: now, into: &run.outputs)
        emit(run, out: &out)
        scheduleSession(run)
        send(&out)
    }

    /// The server is draining: close with 1001 and wait for the client's close frame.
    func drainWebSocket() {
        guard let run = webSocket, !run.closeSent else { return }
        var out = server.takeOutput()
        startClosing(run, code: WebSocketFrame.CloseCode.goingAway, reason: "server shutting down", out: &out)
        endSession(run, code: WebSocketFrame.CloseCode.goingAway)
        send(&out)
    }

    /// The sweep: the close handshake's timeout, the idle timeout, and a ping when the client
    /// has been quiet.
    func checkWebSocket(now: UInt64) {
        guard let run = webSocket else { return }
        let options = server.options.webSocket
        if run.closeSent {
            if now >= run.closeBy { close() }
            return
        }
        let quiet = now &- run.lastRead
        var out = server.takeOutput()
        if quiet >= options.idleTimeoutMilliseconds {
            startClosing(run, code: WebSocketFrame.CloseCode.goingAway, reason: "idle timeout", out: &out)
            endSession(run, code: WebSocketFrame.CloseCode.goingAway)
        } else if options.pingMilliseconds > 0, quiet >= options.pingMilliseconds, run.pingSent == 0 {
            run.pingSent = now
            WebSocketFrame.append(.ping, payload: ByteBuffer("mockllm"), into: &out)
        }
        send(&out)
    }
}

extension Connection {
    /// The client has read enough of what was queued: what the session had due goes out now
    /// (the session's timing slipped with the pause; the pause is not counted as lateness).
    func resumeWebSocket() {
        guard let run = webSocket, !run.closeSent else { return }
        guard let deadline = run.session.nextDeadline else { return }
        if deadline > EventLoop.hrtime { schedule(at: deadline) } else { pumpWebSocket(due: nil) }
    }
}
