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

/// `--log-format json` and `--access-log` on the real binary: one JSON object per line, one
/// access line per provider request and none for the server's own endpoints.
extension CLITests {
    /// Runs a server with `arguments`, sends `requests` (method, path, body), stops it, returns its stderr lines.
    func logLines(_ arguments: [String], environment: [String: String] = [:], requests: [(String, String, String)]) throws -> [String] {
        let err = Pipe()
        let (process, port, startup) = try startServer(["serve", "--port", "0"] + arguments, environment: environment, stderr: err)
        var seen = startup
        for (method, path, body) in requests {
            let client = try RawClient(port: port)
            try client.send("\(method) \(path) HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            _ = try client.readResponse()
        }
        kill(process.processIdentifier, SIGTERM)
        seen += String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return seen.split(separator: "\n").map(String.init)
    }

    static let chatBody = #"{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}"#

    @Test func jsonLogsAreOneObjectPerLine() throws {
        let lines = try logLines(["--log-format", "json"], requests: [("GET", "/health", "")])
        #expect(lines.count >= 3, "start, stopping, stopped: \(lines)")
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] as? String == "info", "\(line)")
            #expect((object?["time"] as? String)?.hasSuffix("Z") == true, "\(line)")
            #expect(object?["message"] is String, "\(line)")
        }
        #expect(lines.first?.contains("listening on http://127.0.0.1:") == true)
    }

    @Test func theAccessLogHasOneLinePerProviderRequest() throws {
        let requests = [("POST", "/v1/chat/completions", Self.chatBody), ("GET", "/health", ""), ("GET", "/_mockllm/stats", ""),
                        ("POST", "/v1/chat/completions", "{")]
        let lines = try logLines(["--access-log", "--log-format", "json"], requests: requests)
        let access = lines.filter { $0.contains("\"status\":") }
        #expect(access.count == 2, "\(lines)")
        #expect(access.first?.contains(#""message":"POST /v1/chat/completions 200""#) == true, "\(access)")
        #expect(access.first?.contains(#""rule":"responses""#) == true, "\(access)")
        #expect(access.last?.contains(#""message":"POST /v1/chat/completions 400""#) == true, "\(access)")
        let quiet = try logLines([], requests: [("POST", "/v1/chat/completions", Self.chatBody)])
        #expect(!quiet.contains { $0.contains("POST /v1/chat/completions") }, "nothing per request by default")
        let fromEnvironment = try logLines([], environment: ["MOCKLLM_ACCESS_LOG": "1"], requests: [("POST", "/v1/chat/completions", Self.chatBody)])
        #expect(fromEnvironment.contains { $0.contains("POST /v1/chat/completions 200") })
    }

    @Test func anUnknownLogFormatIsAUsageError() throws {
        let result = try run(["serve", "--port", "0", "--log-format", "xml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unknown log format 'xml': use text or json"))
    }
}
