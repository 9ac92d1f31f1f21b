import Foundation
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `mockllm health`, as a container's HEALTHCHECK runs it: exit 0 with a server up, 1 with one
/// line on standard error when it is down or elsewhere, and the address taken from the same
/// environment as `serve` when no --url is given.
extension CLITests {
    /// A port on 127.0.0.1 that nothing listens on (bound, then closed).
    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 ? getsockname(fd, pointer, &length) : -1
            }
        }
        guard rc == 0 else { throw TestFailure("cannot bind a free port: errno \(errno)") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// The health command with no MOCKLLM_ variable from this process's environment.
    func health(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try run(["health"] + arguments, environment: environment)
    }

    @Test func healthExits0WhenTheServerIsUp() throws {
        let (process, port, _) = try startServer(["serve", "--port", "0"])
        defer { process.terminate(); process.waitUntilExit() }
        let result = try health(["--url", "http://127.0.0.1:\(port)"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "http://127.0.0.1:\(port)/health: ok\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func healthReadsTheServersEnvironmentAndChecksAWildcardHostOnLoopback() throws {
        let port = try freePort()
        let environment = ["MOCKLLM_HOST": "0.0.0.0", "MOCKLLM_PORT": "\(port)"]
        let (process, _, _) = try startServer(["serve"], environment: environment)
        defer { process.terminate(); process.waitUntilExit() }
        let result = try health([], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == "http://127.0.0.1:\(port)/health: ok\n")
    }

    @Test func healthExits1WithOneLineWhenTheServerIsDown() throws {
        let (process, port, _) = try startServer(["serve", "--port", "0"])
        process.terminate()
        process.waitUntilExit()
        let result = try health([], environment: ["MOCKLLM_PORT": "\(port)"])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "mockllm health: http://127.0.0.1:\(port)/health: cannot connect: connection refused\n")
    }

    @Test func healthExits1OnTheWrongPort() throws {
        let (process, port, _) = try startServer(["serve", "--port", "0"])
        defer { process.terminate(); process.waitUntilExit() }
        let wrong = try freePort()
        #expect(wrong != port)
        let result = try health(["--url", "http://127.0.0.1:\(wrong)", "--timeout", "1"])
        #expect(result.status == 1)
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(result.stderr.contains("connection refused"))
    }

    @Test func healthExits1WhenTheAnswerIsNotHealthy() throws {
        // A server that is up but answers /health with something else: a prefix whose /health
        // is not mockllm's (404), and a listener that never answers (timeout).
        let (process, port, _) = try startServer(["serve", "--port", "0"])
        defer { process.terminate(); process.waitUntilExit() }
        let notFound = try health(["--url", "http://127.0.0.1:\(port)/v1"])
        #expect(notFound.status == 1)
        #expect(notFound.stderr == "mockllm health: http://127.0.0.1:\(port)/v1/health: HTTP 404\n")

        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Glibc.close(silent) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, length); return getsockname(silent, $0, &length) }
        }
        listen(silent, 4)
        let timedOut = try health(["--url", "http://127.0.0.1:\(UInt16(bigEndian: addr.sin_port))", "--timeout", "0.5"])
        #expect(timedOut.status == 1)
        // Its own timer ended the wait (a hang would never print this); how long that took is
        // not asserted: the machine may be busy.
        #expect(timedOut.stderr.hasSuffix(": timed out after 0.5 s waiting for the answer\n"))
    }

    @Test(arguments: [["--url", "https://127.0.0.1:8000"], ["--url", "127.0.0.1:8000"], ["--timeout", "0"]])
    func healthRefusesBadArgumentsWithExit2(arguments: [String]) throws {
        let result = try health(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains("Error:"))
    }

    @Test func healthRefusesAPortOf0InTheEnvironment() throws {
        let result = try health([], environment: ["MOCKLLM_PORT": "0"])
        #expect(result.status == 1)
        #expect(result.stderr == "mockllm health: MOCKLLM_PORT is 0 (a free port picked at start): pass --url\n")
    }
}
