import Foundation
import MockLLMCore
import MockLLMLoop
import MockLLMScript
import MockLLMSimulation
import Synchronization

/// One serving engine of the script (`engines:`), live: shared by every worker loop, so its
/// running and waiting requests are the server's, whatever loop each came in on.
///
/// The engine runs on its own thread with its own loop. Worker loops hand it requests and
/// cancellations through `inbox` (one mutex push and a `LoopWakeup`: nothing else is shared
/// with the request path). It plans a step (`Engine.nextStep`), arms a `PreciseTimer` for the
/// step's end as an absolute deadline in nanoseconds (a step's duration times
/// `settings.time_scale`), and when it fires sends what the step produced to the loop each
/// request came from, one batch per loop per step (`EngineClient`), then plans the next step
/// from that end: back-to-back steps never drift with the thread's own lateness. A request
/// that arrives during a step joins the next one, as in vLLM's engine loop.
final class EngineHost: @unchecked Sendable {
    // @unchecked: `inbox`, `wakeup` (set once in init) and `metrics` are thread-safe; every
    // other property is touched only on the engine's thread after `init`.

    /// A request from a worker loop.
    struct Submission: Sendable {
        var request: EngineRequest
        var client: EngineClient
        /// Monotonic nanoseconds when the loop handled the request (vLLM's arrival time).
        var arrival: UInt64
        /// When the front end hands it to the engine (`EngineProfile.frontEndMs`): set by the
        /// engine's thread, `arrival` when the profile has no front end.
        var ready: UInt64 = 0
        var model: String
        var finishReason: String
        /// The LoRA adapter it runs with, by name.
        var adapter: String?
        /// Its prompt's token ids, for the KV-cache events (empty when the engine publishes none).
        var tokens: [Int] = []
    }

    private enum Command: Sendable {
        case submit(Submission)
        case cancel(Int)
        case unload(String)
        case retirePublisher(DoneSignal)
        case resetPrefixCache(DoneSignal)
        case stop
    }

    /// What the engine thread remembers of a request it runs, for vLLM's request metrics: a
    /// class, so that a step's end looks each of its requests up once and updates it in place.
    fileprivate final class Tracked {
        let client: EngineClient
        let arrival: UInt64
        let model: String
        let finishReason: String
        let promptTokens: Int
        var scheduled: UInt64 = 0
        var firstToken: UInt64 = 0
        var lastToken: UInt64 = 0
        var generated = 0
        /// For the KV-cache events: the prompt's token ids and the adapter (id, name).
        let tokens: [Int]
        let adapter: (id: Int, name: String)?

        init(client: EngineClient, arrival: UInt64, model: String, finishReason: String, promptTokens: Int, tokens: [Int],
             adapter: (id: Int, name: String)?) {
            self.client = client
            self.arrival = arrival
            self.model = model
            self.finishReason = finishReason
            self.promptTokens = promptTokens
            self.tokens = tokens
            self.adapter = adapter
        }
    }

    let name: String
    let profile: EngineProfile
    let timeScale: Double
    let metrics: EngineMetrics
    private let inbox = Mutex<[Command]>([])
    private var wakeup: LoopWakeup!
    private let loop: EventLoop
    private var timer: PreciseTimer!
    private var thread: LoopThread?
    private var engine: Engine
    private var current: EngineStep?
    private var stepEnd: UInt64 = 0
    private var tracked: [Int: Tracked] = [:]
    /// Requests that reach the engine after the nominal start of the step that follows the
    /// current one (the thread was late, or the front end still has them): submitted when a
    /// step starting after their `ready` is planned, never into a step that began before.
    private var held: [Submission] = []
    /// The API server's front end (`EngineProfile.frontEndMs`, scaled): requests pass it one
    /// at a time before the engine sees them.
    private var frontEnd: EngineFrontEnd
    private var stopped = false
    /// Adapters by name, numbered from 1 in the order first seen (vLLM's `lora_int_id`), and
    /// their names by number less one.
    private var adapterIDs: [String: Int] = [:]
    private var adapterNames: [String] = []

