import MockLLMCore
import MockLLMLoop
import MockLLMProviders
import MockLLMSimulation
import Synchronization

/// A worker loop's side of the engines: the requests it submitted (`EngineTicket`s, touched
/// only on its thread) and the mailbox the engines' threads deliver batches to.
///
/// A batch is read on the loop in one wakeup: admissions supply a stream's head (or the
/// overload refusal), a step's tokens release the stream events they stand for and wake
/// their connections, which write them at once; a finished non-stream request gets its reply.
final class EngineClient: @unchecked Sendable {
    // @unchecked: `outbox` is thread-safe and `wakeup` is set once in init; `tickets` only on
    // the loop's thread.
    private let outbox = Mutex<[EngineBatch]>([])
    private var wakeup: LoopWakeup!
    private var tickets: [Int: EngineTicket] = [:]
    /// Told, on the loop's thread, how late (nanoseconds) the loop began writing each step's
    /// tokens: the loop's `step_lateness_ns` in `/_mockllm/stats`.
    var stepBegun: ((UInt64) -> Void)?

    init(loop: EventLoop) throws(UVError) {
        wakeup = try LoopWakeup(loop: loop) { [unowned self] in self.readOutbox() }
    }

    /// Any thread (an engine's): queues `batch` for the loop.
    func deliver(_ batch: EngineBatch) {
        outbox.withLock { $0.append(batch) }
        wakeup.send()
    }

    /// The loop's thread, when it stops: no more deliveries.
    func close() {
        wakeup.close()
        tickets.removeAll()
    }

    /// The loop's thread: `ticket` waits for its engine.
    func register(_ ticket: EngineTicket) {
        tickets[ticket.id] = ticket
    }

    /// The loop's thread: the client went away; the engine drops the request.
    func cancel(_ id: Int, on host: EngineHost) {
        guard tickets.removeValue(forKey: id) != nil else { return }
        host.cancel(id: id)
    }

    private func readOutbox() {
        let batches = outbox.withLock { outbox in
            defer { outbox.removeAll(keepingCapacity: true) }
            return outbox
        }
        for batch in batches {
            // A step's tokens: how late the loop begins writing them (the step boundary as the
            // loop keeps it) and how late the last of them is written (the burst's length too).
            let timed = batch.stepEnd != 0 && !batch.outputs.isEmpty
            let begun = timed ? EventLoop.hrtime : 0
            if timed { stepBegun?(begun &- min(begun, batch.stepEnd)) }
            for (id, admission) in batch.admissions {
                guard let ticket = tickets[id] else { continue }
                if admission != .accepted { tickets.removeValue(forKey: id) }
                ticket.admitted(admission)
            }
            for output in batch.outputs {
                guard let ticket = tickets[output.id] else { continue }
                if output.isLast { tickets.removeValue(forKey: output.id) }
                ticket.produced(output, due: batch.stepEnd)
            }
            if timed, let metrics = batch.metrics {
                // The connections woken above wrote their events before this point.
                let written = EventLoop.hrtime
                func seconds(_ t: UInt64) -> Double { t > batch.stepEnd ? Double(t - batch.stepEnd) / 1e9 : 0 }
                metrics.state.withLock {
                    $0.stepLateness.observe(seconds(begun))
                    $0.stepWritten.observe(seconds(written))
                }
            }
        }
    }
}

/// One request on an engine, on the loop it came in on: how its reply is released.
final class EngineTicket {
    let id: Int
    let link: ReplyLink
    /// A stream's events; nil for a complete reply.
    let events: EngineStreamEvents?
    /// A stream's status and headers, or the whole reply.
    let reply: Reply
    /// The provider's overload refusal, and its refusal of a request that can never fit.
    let refusal: Reply
    let tooLong: Reply
    /// Told the status that goes out once the engine has decided (for `/metrics`).
    let answered: (Int) -> Void

    init(id: Int, link: ReplyLink, events: EngineStreamEvents?, reply: Reply, answered: @escaping (Int) -> Void,
         refusal: Reply, tooLong: Reply) {
        self.id = id
        self.answered = answered
        self.link = link
        self.events = events
        self.reply = reply
        self.refusal = refusal
        self.tooLong = tooLong
    }

    func admitted(_ admission: Admission) {
        switch admission {
        case .accepted: answered(reply.status)
        case .refused: answered(refusal.status)
        case .exceedsCapacity: answered(tooLong.status)
        }
        switch admission {
        case .accepted:
            // A stream's head goes out now; its events as the engine produces their tokens.
            guard let events else { return }
            link.supply(Reply(status: reply.status, headers: reply.headers, body: .pushed(EngineStreamSource(events), link),
                              closeConnection: reply.closeConnection))
        case .refused:
            link.supply(refusal)
            link.close()
        case .exceedsCapacity:
            link.supply(tooLong)
            link.close()
        }
    }

    /// The engine's step that ended at `due` produced `output`'s tokens.
    func produced(_ output: EngineTokenOutput, due: UInt64) {
        if let events {
            events.released = output.isLast ? events.tokens : output.generated
            if output.isLast { link.close() }
            link.wake(due: due)
        } else if output.isLast {
            link.supply(reply)
            link.close()
        }
    }
}

/// A stream's events, rendered when the request is handled, each released with the token it
/// belongs to: the frames before the first token with the first, a token's own event with it,
/// frames between tokens with the next, the closing frames with the last.
final class EngineStreamEvents {
    let events: [ByteBuffer]
    /// Per event, the token (from 1) whose production releases it.
    let tokenOf: [Int]
    /// Tokens in the stream (at least 1).
    let tokens: Int
    let ending: StreamEnding
    let firstPayloadEvent: Int
    /// Tokens the engine has produced.
    var released = 0
    /// The next event to write.
    var next = 0

    /// Renders `source` whole. An engine model's pacing marks its tokens (`Pacing.engineTokens`):
    /// an event with a delay is a token, one without a frame.
    init(draining source: inout some EventSource) {
        var events: [ByteBuffer] = []
        var isToken: [Bool] = []
        while let delay = source.nextDelay() {
            var event = ByteBuffer()
            source.writeNext(into: &event)
            events.append(event)
            isToken.append(delay > 0)
        }
        let total = max(1, isToken.count(where: { $0 }))
        var tokenOf: [Int] = []
        tokenOf.reserveCapacity(events.count)
        var seen = 0
        for token in isToken {
            if token { seen += 1 }
            tokenOf.append(token ? seen : min(seen + 1, total))
        }
        self.events = events
        self.tokenOf = tokenOf
        tokens = total
        ending = source.ending
        firstPayloadEvent = isToken.firstIndex(of: true) ?? .max
    }
}

/// The `EventSource` of an engine stream: an event is ready once its token is released.
struct EngineStreamSource: EventSource {
    let events: EngineStreamEvents

    init(_ events: EngineStreamEvents) {
        self.events = events
    }

    mutating func nextDelay() -> UInt64? {
        guard events.next < events.events.count else { return nil }
        return events.tokenOf[events.next] <= events.released ? 0 : Reply.notReady
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        out.append(events.events[events.next])
        events.next += 1
    }

    var ending: StreamEnding { events.ending }
    var firstPayloadEvent: Int { events.firstPayloadEvent }
}
