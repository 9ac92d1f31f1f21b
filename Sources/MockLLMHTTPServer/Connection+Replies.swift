import MockLLMCore
import MockLLMLoop

/// A complete response waiting for its simulated delay, or (with a `link`) a deferred reply
/// waiting to be supplied.
final class DelayedReply {
    var status: Int
    var headers: HTTPFields
    var body: ByteBuffer
    let version: HTTPVersion
    let keepAlive: Bool
    let headOnly: Bool
    /// The reply's `trace` and when its request was handled, to report how it went.
    let trace: Int
    let start: UInt64
    /// A `.deferred` reply's link: its status, headers and body come through it.
    let link: ReplyLink?

    init(status: Int, headers: HTTPFields, body: ByteBuffer, version: HTTPVersion, keepAlive: Bool, headOnly: Bool,
         trace: Int, start: UInt64, link: ReplyLink? = nil) {
        self.trace = trace
        self.start = start
        self.status = status
        self.headers = headers
        self.body = body
        self.version = version
        self.keepAlive = keepAlive
        self.headOnly = headOnly
        self.link = link
    }
}

/// A stream in flight: its source (its position in the reply) and its schedule.
final class StreamRun {
    var source: any EventSource
    /// HTTP/1.1: each event is one chunk; HTTP/1.0: the body runs until the connection closes.
    let chunked: Bool
    let keepAlive: Bool
    /// Past this monotonic time the stream is cut (`Options.maxStreamMilliseconds`).
    let cutOff: UInt64
    /// Deadline of the last event written, in monotonic nanoseconds; the stream's start at first.
    var lastDeadline: UInt64
    /// Deadline of the next event once its delay has been asked for.
    var nextDeadline: UInt64?
    /// For `HTTPHandler.replyFinished`: the reply's trace and status, when the stream started,
    /// when its first event was written, and how many were.
    let trace: Int
    let status: Int
    let start: UInt64
    var firstEvent: UInt64?
    /// The source's `firstPayloadEvent`, and when that event was written.
    let firstPayloadEvent: Int
    var firstPayload: UInt64?
    /// When the last event was written (for the histogram of payload intervals).
    var lastEvent: UInt64 = 0
    var events = 0
    /// A `.pushed` stream's link: its source may say its next event is not ready, and the
    /// feeder wakes the connection through it.
    let link: ReplyLink?

    init(source: any EventSource, framing: BodyFraming, keepAlive: Bool, start: UInt64, cutOff: UInt64, trace: Int, status: Int,
         link: ReplyLink? = nil) {
        self.link = link
        self.trace = trace
        self.status = status
        self.start = start
        self.cutOff = cutOff
        self.source = source
        chunked = framing == .chunked
        self.keepAlive = keepAlive
        self.lastDeadline = start
        firstPayloadEvent = source.firstPayloadEvent
    }
}

extension Connection {
    /// Starts executing `reply`: written at once when it can be, else scheduled.
    func begin(_ reply: Reply, for request: HTTPRequest, out: inout ByteBuffer) {
        begin(reply, version: request.version, keepAlive: request.keepAlive, headOnly: request.method == "HEAD", out: &out)
    }