    /// Request ids, unique across every engine and loop of the process.
    private static let ids = Atomic<Int>(0)
    static func nextID() -> Int { ids.add(1, ordering: .relaxed).newValue }

    /// Publishes vLLM's KV-cache events (`--kv-events-config`), on this engine's loop.
    private var publisher: KVEventPublisher?
    private let rank: Int
    /// Whether requests must bring their prompt's token ids (the KV-cache events carry them).
    let publishesEvents: Bool
    /// The KV-cache event endpoints bound, `tcp://HOST:PORT` (the replay one second, if any).
    let eventEndpoints: [String]

    /// `kvEvents`: publish KV-cache events on that endpoint (its port offset by `rank`, as
    /// vLLM's data-parallel ranks offset it); throws when it cannot be bound.
    init(name: String, profile: EngineProfile, timeScale: Double, models: [String], lora: Bool = false,
         kvEvents: KVEventsConfig? = nil, rank: Int = 0) throws(UVError) {
        self.name = name
        self.profile = profile
        self.timeScale = timeScale
        self.rank = rank
        metrics = EngineMetrics(engine: name, profile: profile, models: models, lora: lora)
        engine = Engine(profile: profile)
        frontEnd = EngineFrontEnd(milliseconds: profile.frontEndMs, timeScale: timeScale)
        loop = try EventLoop()
        if let kvEvents, kvEvents.publishes, profile.prefixCaching,
           case .success(let endpoint) = KVEndpoint.parse(kvEvents.endpoint, rank: rank) {
            let replay = kvEvents.replayEndpoint.flatMap { try? KVEndpoint.parse($0, rank: rank).get() }
            let publisher = try KVEventPublisher(loop: loop, endpoint: endpoint, replay: replay, topic: kvEvents.topic,
                                                 bufferSteps: kvEvents.bufferSteps, hwm: kvEvents.hwm)
            self.publisher = publisher
            engine.recordsCacheEvents = true
            eventEndpoints = [SocketAddress.display(host: endpoint.host, port: publisher.port)]
                + (replay.map { [SocketAddress.display(host: $0.host, port: publisher.replayPort ?? $0.port)] } ?? [])
        } else {
            eventEndpoints = []
        }
        publishesEvents = publisher != nil
        wakeup = try LoopWakeup(loop: loop) { [unowned self] in self.readInbox() }
        timer = PreciseTimer(loop: loop) { [unowned self] in self.stepEnded() }
        let loop = self.loop
        thread = try LoopThread(name: "engine") { loop.run() }
    }

    // MARK: Any thread

    func submit(_ submission: Submission) {
        inbox.withLock { $0.append(.submit(submission)) }
        wakeup.send()
    }

    func cancel(id: Int) {
        inbox.withLock { $0.append(.cancel(id)) }
        wakeup.send()
    }

    /// Frees the adapter's slot if no running request uses it (vLLM's runtime unload).
    func unload(adapter: String) {
        inbox.withLock { $0.append(.unload(adapter)) }
        wakeup.send()
    }

    /// Closes the KV-cache event sockets and waits until they are closed, so that the engine
    /// replacing this one (a reload changed it) can bind the same endpoint.
    func retirePublisher() {
        guard publishesEvents else { return }
        let done = DoneSignal()
        inbox.withLock { $0.append(.retirePublisher(done)) }
        wakeup.send()
        done.wait()
    }

    /// Forgets the cached prefix blocks (vLLM's `reset_prefix_cache`), publishing
    /// `AllBlocksCleared`; false when a request holds blocks. Waits for the engine's thread,
    /// which answers between steps: not for a request's path.
    func resetPrefixCache() -> Bool {
        let done = DoneSignal()
        inbox.withLock { $0.append(.resetPrefixCache(done)) }
        wakeup.send()
        return done.wait()
    }

    /// Stops the engine's loop (requests in it are dropped: their connections are closed by
    /// then) and joins its thread.
    func stop() {
        inbox.withLock { $0.append(.stop) }
        wakeup.send()
        thread?.join()
        thread = nil
    }

