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

/// The `mockllm` binary itself, run as a user runs it.
@Suite("Command line", .serialized)
struct CLITests {
    /// The binary built next to the test runner.
    static let binary: URL = {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return exe.deletingLastPathComponent().appendingPathComponent("mockllm")
    }()

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// This process's environment without its MOCKLLM_ variables (a developer's own must not
    /// change what a test sees), plus `extra`.
    func environment(_ extra: [String: String]) -> [String: String] {
        ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MOCKLLM_") }.merging(extra) { $1 }
    }

    /// Runs the binary (or `executable`, which runs it) to its end, with nothing on its standard input.
    func run(_ arguments: [String], environment: [String: String] = [:], cwd: URL? = nil,
             executable: URL = Self.binary) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = self.environment(environment)
        process.standardInput = FileHandle.nullDevice
        if let cwd { process.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    func temporaryFile(_ text: String, name: String = "responses.yml") throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mockllm-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// A server process started on a free port; returns it with its port and what it said on
    /// standard error once it listens (the rest stays in `err`).
    func startServer(_ arguments: [String], environment: [String: String] = [:], cwd: URL? = nil,
                     stderr err: Pipe = Pipe()) throws -> (Process, Int, String) {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        process.environment = self.environment(environment)
        if let cwd { process.currentDirectoryURL = cwd }
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var seen = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let data = err.fileHandleForReading.availableData
            if data.isEmpty { break }
            seen += String(decoding: data, as: UTF8.self)
            if let range = seen.range(of: #"listening on http://[^:]+:(\d+)"#, options: .regularExpression) {
                let port = Int(seen[range].split(separator: ":").last!)!
                return (process, port, seen)
            }
        }
        process.terminate()
        throw TestFailure("server did not start: \(seen)")
    }

    @Test func printsItsVersion() throws {
        let result = try run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }

    @Test func validateAcceptsAGoodFileWithTheOriginalsMessages() throws {
        let file = try temporaryFile("responses:\n  a: b\n  c: d\n")
        let result = try run(["validate", file.path])
        #expect(result.status == 0)
        #expect(result.stdout == "✓ Valid responses file\nFound 2 responses\nDefines: 2 responses, no latency\n")
    }

    @Test func validateReportsEveryProblemWithItsLocationAndExits1() throws {
        let file = try temporaryFile("responses:\n  a: [1]\nsettings:\n  lag_factor: 0\n")
        let result = try run(["validate", file.path])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "✗ Invalid responses file")
        #expect(lines.count == 4)
        #expect(lines[1].hasPrefix("\(file.path):2:6: error:"))
        #expect(lines[2].hasPrefix("\(file.path):4:15: error:"))
        #expect(lines[3] == "2 errors")
    }

    @Test func validateExits2ForAMissingFile() throws {
        let result = try run(["validate", "/nonexistent/responses.yml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("does not exist"))
    }

    @Test(arguments: [["serve", "--no-such-option"], ["serve", "--workers", "0"], ["bench"], ["bench", "http://x", "--concurrency", "many"]])
    func usageErrorsExit2WithAMessage(arguments: [String]) throws {
        let result = try run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains("Error:"))
        #expect(result.stderr.contains("Usage:"))
    }

    @Test func serveRefusesAnInvalidScriptWithExit2() throws {
        let file = try temporaryFile("responses: [oops]\n")
        let result = try run(["serve", "--port", "0", "--responses", file.path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file.path):1:12: error:"))
    }

    @Test func aPortInUseIsOneLineAndExit1() throws {
        let (first, port, _) = try startServer(["serve", "--port", "0"])
        defer { first.terminate(); first.waitUntilExit() }
        let result = try run(["serve", "--port", "\(port)"])
        #expect(result.status == 1)
        #expect(result.stderr == "mockllm: cannot listen on 127.0.0.1:\(port): address already in use\n")
    }

    @Test func sigtermLetsStreamsFinishThenExits0() throws {
        let (process, port, _) = try startServer(["serve", "--port", "0"])
        let body = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"x"}]}"#
        let request = "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mockllm-itl-ms: 20\r\n"
            + "x-mockllm-chunking: word\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        let clients = try (0..<50).map { _ in try RawClient(port: port, timeout: 10) }
        for client in clients {
            try client.send(request)
            _ = try client.readHead()
        }
        kill(process.processIdentifier, SIGTERM)
        for client in clients {
            let (chunks, end) = try client.readChunksUntilEnd()
            #expect(end == .lastChunk && String(decoding: chunks.last ?? [], as: UTF8.self).contains("[DONE]"),
                    "a stream was cut by SIGTERM")
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }

    @Test func aSecondSignalStopsAtOnce() throws {
        let (process, port, _) = try startServer(["serve", "--port", "0", "--drain-timeout", "600"])
        let body = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"x"}]}"#
        let client = try RawClient(port: port, timeout: 10)
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mockllm-itl-ms: 60000\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
        _ = try client.readHead()
        kill(process.processIdentifier, SIGTERM)
        // The drain has begun once the server no longer listens.
        try eventually("the first signal closes the listener") { (try? RawClient(port: port)) == nil }
        // That it goes on draining is a thing that does not happen: it cannot be awaited, only
        // given time to go wrong. 200 ms from the drain's start are ample for a server that
        // stops at once to exit (and for Process to notice).
        Thread.sleep(forTimeInterval: 0.2)
        #expect(process.isRunning, "the first signal should drain, not stop, while a stream runs")
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(client.waitForClose())
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalStopsTheServerWithExit0(signal: Int32) throws {
        let (process, port, _) = try startServer(["serve", "--port", "0"])
        let client = try RawClient(port: port)
        try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(client.waitForClose())
    }

    @Test func startAcceptsTheOriginalsFlagsWithDashHAsHost() throws {
        let file = try temporaryFile("responses:\n  hi: there\n")
        let (process, port, _) = try startServer(["start", "-r", file.path, "-h", "127.0.0.1", "-p", "0"])
        defer { process.terminate(); process.waitUntilExit() }
        let client = try RawClient(port: port)
        let body = #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try client.readResponse().text.contains(#""content":"there""#))
    }

    @Test func environmentVariablesNameTheScriptAndPort() throws {
        let file = try temporaryFile("responses:\n  hi: from env\n")
        let (process, port, _) = try startServer(["serve"], environment: ["MOCKLLM_RESPONSES_FILE": file.path, "MOCKLLM_PORT": "0"])
        defer { process.terminate(); process.waitUntilExit() }
        let client = try RawClient(port: port)
        let body = #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try client.readResponse().text.contains(#""content":"from env""#))
    }

    @Test func withoutAScriptItServesTheEmbeddedOneAndSaysSo() throws {
        let empty = try temporaryFile("", name: "unused").deletingLastPathComponent()
        let (process, port, startup) = try startServer(["serve", "--port", "0"], cwd: empty)
        defer { process.terminate(); process.waitUntilExit() }
        #expect(startup.contains("embedded default script"))
        let client = try RawClient(port: port)
        let body = #"{"model":"m","messages":[{"role":"user","content":"ping"}]}"#
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try client.readResponse().text.contains(#""content":"pong""#))
    }
}