    /// Starts executing `reply` to a request of `version`; `requestKeepAlive`: the client's
    /// wish; `start`: when the request was handled, if earlier than now (a deferred reply).
    @inline(__always)
    func begin(_ reply: Reply, version: HTTPVersion, keepAlive requestKeepAlive: Bool, headOnly: Bool, start known: UInt64 = 0,
               out: inout ByteBuffer) {
        let keepAlive = requestKeepAlive && !reply.closeConnection
        switch reply.body {
        case .bytes(let body, let delay) where delay == 0:
            appendResponse(status: reply.status, headers: reply.headers, body: body,
                           version: version, keepAlive: keepAlive, headOnly: headOnly, into: &out)
            state.replied(keepAlive: keepAlive)
            if reply.trace != 0 {
                server.handler.replyFinished(FinishedReply(
                    trace: reply.trace, status: reply.status, firstByteNanoseconds: 0, durationNanoseconds: 0, events: 0, aborted: false))
            }
        case .bytes(let body, let delay):
            let start = EventLoop.hrtime
            state.delayedReplyStarted(DelayedReply(
                status: reply.status, headers: reply.headers, body: body, version: version,
                keepAlive: keepAlive, headOnly: headOnly, trace: reply.trace, start: start))
            schedule(at: start &+ delay)
        case .stream(let source):
            beginStream(source, link: nil, status: reply.status, headers: reply.headers, version: version, keepAlive: keepAlive,
                        headOnly: headOnly, trace: reply.trace, start: known, out: &out)
        case .pushed(let source, let link):
            beginStream(source, link: link, status: reply.status, headers: reply.headers, version: version, keepAlive: keepAlive,
                        headOnly: headOnly, trace: reply.trace, start: known, out: &out)
        case .deferred(let link):
            // Nothing is written until the feeder supplies the reply (`replyLinkWoken`).
            state.delayedReplyStarted(DelayedReply(
                status: 0, headers: HTTPFields(), body: ByteBuffer(), version: version, keepAlive: keepAlive, headOnly: headOnly,
                trace: reply.trace, start: known == 0 ? EventLoop.hrtime : known, link: link))
            link.attach(self)
            // Supplied already: written from the loop's schedule, after what is being built now.
            if link.supplied != nil { schedule(at: EventLoop.hrtime) }
        case .webSocket(let session):
            beginWebSocket(session, status: reply.status, headers: reply.headers, version: version, trace: reply.trace, out: &out)
        }
    }

    /// Writes a stream's head and what of it is due.
    @inline(__always)
    private func beginStream(_ source: any EventSource, link: ReplyLink?, status: Int, headers: HTTPFields, version: HTTPVersion,
                             keepAlive: Bool, headOnly: Bool, trace: Int, start known: UInt64, out: inout ByteBuffer) {
        let framing: BodyFraming = version == .http11 ? .chunked : .untilClose
        let streamKeepAlive = keepAlive && framing == .chunked
        ResponseWriter.appendHead(status: status, headers: headers, framing: framing,
                                  version: version, keepAlive: streamKeepAlive, date: server.date, into: &out)
        if headOnly {
            // RFC 9112 6.3: a response to HEAD ends with its head, whatever its framing
            // fields say; even a last chunk would be read as the start of the next response.
            if let link {
                link.detach()
                link.cut()  // nothing of it is wanted
            }
            return state.replied(keepAlive: streamKeepAlive)
        }
        let start = known == 0 ? EventLoop.hrtime : known
        let limit = server.options.maxStreamMilliseconds
        let cutOff = limit > UInt64.max / 2_000_000 ? UInt64.max : start &+ limit &* 1_000_000
        let run = StreamRun(source: source, framing: framing, keepAlive: streamKeepAlive, start: start, cutOff: cutOff,
                            trace: trace, status: status, link: link)
        state.streamStarted(run)
        server.stats.streamsStarted += 1
        if let link {
            link.attach(self)
            run.lastDeadline = EventLoop.hrtime
        }
        pump(run, out: &out)
    }

    func appendResponse(
        status: Int, headers: HTTPFields, body: ByteBuffer, version: HTTPVersion,
        keepAlive: Bool, headOnly: Bool, into out: inout ByteBuffer
    ) {
        ResponseWriter.appendHead(status: status, headers: headers, framing: .length(body.count),
                                  version: version, keepAlive: keepAlive, date: server.date, into: &out)
        if !headOnly { out.append(body) }
    }

    /// Output built up by one pump before it is written out.
    static let flushThreshold = 64 * 1024

