import Foundation
@testable import MockLLM
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Record mode end to end: the `mockllm` binary with `--record DIR --upstream ...` in front of a
/// real HTTPS upstream (Tests/Upstream/upstream.py with a CA made at test time, relaying to a
/// plain mockllm that serves every protocol's wire format), then replay with the upstream stopped.
@Suite("Record mode over real sockets", .serialized)
struct RecordEndToEndTests {
    /// The upstream: a plain mockllm serving a paced script, behind upstream.py's TLS relay.
    final class Upstream {
        let model: Process
        let relay: Process
        let relayInput: Pipe
        let tlsPort: Int
        let directory: String
        var caFile: String { directory + "/ca.pem" }
        var otherCAFile: String { directory + "/other-ca.pem" }
        var url: String { "https://127.0.0.1:\(tlsPort)" }

        /// - Parameter environment: added to upstream.py's (`UPSTREAM_AWS_*`: the credentials it checks SigV4 with).
        init(environment: [String: String] = [:]) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("mockllm-record-up-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let script = directory + "/upstream.yml"
            try """
                responses:
                  hello: "Hello there, this answer was recorded."
                pacing:
                  ttft_ms: 15
                  itl_ms: 4
                """.write(toFile: script, atomically: true, encoding: .utf8)
            let (model, port, _) = try CLITests().startServer(["serve", "--port", "0", "--responses", script, "--no-reload"])
            self.model = model
            let relay = Process()
            relay.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            let upstreamPy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("Upstream/upstream.py").path
            relay.arguments = ["python3", upstreamPy, directory, "http://127.0.0.1:\(port)"]
            let input = Pipe(), output = Pipe()
            relay.standardInput = input
            relay.standardOutput = output
            relay.standardError = FileHandle.nullDevice
            relay.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            try relay.run()
            self.relay = relay
            relayInput = input
            let line = Self.readLine(output.fileHandleForReading.fileDescriptor, seconds: 30)
            let parts = line?.split(separator: " ") ?? []
            guard parts.count == 3, parts[0] == "PORTS", let tls = Int(parts[2]) else {
                relay.terminate()
                model.terminate()
                throw TestFailure("upstream.py did not report its ports: \(line ?? "nothing")")
            }
            tlsPort = tls
        }

        /// Stops both processes and waits for them.
        func stop() {
            try? relayInput.fileHandleForWriting.close()
            if relay.isRunning { relay.terminate() }
            relay.waitUntilExit()
            if model.isRunning { model.terminate() }
            model.waitUntilExit()
        }

