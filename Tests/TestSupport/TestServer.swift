import Foundation
import Logging
import MockLLM
import MockLLMCore
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import MockLLMSimulation

/// A real server on an ephemeral loopback port, running its loop on its own thread.
package final class TestServer: Sendable {
    package let server: MockServer
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - watchedScript: the file `script` was loaded from, to reload when it changes.
    ///   - logger: where the server logs (reload failures are logged at error level).
    package init(script: Script = Script(), seed: UInt64? = 42, limits: RequestParser.Limits = RequestParser.Limits(),
         watchedScript: ServerConfiguration.WatchedScript? = nil, logger: Logger = TestServer.quietLogger,
         workers: Int = 1, drainMilliseconds: UInt64 = 10_000,
         tune: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: 0, script: script, seed: seed, limits: limits, watchedScript: watchedScript,
            workers: workers, drainMilliseconds: drainMilliseconds)
        tune(&configuration)
        server = try MockServer(configuration: configuration, logger: logger)
        let server = self.server
        let finished = self.finished
        let thread = Thread {
            server.run()
            finished.signal()
        }
        thread.start()
    }

    package static let quietLogger: Logger = {
        var logger = Logger(label: "mockllm-test")
        logger.logLevel = .warning
        return logger
    }()

    package var port: Int { server.port }

    /// Stops the server and waits for its loop to end; returns the loop's open handle count.
    @discardableResult
    package func stop() -> Int {
        server.stop()
        finished.wait()
        return server.openHandleCount
    }

    /// Drains (what SIGTERM does) and waits for every loop to end; returns the open handle count.
    package func drainAndWait() -> Int {
        server.drain()
        finished.wait()
        return server.openHandleCount
    }

    package func client(timeout: Double = 5, receiveBuffer: Int32? = nil) throws -> RawClient {
        try RawClient(port: port, timeout: timeout, receiveBuffer: receiveBuffer)
    }
}

/// Runs `body` against a fresh server, then stops it and checks the loop closed every handle.
package func withServer<T>(
    script: Script = Script(), seed: UInt64? = 42, limits: RequestParser.Limits = RequestParser.Limits(),
    watchedScript: ServerConfiguration.WatchedScript? = nil, logger: Logger = TestServer.quietLogger,
    workers: Int = 1, tune: (inout ServerConfiguration) -> Void = { _ in }, _ body: (TestServer) throws -> T
) throws -> T {
    let server = try TestServer(script: script, seed: seed, limits: limits, watchedScript: watchedScript, logger: logger,
                                workers: workers, tune: tune)
    do {
        let result = try body(server)
        let leftover = server.stop()
        guard leftover == 0 else { throw TestFailure("\(leftover) libuv handle(s) still open after stop") }
        return result
    } catch {
        server.stop()
        throw error
    }
}

package struct TestFailure: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
