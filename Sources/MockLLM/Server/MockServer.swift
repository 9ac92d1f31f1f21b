import Logging

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
public final class MockServer: @unchecked Sendable {
    // @unchecked: `workers` is fixed after `init`; each worker is touched only by its own thread
    // except through its thread-safe `deliver`/`stop`. `threads` is used only by the thread in
    // `run()`.

    /// The bound port.
    public let port: Int
    public let host: String
    private let workers: [Worker]
    private var threads: [LoopThread] = []
    private var signals: SignalWatcher?
    private var reloader: ScriptReloader?
    private let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "mockllm")) throws(UVError) {
        self.logger = logger
        host = configuration.host
        let count = max(1, configuration.workers)
        let board = StatsBoard(workers: count)
        let first = try Worker(index: 0, configuration: configuration, port: configuration.port,
                               reusePort: count > 1, board: board)
        var workers = [first]
        for index in 1..<count {
            workers.append(try Worker(index: index, configuration: configuration, port: first.port,
                                      reusePort: true, board: board))
        }
        self.workers = workers
        port = first.port
        let loop = first.loop
        if let watched = configuration.watchedScript {
            do {
                reloader = try ScriptReloader(
                    loop: loop, path: watched.path, providers: providerNames, loaded: watched.fingerprint, logger: logger
                ) { [unowned self] script in
                    for worker in self.workers { worker.deliver(script) }
                }
            } catch {
                logger.warning("cannot watch \(watched.path) (\(error.message)); it will not be reloaded")
            }
        }
        if configuration.handleSignals {
            signals = try SignalWatcher(loop: loop, signals: [SIGINT, SIGTERM]) { [unowned self] signum in
                self.shutdown(reason: signum == SIGINT ? "SIGINT" : "SIGTERM")
            }
        }
        first.onStop = { [unowned self] in
            self.signals?.close()
            self.signals = nil
            self.reloader?.close()
            self.reloader = nil
        }
    }

    /// Number of event loops (threads) serving.
    public var workerCount: Int { workers.count }

    /// Serves until stopped. Call once.
    public func run() {
        for worker in workers.dropFirst() {
            do {
                threads.append(try LoopThread(name: "mockllm-w\(worker.index)") { worker.run() })
            } catch {
                logger.error("cannot start worker \(worker.index): \(error.message); serving with \(threads.count + 1)")
                worker.stop()
                worker.run()  // runs its stop on this thread: nothing is left open
            }
        }
        workers[0].run()
        for thread in threads { thread.join() }
        threads = []
    }

    /// Thread-safe: asks every worker to stop accepting, close its connections and return.
    public func stop() {
        for worker in workers { worker.stop() }
    }

    /// The URL clients use, e.g. `http://127.0.0.1:8000`.
    public var baseURL: String {
        let shownHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(SocketAddress.display(host: shownHost, port: port))"
    }

    /// Open handles left on the loops; 0 after `run()` returns.
    public var openHandleCount: Int { workers.reduce(0) { $0 + $1.loop.openHandleCount } }

    private func shutdown(reason: String) {
        let open = workers[0].server.connectionCount
        logger.info("stopping (\(reason)): closing \(open) connection(s)\(workers.count > 1 ? " on the first worker and all on the others" : "")")
        stop()
    }
}