        static func readLine(_ fd: Int32, seconds: Double) -> String? {
            let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
            var bytes: [UInt8] = []
            while ContinuousClock.now < deadline {
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 100) > 0 else { continue }
                var byte: UInt8 = 0
                guard read(fd, &byte, 1) == 1 else { return nil }
                if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
                bytes.append(byte)
            }
            return nil
        }
    }

    /// A request of one protocol; its name is its test id (`x-mockllm-test`), so its fixture file.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var target: String
        var body: String
        var headers: [(String, String)] = []
        var stream: Bool
        var testDescription: String { name }
    }

    static let openAIKey = "sk-e2e-openai-SECRET-0001"
    static let anthropicKey = "sk-ant-e2e-SECRET-0002"
    static let geminiKey = "AIza-e2e-SECRET-0003"
    static let ollamaKey = "ollama-e2e-SECRET-0004"

    static let cases: [Case] = {
        let chat = #"{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]"#
        let bearer = [("authorization", "Bearer \(openAIKey)")]
        let anthropic = [("anthropic-version", "2023-06-01"), ("x-api-key", anthropicKey)]
        let gemini = #"{"contents":[{"role":"user","parts":[{"text":"hello"}]}]}"#
        return [
            Case(name: "openai-chat-json", target: "/v1/chat/completions", body: chat + "}",
                 headers: bearer + [("accept-encoding", "gzip, deflate")], stream: false),
            Case(name: "openai-chat-stream", target: "/v1/chat/completions",
                 body: chat + #","stream":true,"stream_options":{"include_usage":true}}"#, headers: bearer, stream: true),
            Case(name: "openai-responses-json", target: "/v1/responses", body: #"{"model":"gpt-4o","input":"hello"}"#, headers: bearer, stream: false),
            Case(name: "openai-responses-stream", target: "/v1/responses", body: #"{"model":"gpt-4o","input":"hello","stream":true}"#,
                 headers: bearer, stream: true),
            Case(name: "openai-embeddings", target: "/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":"hello"}"#,
                 headers: bearer, stream: false),
            Case(name: "openai-completions", target: "/v1/completions", body: #"{"model":"gpt-3.5-turbo-instruct","prompt":"hello"}"#,
                 headers: bearer, stream: false),
            Case(name: "openai-completions-stream", target: "/v1/completions",
                 body: #"{"model":"gpt-3.5-turbo-instruct","prompt":"hello","stream":true}"#, headers: bearer, stream: true),
            Case(name: "anthropic-json", target: "/v1/messages",
                 body: #"{"model":"claude-3-haiku","max_tokens":50,"messages":[{"role":"user","content":"hello"}]}"#, headers: anthropic, stream: false),
            Case(name: "anthropic-stream", target: "/v1/messages",
                 body: #"{"model":"claude-3-haiku","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hello"}]}"#,
                 headers: anthropic, stream: true),
            Case(name: "gemini-json", target: "/v1beta/models/gemini-2.5-flash:generateContent?key=\(geminiKey)", body: gemini, stream: false),
            Case(name: "gemini-stream-sse", target: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
                 body: gemini, headers: [("x-goog-api-key", geminiKey)], stream: true),
            Case(name: "gemini-stream-array", target: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?key=\(geminiKey)",
                 body: gemini, stream: true),
            Case(name: "ollama-chat-json", target: "/api/chat",
                 body: #"{"model":"llama3.2","messages":[{"role":"user","content":"hello"}],"stream":false}"#,
                 headers: [("authorization", "Bearer \(ollamaKey)")], stream: false),
            Case(name: "ollama-chat-stream", target: "/api/chat", body: #"{"model":"llama3.2","messages":[{"role":"user","content":"hello"}]}"#,
                 stream: true),
            Case(name: "ollama-generate-stream", target: "/api/generate", body: #"{"model":"llama3.2","prompt":"hello"}"#, stream: true),
        ]
    }()

    static func upstreamFlags(_ url: String) -> [String] {
        ["openai", "anthropic", "gemini", "ollama"].flatMap { ["--upstream", "\($0)=\(url)"] }
    }

    /// `mockllm serve --record directory` in front of `upstream` (trusting `ca`, by default the
    /// upstream's own CA), with `extra` flags.
    static func startRecorder(_ upstream: Upstream, directory: String, ca: String? = nil,
                              extra: [String] = []) throws -> (process: Process, port: Int) {
        let (recorder, port, _) = try CLITests().startServer(
            ["serve", "--port", "0", "--record", directory, "--upstream-ca", ca ?? upstream.caFile] + extra
                + upstreamFlags(upstream.url))
        return (recorder, port)
    }

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("mockllm-record-\(UUID().uuidString)").path
    }

    /// Sends `c` (with `extra` headers) and reads the whole response.
    static func send(_ c: Case, port: Int, extra: [(String, String)] = [], timeout: Double = 10) throws -> TestResponse {
        let client = try RawClient(port: port, timeout: timeout)
        try client.send(requestText(c, extra: extra))
        return try client.readResponse()
    }

    static func requestText(_ c: Case, extra: [(String, String)] = []) -> String {
        var text = "POST \(c.target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(c.body.utf8.count)\r\n"
        text += "x-mockllm-test: \(c.name)\r\n"
        for (name, value) in c.headers + extra { text += "\(name): \(value)\r\n" }
        return text + "\r\n" + c.body
    }

    /// Fixture rules written in `directory` (every file), by file name.
    static func fixtures(in directory: String) -> [String: Int] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var counts: [String: Int] = [:]
        for file in files where file.hasSuffix(".yml") {
            let text = (try? String(contentsOfFile: directory + "/" + file, encoding: .utf8)) ?? ""
            counts[file] = text.split(separator: "\n").filter { $0.hasPrefix("- name: ") }.count
        }
        return counts
    }

    /// The text of every file in `directory`, hidden ones included.
    static func allText(in directory: String) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return files.map { (try? String(contentsOfFile: directory + "/" + $0, encoding: .utf8)) ?? "" }.joined(separator: "\n")
    }

    /// A stream's events in order: server-sent events, NDJSON lines, else the body whole.
    static func events(_ response: TestResponse) -> [String] {
        let text = response.text
        let type = response.header("content-type") ?? ""
        if type.hasPrefix("text/event-stream") { return text.components(separatedBy: "\n\n").filter { !$0.isEmpty } }
        if type.contains("ndjson") { return text.split(separator: "\n").map(String.init) }
        return [text]
    }

    @Test func everyProtocolRecordedThenReplayedWithTheUpstreamStopped() throws {
        let upstream = try Upstream()
        defer { upstream.stop() }
        let directory = Self.temporaryDirectory()
        let (recorder, port) = try Self.startRecorder(upstream, directory: directory)
        defer { recorder.terminate(); recorder.waitUntilExit() }

        var recorded: [String: TestResponse] = [:]
        for c in Self.cases {
            let response = try Self.send(c, port: port)
            #expect(response.status == 200, "\(c.name): \(response.status) \(response.text)")
            if c.name != "openai-embeddings" {
                #expect(response.header("x-mockllm-rule") == "responses", "\(c.name): the upstream's own answer passes through")
                #expect(response.text.contains("H"), "\(c.name)")
            }
            #expect(response.header("x-upstream-saw-credentials") != nil, "\(c.name)")
            #expect((response.header("transfer-encoding") == "chunked") == c.stream, "\(c.name): a stream stays a stream")
            recorded[c.name] = response
        }
        // The client's own credentials reached the upstream (forwarded, never recorded).
        #expect(recorded["openai-chat-json"]?.header("x-upstream-saw-credentials") == "authorization")
        #expect(recorded["anthropic-json"]?.header("x-upstream-saw-credentials") == "x-api-key")
        #expect(recorded["gemini-json"]?.header("x-upstream-saw-credentials") == "key")
        #expect(recorded["gemini-stream-sse"]?.header("x-upstream-saw-credentials") == "x-goog-api-key")
        // Asked for gzip, the answer still comes back as text: accept-encoding is not forwarded.
        #expect(recorded["openai-chat-json"]?.header("x-upstream-saw-accept-encoding") == "none")
        #expect(recorded["openai-chat-json"]?.header("content-encoding") == nil)
        // One fixture file per test id, one fixture each.
        let written = try eventually("every exchange written", { Self.fixtures(in: directory) }, until: { $0.count == Self.cases.count })
        for c in Self.cases { #expect(written["\(c.name).yml"] == 1, "\(c.name): \(written)") }
        let text = Self.allText(in: directory)
        for key in [Self.openAIKey, Self.anthropicKey, Self.geminiKey, Self.ollamaKey] {
            #expect(!text.contains(key), "a key reached the fixture directory: \(key)")
        }

        upstream.stop()
        // The recording server reloads its directory (150 ms after the last file changed): each
        // request is now answered by its fixture, byte for byte, with the upstream gone.
        let last = Self.cases[Self.cases.count - 1]
        try eventually("the recorder answers from its fixtures") {
            try Self.send(last, port: port).header("x-mockllm-rule") == "fixture \(last.name)-1"
        }
        for c in Self.cases {
            let replayed = try Self.send(c, port: port)
            #expect(replayed.status == 200, "\(c.name): \(replayed.text)")
            #expect(replayed.header("x-mockllm-rule") == "fixture \(c.name)-1", "\(c.name)")
            #expect(replayed.body == recorded[c.name]?.body, "\(c.name): not byte-identical")
            #expect(replayed.header("content-type") == recorded[c.name]?.header("content-type"), "\(c.name)")
            if let original = recorded[c.name] { #expect(Self.events(replayed) == Self.events(original), "\(c.name)") }
        }
        // A miss, with the upstream gone: the protocol's error naming the closest fixture.
        var other = Self.cases[0]
        other.body = other.body.replacingOccurrences(of: "hello", with: "hello again")
        let miss = try Self.send(other, port: port)
        #expect(miss.status == 502)
        #expect(miss.text.contains("cannot connect to the upstream"), "\(miss.text)")
        #expect(miss.text.contains("closest fixture 'openai-chat-json-1'"), "\(miss.text)")
        #expect(miss.text.contains("hello again"), "\(miss.text)")
        #expect(Self.fixtures(in: directory).values.reduce(0, +) == Self.cases.count)

        // A plain replay server over the same directory, at the recorded offsets scaled and at the
        // script's pacing: the same bytes, the same events in the same order.
        for timing in ["scaled:0.5", "script", "recorded"] {
            let (replay, replayPort, _) = try CLITests().startServer(
                ["serve", "--port", "0", "--responses", directory, "--strict", "--replay-timing", timing])
            defer { replay.terminate(); replay.waitUntilExit() }
            for c in Self.cases {
                let started = ContinuousClock.now
                let replayed = try Self.send(c, port: replayPort)
                let took = ContinuousClock.now - started
                #expect(replayed.body == recorded[c.name]?.body, "\(timing) \(c.name): not byte-identical")
                if let original = recorded[c.name] { #expect(Self.events(replayed) == Self.events(original), "\(timing) \(c.name)") }
                if timing == "recorded", c.stream {
                    // The upstream's pacing (15 ms to the first token) is replayed: never early.
                    #expect(took >= .milliseconds(15), "\(c.name) took \(took)")
                }
            }
        }
    }

    /// A test scope named by the path prefix is the same test as one named by the header: its
    /// exchange goes to the scope's file, and a request naming it either way replays it.
    @Test func aScopeNamedByThePathRecordsToItsOwnFile() throws {
        let upstream = try Upstream()
        defer { upstream.stop() }
        let directory = Self.temporaryDirectory()
        let (recorder, port) = try Self.startRecorder(upstream, directory: directory)
        defer { recorder.terminate(); recorder.waitUntilExit() }
        let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}"#
        func post(_ target: String, header: String?) throws -> TestResponse {
            let client = try RawClient(port: port, timeout: 10)
            var text = "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            text += "Authorization: Bearer \(Self.openAIKey)\r\nContent-Length: \(body.utf8.count)\r\n"
            if let header { text += "x-mockllm-test: \(header)\r\n" }
            try client.send(text + "\r\n" + body)
            return try client.readResponse()
        }
        let recorded = try post("/t/by-path/v1/chat/completions", header: nil)
        #expect(recorded.status == 200 && recorded.header("x-mockllm-rule") == "responses", "\(recorded.text)")
        let written = try eventually("the scope's file", { Self.fixtures(in: directory) }, until: { !$0.isEmpty })
        #expect(written == ["by-path.yml": 1])
        upstream.stop()
        for (target, header) in [("/v1/chat/completions", "by-path"), ("/t/by-path/v1/chat/completions", nil)] {
            let replayed = try eventually("replayed from the scope's fixture", { try post(target, header: header) },
                                          until: { $0.header("x-mockllm-rule") == "fixture by-path-1" })
            #expect(replayed.body == recorded.body)
        }
    }

    @Test func upstreamFaultsGiveTheProtocolsErrorAndNoFixture() throws {
        let upstream = try Upstream()
        defer { upstream.stop() }
        let directory = Self.temporaryDirectory()
        let (recorder, port) = try Self.startRecorder(
            upstream, directory: directory, extra: ["--upstream-first-byte-timeout", "0.5", "--upstream-idle-timeout", "0.5"])
        defer { recorder.terminate(); recorder.waitUntilExit() }
        let byName = Dictionary(uniqueKeysWithValues: Self.cases.map { ($0.name, $0) })

        // A 500 is passed through as the upstream sent it, and not recorded.
        let failed = try Self.send(byName["openai-chat-json"]!, port: port, extra: [("x-upstream-fault", "500")])
        #expect(failed.status == 500)
        #expect(failed.text == #"{"error":{"message":"upstream broke","type":"server_error","code":null}}"#)
        #expect(failed.header("x-upstream") == "fault")

        // A slow upstream past the first-byte timeout: 504 in the protocol's shape.
        let slow = try Self.send(byName["anthropic-json"]!, port: port, extra: [("x-upstream-fault", "slow-head:3000")])
        #expect(slow.status == 504)
        #expect(slow.text.contains(#""type":"error""#) && slow.text.contains("did not answer in time"), "\(slow.text)")
        // /metrics counts each with the status that went out, not the moment it was forwarded.
        let client = try RawClient(port: port, timeout: 10)
        try client.send("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let metrics = try client.readResponse().text.split(separator: "\n").filter { $0.hasPrefix("mockllm_requests_total{") }
        #expect(metrics.contains { $0.contains(#"status="500""#) && $0.contains(#"rule="proxy openai""#) }, "\(metrics)")
        #expect(metrics.contains { $0.contains(#"status="504""#) && $0.contains(#"rule="proxy anthropic failed""#) }, "\(metrics)")
        #expect(!metrics.contains { $0.contains(#"status="200""#) }, "\(metrics)")

        // Streams cut midway, or stalled past the idle timeout: the protocol's in-stream error
        // where it has one, then the connection closes without the stream's end.
        for (name, fault, errorEvent) in [("openai-chat-stream", "cut", #"data: {"error":"#),
                                          ("anthropic-stream", "cut", "event: error"),
                                          ("ollama-chat-stream", "cut", nil),
                                          ("openai-responses-stream", "slow-body:3000", #"data: {"error":"#)] {
            let client = try RawClient(port: port, timeout: 10)
            try client.send(Self.requestText(byName[name]!, extra: [("x-upstream-fault", fault)]))
            let head = try client.readHead()
            #expect(head.status == 200, "\(name)")
            let (chunks, end) = try client.readChunksUntilEnd()
            #expect(end == .closedBetweenChunks, "\(name): \(end)")
            #expect(!chunks.isEmpty, "\(name): the pieces before the cut went out")
            let text = String(decoding: chunks.joined(), as: UTF8.self)
            if let errorEvent {
                #expect(text.contains(errorEvent), "\(name): \(text)")
                #expect(text.contains("mockllm --record"), "\(name)")
            }
        }

        // The client going away mid-stream cancels the transfer: nothing recorded.
        let leaving = try RawClient(port: port, timeout: 10)
        try leaving.send(Self.requestText(byName["gemini-stream-sse"]!, extra: [("x-upstream-fault", "slow-body:400")]))
        _ = try leaving.readHead()
        leaving.reset()

        // Then a good exchange is recorded: the faults above left nothing behind.
        let good = try Self.send(byName["ollama-chat-json"]!, port: port)
        #expect(good.status == 200)
        let written = try eventually("the good exchange written", { Self.fixtures(in: directory) }, until: { !$0.isEmpty })
        #expect(written == ["ollama-chat-json.yml": 1], "\(written)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/gemini-stream-sse.yml"))

        // The journal says which requests were proxied, and which of them failed.
        let journal = try RawClient(port: port, timeout: 10)
        try journal.send("GET /_mockllm/requests HTTP/1.1\r\nHost: x\r\n\r\n")
        let entries = try journal.readResponse().text
        #expect(entries.contains(#""rule":"proxy openai""#), "\(entries.prefix(2000))")
        #expect(entries.contains(#""rule":"proxy ollama""#))
        #expect(entries.contains(#""status":500"#))
    }

    @Test func aWrongCAIsRefusedAndARefusedConnectionIsA502() throws {
        let upstream = try Upstream()
        defer { upstream.stop() }
        let directory = Self.temporaryDirectory()
        // Trusting a CA that did not sign the upstream's certificate: the handshake fails.
        let (recorder, port) = try Self.startRecorder(upstream, directory: directory, ca: upstream.otherCAFile)
        defer { recorder.terminate(); recorder.waitUntilExit() }
        for name in ["openai-chat-json", "gemini-stream-sse"] {
            let c = Self.cases.first { $0.name == name }!
            let refused = try Self.send(c, port: port)
            #expect(refused.status == 502, "\(name)")
            #expect(refused.text.contains("TLS handshake with the upstream failed"), "\(refused.text)")
        }
        // Nobody listening: 502, naming the upstream.
        let listener = try connectLoopbackListener()
        let closedPort = listener.port
        close(listener.fd)
        let (second, secondPort, _) = try CLITests().startServer(
            ["serve", "--port", "0", "--record", directory, "--upstream", "anthropic=http://127.0.0.1:\(closedPort)"])
        defer { second.terminate(); second.waitUntilExit() }
        let anthropic = Self.cases.first { $0.name == "anthropic-json" }!
        let nobody = try Self.send(anthropic, port: secondPort)
        #expect(nobody.status == 502)
        #expect(nobody.text.contains(#""type":"api_error""#) && nobody.text.contains("http://127.0.0.1:\(closedPort)"), "\(nobody.text)")
        #expect(nobody.text.contains("no fixture is recorded for this endpoint"), "\(nobody.text)")
        // An OpenAI request has no upstream here: the script answers it, nothing is forwarded.
        let local = try Self.send(Self.cases[0], port: secondPort)
        #expect(local.status == 200)
        #expect(local.header("x-mockllm-rule") == "default")
        #expect(Self.fixtures(in: directory).isEmpty)
    }

    /// A port that was free a moment ago (bound, then closed by the caller).
    func connectLoopbackListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw TestFailure("bind failed") }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: addr.sin_port)))
    }

    @Test(arguments: [
        (["--record", "/tmp/x"], "--record needs at least one --upstream"),
        (["--upstream", "openai=https://api.openai.com"], "--upstream needs --record DIR"),
        (["--record", "/tmp/x", "--upstream", "https://api.openai.com"], "must be PROVIDER=URL"),
        (["--record", "/tmp/x", "--upstream", "mistral=https://api.mistral.ai"], "unknown provider 'mistral'"),
        (["--record", "/tmp/x", "--upstream", "openai=ftp://host"], "must be an http:// or https:// URL"),
        (["--record", "/tmp/x", "--upstream", "openai=https://a", "--upstream", "openai=https://b"], "'openai' is given twice"),
        (["--record", "/tmp/x", "--upstream", "openai=https://a", "--upstream-ca", "/nonexistent/ca.pem"], "--upstream-ca: cannot read"),
        (["--record", "/tmp/x", "--upstream", "openai=https://a", "--upstream-idle-timeout", "0"], "--upstream-idle-timeout must be between 0.001 and 86400"),
    ])
    func badRecordFlagsExit2(arguments: [String], message: String) throws {
        let result = try CLITests().run(["serve", "--port", "0"] + arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test func theUpstreamsComeFromTheEnvironmentToo() throws {
        let result = try CLITests().run(["serve", "--port", "0"], environment: ["MOCKLLM_RECORD": "/tmp/x", "MOCKLLM_UPSTREAM": "openai=https://a, nope"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("MOCKLLM_UPSTREAM must be PROVIDER=URL"), "\(result.stderr)")
    }
}