    // MARK: The engine's thread

    private func readInbox() {
        let commands = inbox.withLock { inbox in
            defer { inbox.removeAll(keepingCapacity: true) }
            return inbox
        }
        guard !stopped else { return Self.release(commands[...]) }
        var batches = Batches()
        var aborted: [(String, Int)] = []
        for (index, command) in commands.enumerated() {
            switch command {
            case .submit(var s):
                s.ready = frontEnd.handOver(arrival: s.arrival)
                if current != nil ? s.ready > stepEnd : s.ready > s.arrival {
                    held.append(s)
                } else {
                    submit(s, into: &batches)
                }
            case .cancel(let id):
                if let i = held.firstIndex(where: { $0.request.id == id }) {
                    let gone = held.remove(at: i)
                    aborted.append((gone.model, 0))
                } else if engine.cancel(id: id), let gone = tracked.removeValue(forKey: id) { aborted.append((gone.model, gone.generated)) }
            case .unload(let adapter):
                if let id = adapterIDs[adapter] { engine.unload(adapter: id) }
            case .retirePublisher(let done):
                publisher?.close()
                engine.recordsCacheEvents = false
                done.signal()
            case .resetPrefixCache(let done):
                let reset = engine.resetPrefixCache()
                if reset, let publisher, !publisher.closed {
                    publisher.publish(encodeKVEventBatch(timestamp: Date().timeIntervalSince1970, events: [.allCleared], rank: rank))
                }
                done.signal(reset)
            case .stop:
                publisher?.close()
                stopped = true
                timer.close()
                wakeup.close()
                return Self.release(commands[(index + 1)...])
            }
        }
        batches.deliver(stepEnd: 0, metrics: metrics)
        if !aborted.isEmpty {
            metrics.state.withLock { state in
                for (model, _) in aborted { metrics.withModel(model, in: &state) { $0.success["abort", default: 0] += 1 } }
            }
        }
        if current == nil {
            startStep(at: EventLoop.hrtime)
        } else {
            publishGauges()
        }
    }

    /// Answers the commands a stopped engine will not carry out, so that nobody waits forever.
    private static func release(_ commands: ArraySlice<Command>) {
        for command in commands {
            switch command {
            case .resetPrefixCache(let done): done.signal(false)
            case .retirePublisher(let done): done.signal()
            default: break
            }
        }
    }

    private func submit(_ s: Submission, into batches: inout Batches) {
        var request = s.request
        if let adapter = s.adapter {
            if let id = adapterIDs[adapter] {
                request.adapter = id
            } else {
                adapterNames.append(adapter)
                request.adapter = adapterNames.count
                adapterIDs[adapter] = request.adapter
            }
        }
        let admission = engine.submit(request)
        if admission == .accepted {
            tracked[s.request.id] = Tracked(client: s.client, arrival: s.arrival, model: s.model, finishReason: s.finishReason,
                                            promptTokens: s.request.promptTokens, tokens: s.tokens,
                                            adapter: s.adapter.map { (request.adapter, $0) })
        }
        batches.add(admission: (s.request.id, admission), for: s.client)
    }

    /// Plans and "runs" the next step from `start`; arms the timer for its end.
    private func startStep(at start: UInt64) {
        if !held.isEmpty {
            var batches = Batches()
            held.removeAll { s in
                guard s.ready <= start else { return false }
                submit(s, into: &batches)
                return true
            }
            batches.deliver(stepEnd: 0, metrics: metrics)
        }
        guard let step = engine.nextStep() else {
            current = nil
            // Idle, with requests ready after `start`: the first of them starts the next step.
            if let first = held.lazy.map(\.ready).min() { return startStep(at: max(EventLoop.hrtime, first)) }
            publishGauges()
            return
        }
        for id in step.admitted { if let t = tracked[id], t.scheduled == 0 { t.scheduled = start } }
        if let publisher, !publisher.closed, !step.removedBlocks.isEmpty || !step.storedBlocks.isEmpty { publishEvents(of: step, to: publisher) }
        let scaled = Double(step.durationNanoseconds) * timeScale
        let duration = scaled >= Double(UInt64.max / 4) ? UInt64.max / 4 : UInt64(scaled)
        current = step
        stepEnd = start &+ max(duration, 1)
        publishGauges()
        timer.arm(at: stepEnd)
    }

