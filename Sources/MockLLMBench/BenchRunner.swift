import MockLLMCore
import MockLLMLoop

#if canImport(Glibc)
import Glibc
#endif

/// Runs one `mockllm bench` on its own event loop, on the calling thread, and returns the report.
///
/// The load: `concurrency` slots (`StreamClient`s), each with at most one stream in flight over
/// a kept-alive connection. Closed loop by default: a slot starts its next stream as soon as
/// one ends. With a rate, streams start on schedule (at most `concurrency` in flight; a start
/// that finds no free slot waits for one). The first stream goes out alone; once its response
/// head is in, mockllm's stats are read when it is the target (`x-mockllm-rule`), then the rest
/// of the load starts, the first connections spread over the ramp-up. After `duration` (or
/// `requests` starts) no stream starts; those in flight get `drain` to finish, then are cut.
final class BenchRunner {
    enum Phase {
        case probing, running, finishing, done
    }

    let plan: BenchPlan
    let loop: EventLoop
    let readBuffer = SharedReadBuffer()
    let address: ResolvedAddress
    // Touched on every read, only from the loop thread, never across a call that could reach it again.
    @exclusivity(unchecked) var metrics: BenchMetrics
    var clients: [any BenchSlot] = []
    var phase = Phase.probing
    /// Free slots (rate mode), most recently freed last.
    var idle: [any BenchSlot] = []
    /// Slots waiting to (re)start, in order of their time: the ramp-up, then connect back-off.
    var waiting = TimedQueue<any BenchSlot>()
    var inFlight = 0
    var stopping = false
    var firstStart: UInt64 = 0
    var loadStart: UInt64 = 0
    var lastEnd: UInt64 = 0
    var drainDeadline: UInt64?
    var lastScan: UInt64 = 0
    var ticker: LoopTimer?
    /// 1 ms while starts are scheduled (ramp-up, rate, back-off), else 10 ms: an idle wait
    /// should not wake the loop a thousand times a second.
    var tickMilliseconds: UInt64 = 1
    var signals: SignalWatcher?
    var probeDecided = false
    var stats: ServerStatsReading?
    /// The run cut into seconds, for the progress line's rate and the `--svg` chart.
    var timeline = BenchTimeline()
    /// Set when stdout is a terminal that wants the progress line.
    var progress: TerminalProgress?
    /// Whether mockllm's stats are read every second during the run (for the progress line or
    /// the chart), not only before and after it.
    var watchesServer = false

    /// A connect failure waits this long before the slot tries again (no busy loop on a dead target).
    static let connectBackoff: UInt64 = 100_000_000

    init(plan: BenchPlan, loop: EventLoop) throws(UVError) {
        self.plan = plan
        self.loop = loop
        address = try ResolvedAddress(host: plan.target.host, port: plan.target.port)
        metrics = BenchMetrics(configuredTTFT: plan.configuredTTFT, configuredITL: plan.configuredITL)
    }

    /// Runs the load until it stops by itself; returns what was measured. With `progress`, its
    /// line is redrawn every second; with `progress` or `watchServer`, mockllm's stats are read
    /// every second too, for its lateness so far and per second.
    func run(handleSignals: Bool, progress: TerminalProgress? = nil, watchServer: Bool = false) -> BenchReport {
        self.progress = progress
        watchesServer = watchServer || progress != nil
        clients = (0..<plan.concurrency).map { _ in
            plan.provider == .realtime ? RealtimeClient(runner: self) as any BenchSlot : StreamClient(runner: self)
        }
        let ticker = LoopTimer(loop: loop) { [unowned self] in self.tick() }
        self.ticker = ticker
        ticker.start(after: 1, repeat: 1)
        if handleSignals {
            signals = try? SignalWatcher(loop: loop, signals: [SIGINT, SIGTERM]) { [unowned self] _ in self.interrupt() }
        }
        firstStart = EventLoop.hrtime
        startStream(on: clients[0], at: firstStart)
        loop.run()
        return report()
    }

    /// Whether another stream may start now.
    var mayStart: Bool {
        !stopping && phase != .finishing && phase != .done && (plan.requests.map { metrics.started < $0 } ?? true)
    }

    func startStream(on client: any BenchSlot, at now: UInt64) {
        guard mayStart else { return }
        metrics.started += 1
        inFlight += 1
        if let requests = plan.requests, metrics.started >= requests { stopStarting(drainFrom: nil) }
        client.start(at: now)
    }

    /// The first response head tells whether mockllm is the target.
    func didReceiveHead(_ head: ResponseHead) {
        guard !probeDecided else { return }
        probeDecided = true
        guard head.mockllmRule != nil else { return beginLoad() }
        stats = ServerStatsReading(runner: self)
        stats?.fetch { [unowned self] in self.beginLoad() }
    }

    func streamEnded(_ client: any BenchSlot, _ outcome: StreamOutcome, at now: UInt64) {
        inFlight -= 1
        lastEnd = now
        switch outcome {
        case .completed: metrics.completed += 1
        case .failed(let failure): metrics.recordFailure(failure)
        }
        if !probeDecided {
            probeDecided = true  // the first stream ended before any response head: no stats
            beginLoad()
        } else if phase == .running {
            if outcome == .failed(.connect) {
                waiting.append(client, at: now + Self.connectBackoff)
            } else {
                reuse(client, at: now)
            }
        }
        checkDone()
    }

    /// A slot whose stream ended (or whose wait is over) starts again, or waits its turn.
    func reuse(_ client: any BenchSlot, at now: UInt64) {
        if plan.rate == nil {
            startStream(on: client, at: now)
        } else if metrics.started < dueStarts(at: now) {
            startStream(on: client, at: now)
        } else {
            idle.append(client)
        }
    }

    func stopStarting(drainFrom now: UInt64?) {
        guard !stopping else { return }
        stopping = true
        guard let now else { return }
        drainDeadline = now &+ plan.drain
        // Starts the rate asked for that never happened because every slot was busy (one is
        // allowed for the tick's granularity).
        if plan.rate != nil, phase == .running { metrics.missedStarts = max(0, dueStarts(at: now) - metrics.started - 1) }
    }

    /// SIGINT/SIGTERM: start nothing more and cut what is in flight at the next tick.
    func interrupt() {
        let now = EventLoop.hrtime
        stopStarting(drainFrom: now)
        drainDeadline = now
    }
}
