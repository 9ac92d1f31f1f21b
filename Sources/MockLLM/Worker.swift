import MockLLMHTTPServer
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import Synchronization

/// One event loop with its own listener, connections and application; the unit `--workers`
/// multiplies. Nothing mutable is shared with other workers: a new script and a stop request
/// arrive through `mailbox`, and counters leave through the `StatsBoard`.
final class Worker: @unchecked Sendable {
    // @unchecked: everything but `mailbox` and `inbox` is touched only by the thread running
    // `run()` (after `init` handed it over); those two are thread-safe.

    let index: Int
    let rank: Int
    let loop: EventLoop
    let application: Application
    let server: LoopServer
    /// The bound port.
    let port: Int
    private let board: StatsBoard
    /// Set once in `init` and never replaced (other threads read it); closed on stop.
    private var mailbox: LoopWakeup!
    private let inbox = Mutex(Inbox())
    private var publisher: LoopTimer?
    /// Extra work of the stop, on the loop thread (the first worker closes its signal watcher
    /// and reloader there).
    var onStop: (() -> Void)?

    private struct Inbox {
        var script: Script?
        var stop = false
        /// Graceful stop: finish replies in progress for at most this many milliseconds.
        var drain: UInt64?
    }
    private var drainTimer: LoopTimer?
    private var stopped = false

    /// This loop's mailbox from the engines (`engines:`).
    private let engineClient: EngineClient

    /// - Parameters:
    ///   - index: the worker's place among its rank's workers (its journal ring, its stats slot).
    ///   - rank: its data-parallel rank (`--data-parallel-size`), 0 without.
    init(index: Int, rank: Int = 0, configuration: ServerConfiguration, port: Int, reusePort: Bool, board: StatsBoard, admin: Admin,
         states: ProviderStates, engines: EngineHosts) throws(UVError) {
        self.index = index
        self.rank = rank
        self.board = board
        loop = try EventLoop()
        application = Application(script: configuration.script, seed: configuration.seed.map { $0 &+ UInt64(index) &+ UInt64(rank) << 32 },
                                  serving: configuration.providers, states: states)
        application.apiKey = configuration.apiKey.map(APIKeyCheck.init)
        application.admin = admin
        application.scopes = admin.scopes
        application.accessLog = configuration.accessLog
        application.replay = configuration.replay
        application.strict = configuration.strict
        if let recording = configuration.recording {
            application.recorder = RecordingProxy(loop: loop, configuration: recording, logger: admin.logger)
        }
        application.journal = admin.journal?.rings[index]
        application.metrics = LoopMetrics(shared: board.metrics, worker: index)
        application.metrics.engines = engines
        application.metrics.style = configuration.metricsStyle
        engineClient = try EngineClient(loop: loop)
        application.engineClient = engineClient
        application.engineRegistry = engines
        var options = LoopServer.Options()
        options.limits = configuration.limits
        options.limits.knownTargets += application.router.literalPaths
        options.idleTimeoutMilliseconds = configuration.idleTimeoutMilliseconds
        options.requestTimeoutMilliseconds = configuration.requestTimeoutMilliseconds
        options.maxStreamMilliseconds = configuration.maxStreamMilliseconds
        options.webSocket = configuration.webSocket
        let workers = max(1, configuration.workers)
        options.maxConnections = configuration.maxConnections == .max
            ? .max : max(1, (configuration.maxConnections + workers - 1) / workers)
        server = LoopServer(loop: loop, handler: application, options: options)
        engineClient.stepBegun = { [unowned server] in server.recordStepLateness($0) }
        self.port = try server.listen(host: configuration.host, port: port, reusePort: reusePort)
        mailbox = try LoopWakeup(loop: loop) { [unowned self] in self.readInbox() }
        application.statistics = { [unowned self] in
            self.board.publish(self.server.statistics, from: self.index)
            return (self.board.merged(), self.board.perWorker())
        }
        if board.workers > 1 {
            let timer = LoopTimer(loop: loop) { [unowned self] in
                self.board.publish(self.server.statistics, from: self.index)
                self.application.metrics.publish()
            }
            timer.unref()
            timer.start(after: 100, repeat: 100)
            publisher = timer
        }
    }


    func run() { loop.run() }

    /// Thread-safe: the worker answers new requests from `script`.
    func deliver(_ script: Script) {
        inbox.withLock { $0.script = script }
        mailbox.send()
    }

    /// Thread-safe: stop accepting, close every connection and let `run()` return.
    func stop() {
        inbox.withLock { $0.stop = true }
        mailbox.send()
    }

    /// Thread-safe: stop accepting and let replies and streams in progress finish, then stop;
    /// whatever is still running after `milliseconds` is closed.
    func drain(milliseconds: UInt64) {
        inbox.withLock { $0.drain = milliseconds }
        mailbox.send()
    }

    private func readInbox() {
        let (script, stop, drain) = inbox.withLock { inbox in
            defer { inbox.script = nil; inbox.drain = nil }
            return (inbox.script, inbox.stop, inbox.drain)
        }
        if let script { application.script = script }
        if stop { return shutdown() }
        if let drain, !server.draining, !stopped {
            let timer = LoopTimer(loop: loop) { [unowned self] in self.shutdown() }
            timer.start(after: drain)
            drainTimer = timer
            server.drain { [unowned self] in self.shutdown() }
        }
    }

    private func shutdown() {
        guard !stopped else { return }
        stopped = true
        drainTimer?.close()
        drainTimer = nil
        board.publish(server.statistics, from: index)
        application.metrics.publish()
        server.shutdown()
        application.recorder?.close()
        engineClient.close()
        publisher?.close()
        publisher = nil
        onStop?()
        onStop = nil
        mailbox.close()
    }
}
