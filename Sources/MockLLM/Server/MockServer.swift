import Logging

#if canImport(Glibc)
import Glibc
#endif

/// A running mock LLM server: one event loop with its listener, connections and application.
///
/// `init` binds (so a port in use fails there, before anything runs); `run()` serves on the
/// calling thread until `stop()` (from any thread) or SIGINT/SIGTERM ends it, then returns
/// with every handle closed.
public final class MockServer: @unchecked Sendable {
    // @unchecked: everything but `wakeup` is touched only by the thread in `run()` (after
    // `init` handed it over); `LoopWakeup.send()` is thread-safe.

    /// The bound port.
    public let port: Int
    public let host: String
    private let loop: EventLoop
    private let application: Application
    private let server: LoopServer
    private var wakeup: LoopWakeup?
    private var signals: SignalWatcher?
    private var reloader: ScriptReloader?
    private let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger = Logger(label: "mockllm")) throws(UVError) {
        self.logger = logger
        host = configuration.host
        loop = try EventLoop()
        application = Application(script: configuration.script, seed: configuration.seed)
        var options = LoopServer.Options()
        options.limits = configuration.limits
        options.limits.knownTargets += application.router.literalPaths
        server = LoopServer(loop: loop, handler: application, options: options)
        port = try server.listen(host: configuration.host, port: configuration.port)
        wakeup = try LoopWakeup(loop: loop) { [unowned self] in self.shutdown(reason: "stop requested") }
        if let watched = configuration.watchedScript {
            do {
                reloader = try ScriptReloader(
                    loop: loop, path: watched.path, providers: providerNames, loaded: watched.fingerprint, logger: logger
                ) { [unowned self] script in
                    self.application.script = script
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
    }

    /// Serves until stopped. Call once.
    public func run() {
        loop.run()
    }

    /// Thread-safe: asks the loop to stop accepting, close every connection and return from `run()`.
    public func stop() {
        wakeup?.send()
    }

    /// The URL clients use, e.g. `http://127.0.0.1:8000`.
    public var baseURL: String {
        let shownHost = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
        return "http://\(SocketAddress.display(host: shownHost, port: port))"
    }

    /// Open handles left on the loop; 0 after `run()` returns.
    public var openHandleCount: Int { loop.openHandleCount }

    private func shutdown(reason: String) {
        logger.info("stopping (\(reason)): closing \(server.connectionCount) connection(s)")
        server.stopListening()
        server.closeAllConnections()
        signals?.close()
        signals = nil
        reloader?.close()
        reloader = nil
        wakeup?.close()
    }
}
