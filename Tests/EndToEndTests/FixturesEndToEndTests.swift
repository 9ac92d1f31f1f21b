import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Replaying hand-made fixture files over real sockets: every protocol, JSON and streams, byte
/// for byte, at the recorded spacing; a directory of them as one script, `--strict`.
@Suite("Fixtures over real sockets", .serialized)
struct FixturesEndToEndTests {
    /// One recorded exchange: the request sent and what the fixture answers.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var target: String
        var body: String
        var headers: [(String, String)] = []
        var contentType: String
        /// The body, or the events of a stream.
        var events: [String]
        var stream: Bool

        var testDescription: String { name }
    }

    static func sse(_ lines: String...) -> [String] { lines.map { $0 + "\n\n" } }

    static let cases: [Case] = [
        Case(name: "openai-chat-json", target: "/v1/chat/completions",
             body: #"{"model":"gpt-4o","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}"#,
             contentType: "application/json",
             events: [#"{"id":"chatcmpl-B1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_X","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19}}"#],
             stream: false),
        Case(name: "openai-chat-stream", target: "/v1/chat/completions",
             body: #"{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}"#,
             contentType: "text/event-stream; charset=utf-8",
             events: sse(#"data: {"id":"chatcmpl-S1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
                         #"data: {"id":"chatcmpl-S1","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#,
                         #"data: {"id":"chatcmpl-S1","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
                         #"data: {"id":"chatcmpl-S1","choices":[],"usage":{"prompt_tokens":8,"completion_tokens":2,"total_tokens":10}}"#,
                         "data: [DONE]"),
             stream: true),
        Case(name: "openai-responses-stream", target: "/v1/responses",
             body: #"{"model":"gpt-4o","stream":true,"input":"Hi","instructions":"Be kind."}"#,
             contentType: "text/event-stream; charset=utf-8",
             events: sse("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0}",
                         "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"Hi!\",\"sequence_number\":1}",
                         "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2}"),
             stream: true),
        Case(name: "openai-embeddings", target: "/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":["a","b"]}"#,
             contentType: "application/json",
             events: [#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5]},{"object":"embedding","index":1,"embedding":[1e-05,0]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}}"#],
             stream: false),
        Case(name: "openai-completions", target: "/v1/completions", body: #"{"model":"gpt-3.5-turbo-instruct","prompt":"Say hi"}"#,
             contentType: "application/json",
             events: ["{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"text\":\"\\n\\nHi\",\"index\":0,\"finish_reason\":\"stop\"}]}\n"],
             stream: false),
        Case(name: "anthropic-stream", target: "/v1/messages",
             body: #"{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"system":"Be brief.","messages":[{"role":"user","content":[{"type":"text","text":"Hi"}]}]}"#,
             headers: [("anthropic-version", "2023-06-01"), ("x-api-key", "sk-ant-never-recorded")],
             contentType: "text/event-stream; charset=utf-8",
             events: sse("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"usage\":{\"input_tokens\":9,\"output_tokens\":1}}}",
                         "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}",
                         "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello\"}}",
                         "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":2}}",
                         "event: message_stop\ndata: {\"type\":\"message_stop\"}"),
             stream: true),
        Case(name: "anthropic-json", target: "/v1/messages",
             body: #"{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"Weather?"}],"tools":[{"name":"get_weather","input_schema":{"type":"object"}}]}"#,
             headers: [("anthropic-version", "2023-06-01")], contentType: "application/json",
             events: [#"{"id":"msg_01J","type":"message","role":"assistant","content":[{"type":"tool_use","id":"toolu_01J","name":"get_weather","input":{"city":"Paris"}}],"stop_reason":"tool_use","usage":{"input_tokens":20,"output_tokens":9}}"#],
             stream: false),
        Case(name: "openai-responses-json", target: "/v1/responses", body: #"{"model":"gpt-4o","input":[{"role":"user","content":"Hi"}]}"#,
             contentType: "application/json",
             events: [#"{"id":"resp_1","object":"response","status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"Hi!"}]}],"usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5}}"#],
             stream: false),
        Case(name: "gemini-json", target: "/v1beta/models/gemini-2.5-flash:generateContent?key=AIza-never-recorded",
             body: #"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"generationConfig":{"temperature":0.3}}"#,
             contentType: "application/json; charset=UTF-8",
             events: ["{\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hello\"}], \"role\": \"model\"}, \"finishReason\": \"STOP\"}],\n  \"usageMetadata\": {\"promptTokenCount\": 1, \"candidatesTokenCount\": 1}\n}\n"],
             stream: false),
        Case(name: "gemini-stream-sse", target: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
             body: #"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#, headers: [("x-goog-api-key", "AIza-never-recorded")],
             contentType: "text/event-stream",
             events: ["data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}],\"role\": \"model\"}}]}\r\n\r\n",
                      "data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"lo\"}],\"role\": \"model\"},\"finishReason\": \"STOP\"}]}\r\n\r\n"],
             stream: true),
        Case(name: "gemini-stream-array", target: "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
             body: #"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#,
             contentType: "application/json; charset=UTF-8",
             events: ["[{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"Hel\"}]}}]}\n", ",\r\n{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"lo\"}]}}]}\n", "]"],
             stream: true),
        Case(name: "vertex-stream-sse",
             target: "/v1beta1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:streamGenerateContent?alt=sse",
             body: #"{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}"#, headers: [("Authorization", "Bearer ya29.never-recorded")],
             contentType: "text/event-stream",
             events: ["data: {\"candidates\": [{\"content\": {\"role\": \"model\",\"parts\": [{\"text\": \"Hel\"}]}}],\"usageMetadata\": {\"trafficType\": \"ON_DEMAND\"}}\r\n\r\n",
                      "data: {\"candidates\": [{\"content\": {\"role\": \"model\",\"parts\": [{\"text\": \"lo\"}]},\"finishReason\": \"STOP\"}]}\r\n\r\n"],
             stream: true),
        Case(name: "vertex-anthropic-json",
             target: "/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-3-5-sonnet-v2@20241022:rawPredict",
             body: #"{"anthropic_version":"vertex-2023-10-16","max_tokens":100,"messages":[{"role":"user","content":"Hi"}]}"#,
             headers: [("Authorization", "Bearer ya29.never-recorded")], contentType: "application/json",
             events: [#"{"id":"msg_vrtx_01","type":"message","role":"assistant","content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","usage":{"input_tokens":8,"output_tokens":1}}"#],
             stream: false),
        Case(name: "ollama-chat-stream", target: "/api/chat",
             body: #"{"model":"llama3.2","messages":[{"role":"user","content":"Hi"}],"options":{"temperature":0}}"#,
             contentType: "application/x-ndjson",
             events: ["{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}\n",
                      "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"lo\"},\"done\":false}\n",
                      "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"eval_count\":2}\n"],
             stream: true),
        Case(name: "ollama-generate", target: "/api/generate", body: #"{"model":"llama3.2","prompt":"Hi","stream":false}"#,
             contentType: "application/json; charset=utf-8",
             events: [#"{"model":"llama3.2","response":"Hello","done":true,"done_reason":"stop"}"#], stream: false),
        Case(name: "ollama-embed", target: "/api/embed", body: #"{"model":"nomic-embed-text","input":"Hi"}"#,
             contentType: "application/json; charset=utf-8",
             events: [#"{"model":"nomic-embed-text","embeddings":[[0.5,0.25]]}"#], stream: false),
    ]

    /// The fixture file of a case, as a person would write it (the events double-quoted, with
    /// offsets 0, 30, 60... ms).
    static func fixture(_ c: Case) -> String {
        let (path, query) = FixtureWriter.split(c.target)
        let kept = QueryItem.parse(query).filter { $0.name != "key" }
        let endpoint = kept.isEmpty ? path : path + "?" + kept.map(\.description).joined(separator: "&")
        var yaml = """
            rules:
              - name: \(c.name)
                match:
                  endpoint: \(YAMLText.quoted(endpoint))
                  request: \(c.body)
                recorded:
                  status: 200
                  headers: {content-type: \(YAMLText.quoted(c.contentType)), x-request-id: req_\(c.name)}

            """
        if c.stream {
            yaml += "      events:\n"
            for (i, event) in c.events.enumerated() { yaml += "        - {at_ms: \(i * 30), data: \(YAMLText.quoted(event))}\n" }
        } else {
            yaml += "      body: \(YAMLText.quoted(c.events[0]))\n"
        }
        return yaml
    }

    func request(_ c: Case, extraHeaders: [(String, String)] = []) -> String {
        var head = "POST \(c.target) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(c.body.utf8.count)\r\n"
        for (name, value) in c.headers + extraHeaders { head += "\(name): \(value)\r\n" }
        return head + "\r\n" + c.body
    }

    func withFixtures<T>(_ files: [String: String], tune: @escaping (inout ServerConfiguration) -> Void = { _ in },
                         _ body: (TestServer, String) throws -> T) throws -> T {
        let directory = NSTemporaryDirectory() + "mockllm-e2e-fixtures-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, text) in files { try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8) }
        let loaded = try ScriptLoader.load(path: directory, providers: providerCatalog)
        return try withServer(script: loaded.script, watchedScript: .init(path: directory, fingerprint: loaded.fingerprint), tune: tune) {
            try body($0, directory)
        }
    }

    static func nowMs() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) * 1000 + Double(spec.tv_nsec) / 1e6
    }

    @Test(arguments: cases)
    func everyProtocolReplaysByteForByte(_ c: Case) throws {
        try withFixtures([c.name + ".yml": Self.fixture(c)], tune: { $0.replay = ReplayOptions(timing: .recorded) }) { server, _ in
            let client = try server.client()
            let sent = Self.nowMs()
            try client.send(request(c))
            guard c.stream else {
                let response = try client.readResponse()
                #expect(response.status == 200)
                #expect(response.header("content-type") == c.contentType)
                #expect(response.header("x-request-id") == "req_\(c.name)")
                #expect(response.header("x-mockllm-rule") == "fixture \(c.name)")
                #expect(String(decoding: response.body, as: UTF8.self) == c.events[0])
                return
            }
            let head = try client.readHead()
            #expect(head.status == 200)
            #expect(head.header("content-type") == c.contentType)
            #expect(head.header("x-request-id") == "req_\(c.name)")
            #expect(head.header("x-mockllm-rule") == "fixture \(c.name)")
            #expect(head.header("transfer-encoding") == "chunked")
            var chunks: [String] = []
            var arrivals: [Double] = []
            while let chunk = try client.readChunk() {
                arrivals.append(Self.nowMs())
                chunks.append(String(decoding: chunk, as: UTF8.self))
            }
            #expect(chunks == c.events)
            try Self.checkSpacing(arrivals.map { $0 - sent }, due: c.events.indices.map { Double($0 * 30) }, client)
        }
    }

    /// Each event arrived at its offset from the request or after it, never before (the deadlines
    /// are absolute from the stream's start, after the request arrived), and the server timed every
    /// event it wrote (its lateness histogram, `/_mockllm/stats`, counts them). How late they came
    /// is not asserted: `swift test` runs this beside every other suite on a shared machine, where a
    /// loop thread may wait any time for a CPU; scripts/bench measures lateness.
    static func checkSpacing(_ arrived: [Double], due: [Double], _ client: RawClient,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (i, (at, wanted)) in zip(arrived, due).enumerated() {
            #expect(at >= wanted - 0.5, "event \(i) came at \(at) ms, before its \(wanted) ms", sourceLocation: sourceLocation)
        }
        try client.send("GET /_mockllm/stats HTTP/1.1\r\nHost: x\r\n\r\n")
        let stats = try client.readResponse().json()
        let lateness = try #require(stats["lateness_ns"] as? [String: Any], sourceLocation: sourceLocation)
        let count = try #require(lateness["count"] as? Int, sourceLocation: sourceLocation)
        #expect(count >= arrived.count, "the server timed \(count) events of \(arrived.count)", sourceLocation: sourceLocation)
    }

    @Test func scaledAndScriptTimingsPaceTheSameEvents() throws {
        let c = Self.cases[1]
        for (timing, gap) in [(ReplayTiming.scaled(0.5), 15.0), (.script, 20.0)] {
            let files = [c.name + ".yml": Self.fixture(c), "settings.yml": "pacing: {ttft_ms: 40, itl_ms: 20}\nrules: []\n"]
            try withFixtures(files, tune: { $0.replay = ReplayOptions(timing: timing) }) { server, _ in
                let client = try server.client()
                let sent = Self.nowMs()
                try client.send(request(c))
                _ = try client.readHead()
                var arrivals: [Double] = []
                var chunks: [String] = []
                while let chunk = try client.readChunk() {
                    arrivals.append(Self.nowMs())
                    chunks.append(String(decoding: chunk, as: UTF8.self))
                }
                #expect(chunks == c.events)
                let due = timing == .script ? c.events.indices.map { 40 + Double($0) * gap } : c.events.indices.map { Double($0) * gap }
                try Self.checkSpacing(arrivals.map { $0 - sent }, due: due, client)
            }
        }
    }

    @Test func strictRefusesWhatWasNotRecordedNamingTheClosestFixture() throws {
        let c = Self.cases[0]
        try withFixtures([c.name + ".yml": Self.fixture(c), "extra.yml": "responses: {hello: Hi}\n"], tune: { $0.strict = true }) { server, _ in
            let client = try server.client()
            var other = c
            other.body = c.body.replacingOccurrences(of: "Be brief.", with: "Be long.")
            try client.send(request(other))
            let refused = try client.readResponse()
            #expect(refused.status == 404)
            #expect(refused.header("x-mockllm-rule") == "strict")
            let message = try #require(((try refused.json())["error"] as? [String: Any])?["message"] as? String)
            #expect(message.hasPrefix("No fixture, rule or response matches this request (--strict): closest fixture 'openai-chat-json' ("), "\(message)")
            #expect(message.contains("request.messages[0].content is \"Be long.\", the fixture has \"Be brief.\""), "\(message)")
            // An explicit responses: entry still answers; embeddings, which no rule answers, are refused.
            let hello = #"{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}"#
            try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(hello.utf8.count)\r\n\r\n\(hello)")
            let answered = try client.readResponse()
            #expect(answered.status == 200 && answered.header("x-mockllm-rule") == "responses")
            let embed = #"{"model":"text-embedding-3-small","input":"x"}"#
            try client.send("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: \(embed.utf8.count)\r\n\r\n\(embed)")
            #expect(try client.readResponse().status == 404)
            try client.send("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }

    @Test func aNewFixtureFileInTheDirectoryIsReloaded() throws {
        let c = Self.cases.first { $0.name == "openai-completions" }!
        try withFixtures(["a.yml": "responses: {hello: Hi}\n"]) { server, directory in
            let client = try server.client()
            try client.send(request(c))
            #expect(try client.readResponse().header("x-mockllm-rule") != "fixture \(c.name)")
            try Self.fixture(c).write(toFile: directory + "/" + c.name + ".yml", atomically: true, encoding: .utf8)
            try eventually("the new fixture answers", timeout: 10) {
                try client.send(request(c))
                return try client.readResponse().header("x-mockllm-rule") == "fixture \(c.name)"
            }
            // A broken file keeps the last good script (the reload endpoint answers with where it is broken).
            try "rules: [".write(toFile: directory + "/broken.yml", atomically: true, encoding: .utf8)
            try client.send("POST /_mockllm/reload HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            let refused = try client.readResponse()
            #expect(refused.status == 400)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("broken.yml:"))
            try client.send(request(c))
            #expect(try client.readResponse().header("x-mockllm-rule") == "fixture \(c.name)")
            try FileManager.default.removeItem(atPath: directory + "/broken.yml")
            try FileManager.default.removeItem(atPath: directory + "/" + c.name + ".yml")
            try eventually("the deleted fixture no longer answers", timeout: 10) {
                try client.send(request(c))
                return try client.readResponse().header("x-mockllm-rule") != "fixture \(c.name)"
            }
        }
    }

    @Test func theJournalNeverShowsAKey() throws {
        let c = Self.cases.first { $0.name == "anthropic-stream" }!
        let settings = "settings: {record: {redact: [x-mockllm-secret, session_secret]}}\nrules: []\n"
        try withFixtures([c.name + ".yml": Self.fixture(c), "settings.yml": settings]) { server, _ in
            let client = try server.client()
            try client.send(request(c, extraHeaders: [("x-mockllm-secret", "sk-never-shown"), ("x-mockllm-test", "t1")]))
            _ = try client.readResponse()
            let body = #"{"model":"claude-sonnet-4-5","max_tokens":5,"metadata":{"session_secret":"sk-never-shown"},"messages":[{"role":"user","content":"x"}]}"#
            try client.send("POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: sk-never-shown\r\nanthropic-version: 2023-06-01\r\n"
                            + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
            _ = try client.readResponse()
            try client.send("GET /_mockllm/requests HTTP/1.1\r\nHost: x\r\n\r\n")
            let journal = String(decoding: try client.readResponse().body, as: UTF8.self)
            #expect(journal.contains("\"rule\":\"fixture anthropic-stream\""), "\(journal)")
            #expect(journal.contains("\"x-mockllm-test\":\"t1\""), "\(journal)")
            #expect(journal.contains("\"session_secret\":\"[REDACTED]\""), "\(journal)")
            #expect(!journal.contains("never"), "\(journal)")
        }
    }
}
