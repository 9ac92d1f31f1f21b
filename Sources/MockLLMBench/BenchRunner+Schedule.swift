import MockLLMLoop

extension BenchRunner {
    /// The rest of the load starts: over the ramp-up (closed loop), or on the rate's schedule.
    func beginLoad() {
        guard phase == .probing else { return }
        phase = .running
        loadStart = EventLoop.hrtime
        if plan.rate != nil {
            idle = clients.filter { $0.phase == .idle }.reversed()
        } else {
            let count = UInt64(plan.concurrency)
            for (i, client) in clients.enumerated() where client.phase == .idle {
                waiting.append(client, at: loadStart &+ plan.rampUp * UInt64(i) / count)
            }
        }
        tick()
    }

    /// Streams that should have started by `now` in rate mode (the first one counts, at 0).
    func dueStarts(at now: UInt64) -> Int {
        guard let rate = plan.rate else { return .max }
        let elapsed = Double(now &- loadStart) / 1e9
        let due = 1 + Int(min(elapsed * rate, 1e15))
        return plan.requests.map { min($0, due) } ?? due
    }

    /// Every tick: due starts, the end of the run and of the drain; now and then, timeouts.
    func tick() {
        let now = EventLoop.hrtime
        if phase == .running {
            if !stopping, let duration = plan.duration, now &- loadStart >= duration { stopStarting(drainFrom: now) }
            while let client = waiting.popFirst(dueBy: now) {
                if plan.rate == nil { startStream(on: client, at: now) } else { idle.append(client) }
            }
            if plan.rate != nil {
                let due = dueStarts(at: now)
                while mayStart, metrics.started < due, let client = idle.popLast() { startStream(on: client, at: now) }
            }
        }
        if phase == .probing || phase == .running, now &- firstStart >= timeline.nextDue { takeSample(at: now) }
        let drainOver = drainDeadline.map { now >= $0 } ?? false
        if drainOver || now &- lastScan >= scanInterval {
            lastScan = now
            scan(at: now, drainOver: drainOver)
        }
        checkDone()
        let wanted: UInt64 = plan.rate != nil || !waiting.isEmpty ? 1 : 10
        if wanted != tickMilliseconds, let ticker {
            tickMilliseconds = wanted
            ticker.start(after: wanted, repeat: wanted)
        }
    }

    /// How often streams are checked against `--timeout`: a tenth of it, between 10 ms and 1 s
    /// (a pass over 10,000 slots is not free, and should not stall reads ten times a second).
    var scanInterval: UInt64 { min(1_000_000_000, max(10_000_000, plan.timeout / 10)) }

    /// Cuts streams past their timeout, and all of them once the drain time is over.
    private func scan(at now: UInt64, drainOver: Bool) {
        guard phase == .probing || phase == .running, inFlight > 0 else { return }
        for client in clients where client.phase != .idle {
            if drainOver {
                client.cut(.cutAtEnd, at: now)
            } else if now &- client.startedAt > plan.timeout {
                client.cut(.timeout, at: now)
            }
        }
    }

    /// Once nothing is in flight and nothing more will start, the run ends.
    func checkDone() {
        guard phase == .running, inFlight == 0 else { return }
        let noMore = stopping || (plan.rate != nil && !mayStart)
        guard noMore else { return }
        phase = .finishing
        timeline.finish(metrics, lateness: nil, at: lastEnd &- firstStart)
        for client in clients { client.closeConnection() }
        waiting.removeAll()
        idle.removeAll()
        if let stats {
            stats.fetchAfterRun { [unowned self] in self.shutDown() }
        } else {
            shutDown()
        }
    }

    /// Closes the remaining handles: the loop then returns from `run()`.
    func shutDown() {
        phase = .done
        ticker?.close()
        ticker = nil
        signals?.close()
        signals = nil
    }

    func report() -> BenchReport {
        var report = BenchReport(
            url: plan.url, provider: plan.provider, model: plan.model, concurrency: plan.concurrency, rate: plan.rate,
            configuredTTFT: plan.configuredTTFT, configuredITL: plan.configuredITL,
            elapsed: lastEnd > firstStart ? lastEnd - firstStart : 0)
        report.started = metrics.started
        report.completed = metrics.completed
        report.missedStarts = metrics.missedStarts
        report.failures = metrics.failures
        report.events = metrics.events
        report.tokens = metrics.tokens
        report.bytes = metrics.bytes
        report.ttft = metrics.ttft
        report.itl = metrics.itl
        report.ttftError = metrics.ttftError
        report.itlError = metrics.itlError
        report.serverLateness = stats?.lateness
        report.timeline = timeline.samples
        report.plannedDuration = plan.duration
        report.plannedRequests = plan.requests
        report.rampUp = plan.rampUp
        return report
    }

    /// Once a second: the interval's sample, a reading of mockllm's stats (attached to that
    /// sample when it comes back), and the progress line.
    func takeSample(at now: UInt64) {
        timeline.sample(metrics, inFlight: inFlight, lateness: nil, at: now &- firstStart)
        if watchesServer { stats?.poll(forSample: timeline.samples.count - 1) }
        guard let progress else { return }
        var status = ProgressStatus(elapsed: now &- firstStart)
        status.plannedDuration = plan.duration
        status.started = metrics.started
        status.plannedRequests = plan.requests
        status.inFlight = inFlight
        status.completed = metrics.completed
        status.failed = metrics.failures.values.reduce(0, +)
        status.eventsPerSecond = timeline.samples.last.map { $0.perSecond($0.events) } ?? 0
        status.ttft = Percentiles(metrics.ttft)
        status.itl = Percentiles(metrics.itl)
        status.lateness = stats?.latenessSoFar
        status.draining = stopping
        progress.show(status)
    }
}
