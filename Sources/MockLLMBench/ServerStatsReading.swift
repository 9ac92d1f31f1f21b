import MockLLMLoop

/// Reads mockllm's stats before and after the run (on the runner's loop) to report its lateness;
/// while the runner watches the server, also once a second, for the progress line's lateness so
/// far and each second's lateness in the chart.
final class ServerStatsReading {
    unowned let runner: BenchRunner
    private var before: ServerStats?
    /// The latest reading during the run, and the sample it belongs to.
    private var latest: ServerStats?
    private var latestSample = -1
    private(set) var lateness: ServerLateness?
    /// Over the run so far (from the readings during the run).
    private(set) var latenessSoFar: Percentiles?
    private var fetch: StatsFetch?
    private var polling: StatsFetch?
    private var pause: LoopTimer?

    /// Multi-worker servers publish their stats every 100 ms: wait this long after the run.
    static let settleMilliseconds: UInt64 = 250

    init(runner: BenchRunner) {
        self.runner = runner
    }

    func fetch(then next: @escaping () -> Void) {
        fetch = StatsFetch(runner: runner) { [unowned self] stats in
            self.before = stats
            self.fetch = nil
            next()
        }
    }

    /// A reading for the sample just taken, unless the previous one is still on its way (a slow
    /// server is not asked more than once at a time).
    func poll(forSample index: Int) {
        guard before != nil, polling == nil else { return }
        polling = StatsFetch(runner: runner) { [unowned self] stats in
            self.polling = nil
            guard let stats else { return }
            self.record(stats, forSample: index)
        }
    }

    /// The lateness since the previous reading goes to the sample, and the whole run's so far to the progress line.
    private func record(_ stats: ServerStats, forSample index: Int) {
        guard let before, index > latestSample else { return }
        let interval = ServerStats.lateness(from: latest ?? before, to: stats).histogram
        runner.timeline.setLateness(Percentiles(interval), ofSample: index)
        latenessSoFar = Percentiles(ServerStats.lateness(from: before, to: stats).histogram)
        latest = stats
        latestSample = index
    }

    func fetchAfterRun(then next: @escaping () -> Void) {
        guard before != nil else { return next() }
        let pause = LoopTimer(loop: runner.loop) { [unowned self] in
            self.pause?.close()
            self.pause = nil
            self.fetch = StatsFetch(runner: self.runner) { [unowned self] stats in
                if let before = self.before, let stats {
                    self.lateness = ServerStats.lateness(from: before, to: stats)
                    // The run's last, shorter, interval, when it was sampled after the last reading.
                    if self.runner.watchesServer { self.record(stats, forSample: self.runner.timeline.samples.count - 1) }
                }
                self.fetch = nil
                next()
            }
        }
        self.pause = pause
        pause.start(after: Self.settleMilliseconds)
    }
}