    /// vLLM publishes a step's KV-cache events as one batch once the step is scheduled: the
    /// evictions (a `BlockRemoved` each, as vLLM's block pool writes them), then the blocks cached.
    private func publishEvents(of step: EngineStep, to publisher: KVEventPublisher) {
        var events: [KVCacheEvent] = step.removedBlocks.map { .removed(hashes: [$0]) }
        let size = profile.blockSize
        for stored in step.storedBlocks {
            guard let t = tracked[stored.id] else { continue }
            let start = stored.firstBlock * size
            let end = min((stored.firstBlock + stored.hashes.count) * size, t.tokens.count)
            events.append(.stored(hashes: stored.hashes, parent: stored.parent, tokens: start < end ? Array(t.tokens[start..<end]) : [],
                                  blockSize: size, lora: t.adapter))
        }
        publisher.publish(encodeKVEventBatch(timestamp: Date().timeIntervalSince1970, events: events, rank: rank))
    }

    private func publishGauges() {
        let (running, waiting, kv) = (engine.running, engine.waiting, engine.kvUsage)
        let (preemptions, queries, hits) = (engine.preemptions, engine.prefixCacheQueries, engine.prefixCacheHits)
        // vLLM's LoRA gauge: the adapters with running and waiting requests, in the order first
        // seen, its value the time of the update (`set_to_current_time`).
        var lora: EngineMetrics.LoRAState?
        if metrics.lora {
            func names(_ counts: [Int: Int]) -> String { counts.keys.sorted().map { adapterNames[$0 - 1] }.joined(separator: ",") }
            lora = EngineMetrics.LoRAState(waiting: names(engine.waitingAdapters), running: names(engine.runningAdapters))
        }
        let now = lora == nil ? 0 : Date().timeIntervalSince1970
        metrics.state.withLock { state in
            if let lora { state.updateLoRA(lora, at: now) }
            state.running = running
            state.waiting = waiting
            state.kvUsage = kv
            state.preemptions = UInt64(preemptions)
            state.prefixQueries = UInt64(queries)
            state.prefixHits = UInt64(hits)
        }
    }

    /// The step's end: its tokens go to their loops, its requests' timings to the metrics, and
    /// the next step starts from this end.
    private func stepEnded() {
        guard !stopped, let step = current else { return }
        let end = stepEnd
        current = nil
        // The tokens go out first, each request looked up once: the loops write them while
        // this thread does the metrics and plans the next step. A request that finishes is
        // counted before its last tokens go out, so that a client that has its whole reply
        // finds it in `/metrics`.
        var batches = Batches()
        var going: [(EngineTokenOutput, Tracked)] = []
        going.reserveCapacity(step.outputs.count)
        var finishing = false
        for output in step.outputs {
            guard let t = tracked[output.id] else { continue }  // cancelled meanwhile
            batches.add(output: output, for: t.client)
            going.append((output, t))
            if output.isLast { finishing = true }
        }
        if finishing { record(going.lazy.filter { $0.0.isLast }, end: end) }
        batches.deliver(stepEnd: end, metrics: metrics)
        if !going.isEmpty {
            // A loop woken on this thread's CPU would otherwise wait for all that follows
            // (about 0.3 ms at 500 requests): let it write first. Without another thread
            // ready on the CPU this returns at once; the next step's timer is armed below
            // for its nominal end, so this thread's own delay does not move the timeline.
            sched_yield()
            record(going.lazy.filter { !$0.0.isLast }, end: end)
        }
        startStep(at: end)
    }