    /// Writes every event that is due, then schedules the next one, pauses for backpressure,
    /// or ends the stream. Each event's lateness (now minus its deadline) is recorded; the
    /// events are written to the socket before control returns to the loop.
    func pump(_ run: StreamRun, out: inout ByteBuffer) {
        let now = EventLoop.hrtime
        // A local buffer for the event before its chunk framing: one held in the server would be
        // retained and released around each call into MockLLMCore.
        var scratch = ByteBuffer()
        swap(&scratch, &server.eventScratch)
        defer { swap(&scratch, &server.eventScratch) }
        while true {
            let deadline: UInt64
            if let next = run.nextDeadline {
                deadline = next
            } else {
                guard let delay = run.source.nextDelay() else {
                    finish(run, out: &out)
                    return
                }
                if delay == Reply.notReady, run.link != nil {
                    // Pushed, and the next event is not known yet: the feeder wakes the
                    // connection (`replyLinkWoken`). Only the stream's time limit is scheduled.
                    if now >= run.cutOff {
                        write(out)
                        out.removeAll()
                        close()
                    } else if run.cutOff != .max {
                        schedule(at: run.cutOff)
                    }
                    return
                }
                deadline = run.lastDeadline &+ delay
                run.nextDeadline = deadline
            }
            if deadline > run.cutOff {
                // Longer than any stream may last: at the limit, end it as a server would, by
                // closing. What is built so far is written first; the client sees a stream
                // without its end.
                if now < run.cutOff {
                    schedule(at: run.cutOff)
                    return
                }
                write(out)
                out.removeAll()
                close()
                return
            }
            if deadline > now {
                schedule(at: deadline)
                return
            }
            if out.count >= Self.flushThreshold {
                // Many events due at once (no lag, or after a pause): write what is built so
                // far, so the queue size below tells the truth and memory stays bounded.
                write(out)
                out.removeAll()
                if state.isClosed { return }
            }
            if socket.writeQueueSize > server.options.writeHighWaterMark {
                state.streamBlocked()  // resumed once the client has read (`streamDidWrite`)
                server.stats.streamsPaused += 1
                return
            }
            if run.chunked {
                scratch.removeAll()
                run.source.writeNext(into: &scratch)
                ResponseWriter.appendChunk(scratch, into: &out)
            } else {
                run.source.writeNext(into: &out)
            }
            let index = run.events
            server.stats.recordStreamEvent(lateness: now &- deadline, interval: index > run.firstPayloadEvent ? now &- run.lastEvent : nil)
            run.lastDeadline = deadline
            run.nextDeadline = nil
            if index == 0 { run.firstEvent = now }
            if index == run.firstPayloadEvent { run.firstPayload = now }
            run.events = index &+ 1
            run.lastEvent = now
        }
    }

    private func finish(_ run: StreamRun, out: inout ByteBuffer) {
        let ending = run.source.ending
        if ending == .reset {
            // What was built goes out first; the reset reports the stream as cut.
            write(out)
            out.removeAll()
            return perform(state.reset())
        }
        if ending == .complete && run.chunked { ResponseWriter.appendLastChunk(into: &out) }
        if ending == .complete { server.stats.streamsCompleted += 1 } else { server.stats.streamsAborted += 1 }
        run.link?.detach()
        report(run, aborted: ending != .complete)
        state.replyEnded(keepAlive: run.keepAlive && ending == .complete, now: server.loop.nowMilliseconds)
    }

    /// Tells the handler how a traced stream went.
    func report(_ run: StreamRun, aborted: Bool) {
        guard run.trace != 0 else { return }
        let now = EventLoop.hrtime
        server.handler.replyFinished(FinishedReply(
            trace: run.trace, status: run.status, firstByteNanoseconds: run.firstEvent.map { $0 &- run.start },
            durationNanoseconds: now &- run.start, events: run.events, aborted: aborted,
            stream: true, firstPayloadNanoseconds: run.firstPayload.map { $0 &- run.start }))
    }

