import MockLLMLoop

/// Reads mockllm's stats before and after the run (on the runner's loop) to report its lateness.
final class ServerStatsReading {
    unowned let runner: BenchRunner
    private var before: ServerStats?
    private(set) var lateness: ServerLateness?
    private var fetch: StatsFetch?
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

    func fetchAfterRun(then next: @escaping () -> Void) {
        guard before != nil else { return next() }
        let pause = LoopTimer(loop: runner.loop) { [unowned self] in
            self.pause?.close()
            self.pause = nil
            self.fetch = StatsFetch(runner: self.runner) { [unowned self] stats in
                if let before = self.before, let stats { self.lateness = ServerStats.lateness(from: before, to: stats) }
                self.fetch = nil
                next()
            }
        }
        self.pause = pause
        pause.start(after: Self.settleMilliseconds)
    }
}
