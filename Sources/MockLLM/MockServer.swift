import Logging
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A running mock LLM server: one worker (event loop, listener, application) per thread.
///
/// `init` binds every worker's listener (so a port in use fails there, before anything runs);
/// `run()` serves the first worker on the calling thread and the others on their own threads
/// until `stop()` (from any thread) or SIGINT/SIGTERM ends it, then returns with every thread
/// joined and every handle closed. With several workers each has its own SO_REUSEPORT listener
/// and the kernel spreads new connections over them.
package final class MockServer: @unchecked Sendable {
    // @unchecked: `workers` and `finale` are fixed after `init`; each worker is touched only by
    // its own thread except through its thread-safe `deliver`/`drain`/`stop`; `signals`,
    // `reloader` and `signalCount` only on the first loop's thread; `threads` only by the thread
    // in `run()`.

    /// The bound port (the first rank's).
    package let port: Int
    /// Every data-parallel rank's port, the first's first (`--data-parallel-size`).
    package let ports: [Int]
    package let host: String
    private let workers: [Worker]
    private var threads: [LoopThread] = []
    private var signals: SignalWatcher?
    private var reloader: ScriptReloader?
    private let logger: Logger
    private let drainMilliseconds: UInt64
    /// Set once in `init`; closes the first loop's watchers once every worker has stopped.
    private var finale: LoopWakeup!
    private let stoppedWorkers = Atomic<Int>(0)
    /// The script's serving engines of each data-parallel rank, shared by the rank's workers;
    /// stopped once they have.
    private let engines: [EngineHosts]
    /// Signals received so far: the first drains, the second stops at once.
    private var signalCount = 0
    /// Record mode: fixtures still being written are waited for when the server stops.
    private let recording: Bool

    package init(configuration: ServerConfiguration, logger: Logger = Logger(label: "mockllm")) throws(UVError) {
        self.logger = logger
        host = configuration.host
        drainMilliseconds = configuration.drainMilliseconds
        recording = configuration.recording != nil
        let count = max(1, configuration.workers)
        // Data-parallel ranks (as llm-d's inference simulator serves them): each on its own port,
        // with its own workers, engines, metrics, journal, scopes and provider state; they
        // share the script (one reload reaches all) and nothing else.
        var workers: [Worker] = []
        var engines: [EngineHosts] = []
        var ports: [Int] = []
        var admin: Admin?
        for rank in 0..<max(1, configuration.dataParallelSize) {
            let rankEngines = EngineHosts(allowRuntimeLoRA: configuration.allowRuntimeLoRA, kvEvents: configuration.kvEvents, rank: rank)
            let board = StatsBoard(workers: count)
            let rankAdmin = Admin(configuration: configuration, providers: ProviderCatalog(configuration.providers), logger: logger,
                                  scripts: admin?.scripts)
            // Made once, for the rank's workers: what one loop stores, another finds, across reloads too.
            let states = ProviderStates(for: configuration.providers, settings: ProviderSettings(storeCapacity: configuration.responseStoreSize))
            // Port 0: every rank takes an ephemeral port of its own. The one after rank 0's may
            // be anyone's, so putting rank 1 there could fail with the address in use.
            let port = rank == 0 || configuration.port == 0 ? configuration.port : ports[0] + rank
            let first = try Worker(index: 0, rank: rank, configuration: configuration, port: port,
                                   reusePort: count > 1, board: board, admin: rankAdmin, states: states, engines: rankEngines)
            workers.append(first)
            for index in 1..<count {
                workers.append(try Worker(index: index, rank: rank, configuration: configuration, port: first.port,
                                          reusePort: true, board: board, admin: rankAdmin, states: states, engines: rankEngines))
            }
            engines.append(rankEngines)
            ports.append(first.port)
            if admin == nil { admin = rankAdmin }
        }
        self.workers = workers
        self.engines = engines
        self.ports = ports
        admin?.scripts?.attach(workers)
        port = ports[0]
        let first = workers[0]
        let loop = first.loop
        if let watched = configuration.watchedScript, let source = admin?.scripts {
            do {
                reloader = try ScriptReloader(loop: loop, source: source, logger: logger)
            } catch {
                logger.warning("cannot watch \(watched.path) (\(error.message)); it will not be reloaded")
            }
        }
        if configuration.handleSignals {
            signals = try SignalWatcher(loop: loop, signals: [SIGINT, SIGTERM]) { [unowned self] signum in
                self.signalled(signum == SIGINT ? "SIGINT" : "SIGTERM")
            }
        }
        // The signal watcher and the reloader live on the first loop and stay until every
        // worker has stopped (a second signal must still reach a server whose first loop has
        // drained while others have not).
        finale = try LoopWakeup(loop: loop) { [unowned self] in
            self.signals?.close()
            self.signals = nil
            self.reloader?.close()
            self.reloader = nil
            self.finale.close()
        }
        for worker in workers {
            worker.onStop = { [unowned self] in
                if self.stoppedWorkers.add(1, ordering: .acquiringAndReleasing).newValue == self.workers.count {
                    self.finale.send()
                }
            }
        }
    }

    /// Number of event loops (threads) serving.
    package var workerCount: Int { workers.count }

    /// Serves until stopped. Call once.
    package func run() {
        for worker in workers.dropFirst() {
            do {
                threads.append(try LoopThread(name: worker.rank == 0 ? "mockllm-w\(worker.index)" : "mockllm-r\(worker.rank)w\(worker.index)") {
                    worker.run()
                })
            } catch {
                logger.error("cannot start worker \(worker.index): \(error.message); serving with \(threads.count + 1)")
                worker.stop()
                worker.run()  // runs its stop on this thread: nothing is left open
            }
        }
        workers[0].run()
        for thread in threads { thread.join() }
        threads = []
        for rank in engines { rank.stopAll() }
        if recording { RecordingProxy.flushWrites() }
    }

    /// Thread-safe: asks every worker to stop accepting, close its connections and return.
    package func stop() {
        for worker in workers { worker.stop() }
    }

    /// The URL clients use, e.g. `http://127.0.0.1:8000`.
    package var baseURL: String {
        let shownHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(SocketAddress.display(host: shownHost, port: port))"
    }

    /// Engines that cannot publish the KV-cache events asked for (their endpoint could not be bound).
    package var kvEventProblems: [String] { engines.flatMap(\.eventProblems) }

    /// Where each rank's engines publish KV-cache events.
    package var kvEventEndpoints: [(rank: Int, engine: String, endpoints: [String])] {
        engines.flatMap { rank in rank.eventEndpoints.map { (rank.rank, $0.engine, $0.endpoints) } }
    }

    /// Open handles left on the loops; 0 after `run()` returns.
    package var openHandleCount: Int { workers.reduce(0) { $0 + $1.loop.openHandleCount } }

    /// Thread-safe: stop accepting, let replies and streams in progress finish for up to the
    /// configured drain time, then stop. What docker and Kubernetes ask for with SIGTERM.
    package func drain() {
        for worker in workers { worker.drain(milliseconds: drainMilliseconds) }
    }

    private func signalled(_ name: String) {
        signalCount += 1
        let open = workers[0].server.connectionCount
        let onLoops = workers.count > 1 ? " on the first loop" : ""
        if signalCount == 1 && drainMilliseconds > 0 {
            logger.info("stopping (\(name)): finishing \(open) connection(s)\(onLoops) for up to \(drainMilliseconds) ms; send it again to stop at once")
            drain()
        } else {
            logger.info("stopping (\(name)): closing \(open) connection(s)\(onLoops) now")
            stop()
        }
    }
}