    /// Tells the handler how a traced delayed reply went.
    func report(_ reply: DelayedReply, aborted: Bool) {
        guard reply.trace != 0 else { return }
        let elapsed = EventLoop.hrtime &- reply.start
        server.handler.replyFinished(FinishedReply(
            trace: reply.trace, status: reply.status, firstByteNanoseconds: aborted ? nil : elapsed,
            durationNanoseconds: elapsed, events: 0, aborted: aborted))
    }

    /// Resumes a stream paused for backpressure, from now: generation paused, so the rest of
    /// the schedule moves with it.
    func resumeAfterBackpressure(_ run: StreamRun) {
        let now = EventLoop.hrtime
        if let next = run.nextDeadline, next < now { run.nextDeadline = now }
        if run.lastDeadline < now { run.lastDeadline = now }
        var out = server.takeOutput()
        pump(run, out: &out)
        processRequests(&out)
        send(&out)
    }

    // MARK: Deadlines

    /// Scheduled on the loop's deadline queue: the next stream event or a delayed reply.
    func schedule(at deadline: UInt64) {
        server.deadlines.schedule(self, at: deadline)
    }

    /// The feeder of a push-driven reply woke the connection: write the deferred reply it
    /// supplied, or the pushed stream's events that became ready.
    func replyLinkWoken() {
        var out: ByteBuffer
        switch state.woken() {
        case .sendDelayedReply(let pending):
            guard let link = pending.link, let reply = link.takeSupplied() else { return }
            link.detach()
            out = server.takeOutput()
            if case .bytes(let body, _) = reply.body {
                let keepAlive = pending.keepAlive && !reply.closeConnection
                (pending.status, pending.headers, pending.body) = (reply.status, reply.headers, body)
                appendResponse(status: reply.status, headers: reply.headers, body: body,
                               version: pending.version, keepAlive: keepAlive, headOnly: pending.headOnly, into: &out)
                report(pending, aborted: false)
                state.replyEnded(keepAlive: keepAlive, now: server.loop.nowMilliseconds)
            } else if case .deferred = reply.body {
                preconditionFailure("a deferred reply cannot be supplied with another deferred reply")
            } else {
                state.deferredReplySupplied(now: server.loop.nowMilliseconds)
                var supplied = reply
                supplied.trace = pending.trace
                begin(supplied, version: pending.version, keepAlive: pending.keepAlive, headOnly: pending.headOnly,
                      start: pending.start, out: &out)
            }
        case .pumpStream(let run):
            guard run.link != nil else { return }  // a timed stream: its deadlines drive it
            server.deadlines.cancel(self)
            // Events that became ready are due when the feeder says (else now): the schedule
            // moves to the push, and their lateness counts from then.
            if run.nextDeadline == nil, let link = run.link {
                run.lastDeadline = max(run.lastDeadline, link.due != 0 ? link.due : EventLoop.hrtime)
            }
            out = server.takeOutput()
            pump(run, out: &out)
        default:
            return
        }
        processRequests(&out)
        send(&out)
    }

    /// The loop's deadline queue says this connection is due (it was due at `deadline`).
    func deadlineReached(_ deadline: UInt64) {
        var out: ByteBuffer
        switch state.deadlineDue() {
        case .sendDelayedReply(let reply):
            if reply.link != nil { return replyLinkWoken() }
            out = server.takeOutput()
            server.stats.recordLateness(EventLoop.hrtime &- deadline)
            appendResponse(status: reply.status, headers: reply.headers, body: reply.body,
                           version: reply.version, keepAlive: reply.keepAlive, headOnly: reply.headOnly, into: &out)
            report(reply, aborted: false)
            state.replyEnded(keepAlive: reply.keepAlive, now: server.loop.nowMilliseconds)
        case .pumpStream(let run):
            out = server.takeOutput()
            pump(run, out: &out)
        case .pumpWebSocket:
            return pumpWebSocket(due: deadline)
        default:
            return
        }
        processRequests(&out)
        send(&out)
    }
}