    /// Adds the step's outputs to vLLM's metrics, then to what the engine remembers of their
    /// requests (a finished one is forgotten).
    private func record(_ outputs: some Collection<(EngineTokenOutput, Tracked)>, end: UInt64) {
        metrics.state.withLock { state in
            for (output, t) in outputs {
                metrics.withModel(t.model, in: &state) { TokenObservation(output: output, request: t).record(into: &$0, end: end) }
            }
        }
        for (output, t) in outputs {
            if output.isLast {
                tracked.removeValue(forKey: output.id)
            } else {
                if output.isFirst { t.firstToken = end }
                t.lastToken = end
                t.generated = output.generated
            }
        }
    }
}

/// One output of a step and its request, read before the step's end updates it: what the
/// step adds to vLLM's metrics.
private struct TokenObservation {
    var output: EngineTokenOutput
    var request: EngineHost.Tracked

    func record(into m: inout EngineMetrics.PerModel, end: UInt64) {
        // Steps are timed back to back from the previous step's end, so a request that
        // arrived while the thread was late can join a step whose nominal start (and, on a
        // short step, end) precedes its arrival: every interval saturates at 0.
        func between(_ from: UInt64, _ to: UInt64) -> Double { to > from ? Double(to - from) / 1e9 : 0 }
        let t = request
        if output.isFirst {
            m.timeToFirstToken.observe(between(t.arrival, end))
            m.promptTokensTotal += UInt64(t.promptTokens)
        } else {
            m.interToken.observe(between(t.lastToken, end))
        }
        m.generationTokensTotal += UInt64(output.tokens)
        guard output.isLast else { return }
        let scheduled = t.scheduled == 0 ? t.arrival : t.scheduled
        let firstToken = output.isFirst ? end : t.firstToken
        m.success[t.finishReason, default: 0] += 1
        m.e2e.observe(between(t.arrival, end))
        m.queue.observe(between(t.arrival, scheduled))
        m.prefill.observe(between(scheduled, firstToken))
        m.decode.observe(between(firstToken, end))
        m.inference.observe(between(scheduled, end))
        m.promptTokens.observe(Double(t.promptTokens))
        m.generationTokens.observe(Double(output.generated))
    }
}

/// One step's deliveries, grouped by the loop each request came from (a few loops: a list).
private struct Batches {
    private var byClient: [(client: EngineClient, batch: EngineBatch)] = []

    var isEmpty: Bool { byClient.isEmpty }

    private mutating func slot(for client: EngineClient) -> Int {
        if let i = byClient.firstIndex(where: { $0.client === client }) { return i }
        byClient.append((client, EngineBatch()))
        return byClient.count - 1
    }

    mutating func add(admission: (Int, Admission), for client: EngineClient) {
        byClient[slot(for: client)].batch.admissions.append(admission)
    }

    mutating func add(output: EngineTokenOutput, for client: EngineClient) {
        byClient[slot(for: client)].batch.outputs.append(output)
    }

    func deliver(stepEnd: UInt64, metrics: EngineMetrics) {
        for (client, var batch) in byClient {
            batch.stepEnd = stepEnd
            batch.metrics = metrics
            client.deliver(batch)
        }
    }
}

/// A one-shot signal another thread waits for (not on a request's path).
final class DoneSignal: Sendable {
    /// nil until signalled, then the answer.
    private let answer = Mutex<Bool?>(nil)
    private let condition = NSCondition()

    func signal(_ value: Bool = true) {
        condition.lock()
        answer.withLock { $0 = value }
        condition.broadcast()
        condition.unlock()
    }

    @discardableResult
    func wait() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let value = answer.withLock({ $0 }) { return value }
            condition.wait()
        }
    }
}

/// What an engine sends a loop at once: admissions decided, and the tokens of one step.
struct EngineBatch: Sendable {
    var admissions: [(Int, Admission)] = []
    var outputs: [EngineTokenOutput] = []
    /// The step's end (monotonic ns); 0 for admissions alone.
    var stepEnd: UInt64 = 0
    /// Where the loop records how late it wrote the step's tokens.
    var metrics: EngineMetrics?
}
