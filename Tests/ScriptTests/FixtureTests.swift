import Foundation
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Fixtures without a server: writing an exchange as a rule, loading it back, matching it (and
/// not a request that shares only the last user message), normalisers, redaction, directories.
@Suite("Fixtures")
struct FixtureTests: ScriptLoading {
    static let scriptFile = "fixtures.yml"

    static let conversation = #"""
        {"model":"gpt-4o","stream":true,"temperature":0.2,"stream_options":{"include_usage":true},
         "messages":[{"role":"system","content":"You are terse.\nAnswer in one line."},
                     {"role":"user","content":"What is the weather in Paris?"},
                     {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
                     {"role":"tool","tool_call_id":"call_1","content":"15 degrees"},
                     {"role":"user","content":"And tomorrow?"}],
         "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}]}
        """#

    static let events: [RecordedEvent] = [
        RecordedEvent(atMs: 120.5, data: Array("data: {\"id\":\"chatcmpl-AbCdEfGh12345678\",\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n".utf8)),
        RecordedEvent(atMs: 140, data: Array("data: {\"id\":\"chatcmpl-AbCdEfGh12345678\",\"choices\":[{\"delta\":{\"content\":\"Rain.\"}}]}\n\n".utf8)),
        RecordedEvent(atMs: 141.2, data: Array("data: [DONE]\n\n".utf8)),
    ]

    func exchange(body: String = FixtureTests.conversation, target: String = "/v1/chat/completions",
                  headers: HTTPFields = HTTPFields([.init(name: "content-type", value: "application/json")]),
                  response: RecordedReply.Body = .events(FixtureTests.events)) -> RecordedExchange {
        RecordedExchange(method: "POST", target: target, requestHeaders: headers, requestBody: Array(body.utf8), status: 200,
                         responseHeaders: HTTPFields([.init(name: "Content-Type", value: "text/event-stream; charset=utf-8"),
                                                      .init(name: "Content-Length", value: "99"), .init(name: "Date", value: "today"),
                                                      .init(name: "x-request-id", value: "req_123")]),
                         response: response)
    }

    func loaded(_ rules: String...) throws -> Script {
        try script(FixtureWriter.fileHeader + rules.joined())
    }

    func lookup(_ script: Script, _ body: String, path: String = "/v1/chat/completions", query: String? = nil,
                headers: HTTPFields = HTTPFields()) throws -> FixtureSet.Lookup {
        let fixtures = try #require(script.fixtures)
        let document = try JSONDocument.parse(Array(body.utf8))
        let value = withExtendedLifetime(document) { document.root.materialize() }
        return fixtures.lookup(method: "POST", path: path, query: query, headers: RequestHeaders(headers), body: value)
    }

    func hit(_ lookup: FixtureSet.Lookup) -> Fixture? {
        if case .hit(let fixture) = lookup { return fixture }
        return nil
    }

    func miss(_ lookup: FixtureSet.Lookup) -> String? {
        if case .miss(let why) = lookup { return why }
        return nil
    }

    // MARK: - Writing and matching

    @Test func aWrittenExchangeLoadsAndMatchesTheSameRequestOnly() throws {
        let text = FixtureWriter.rule(for: exchange(), name: "weather-1")
        let script = try loaded(text)
        #expect(script.rules.isEmpty)
        let fixture = try #require(hit(try lookup(script, Self.conversation)))
        #expect(fixture.name == "weather-1")
        #expect(fixture.reply.body == .events(Self.events))
        #expect(fixture.reply.headers == HTTPFields([.init(name: "content-type", value: "text/event-stream; charset=utf-8"),
                                                     .init(name: "x-request-id", value: "req_123")]))
        // Volatile knobs and key order do not identify a request.
        let reordered = #"{"stream":true,"temperature":1.5,"model":"gpt-4o","seed":3,"messages":"# +
            Self.conversation.split(separator: "\"messages\":", maxSplits: 1)[1]
        #expect(hit(try lookup(script, reordered)) != nil)
        // The same last user message in another conversation is another request.
        let why = try #require(miss(try lookup(script, #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"And tomorrow?"}],"tools":[]}"#)))
        #expect(why.hasPrefix("closest fixture 'weather-1' (fixtures.yml:"))
        #expect(why.contains("request.messages has 1 items, the fixture 5"), "\(why)")
        // Streaming identifies: a JSON request does not get a stream recording.
        let json = Self.conversation.replacingOccurrences(of: "\"stream\":true", with: "\"stream\":false")
        #expect(try miss(lookup(script, json))?.contains("request.stream is false, the fixture has true") == true)
        // Another endpoint is not this fixture's business.
        if case .notHere = try lookup(script, Self.conversation, path: "/v1/embeddings") {} else { Issue.record("expected notHere") }
        // A tool result that differs.
        let other = Self.conversation.replacingOccurrences(of: "15 degrees", with: "16 degrees")
        #expect(try miss(lookup(script, other))?.contains("request.messages[3].content is \"16 degrees\", the fixture has \"15 degrees\"") == true)
    }

    @Test func theWrittenRuleIsReadableYAML() {
        let text = FixtureWriter.rule(for: exchange(), name: "weather-1")
        #expect(text.hasPrefix("""
            - name: weather-1
              match:
                endpoint: /v1/chat/completions
                request:
                  model: gpt-4o
                  stream: true
                  messages:
                    - role: system
                      content: |-
                        You are terse.
                        Answer in one line.
                    - role: user
                      content: "What is the weather in Paris?"

            """), "\(text)")
        #expect(!text.contains("temperature") && !text.contains("stream_options") && !text.contains("content-length"))
        #expect(text.contains("""
                events:
                  - at_ms: 120.5
                    data: |+
                      data: {"id":"chatcmpl-AbCdEfGh12345678","choices":[{"delta":{"role":"assistant"}}]}

            """), "\(text)")
    }

    @Test(arguments: [
        "", "plain", "yes", "1.0", "null", "~", " leading space", "trailing space ", "two\nlines", "two\nlines\n",
        "ends\n\n\n", "\nstarts with a break", "tab\there", "quote \" and \\ backslash", "é ü 😀 中文", "ctrl \u{1}\u{7F}\u{85}\u{2028}",
        "key: value", "- dash", "# hash", "a\r\nb", "  \n  ", "line\n  indented\n\nblank",
    ])
    func anyTextSurvivesTheRoundTrip(_ text: String) throws {
        var body = JSONObject()
        body.members = [.init(key: "model", value: .string("m")), .init(key: "prompt", value: .string(text)),
                        .init(key: text.isEmpty ? "empty" : text, value: .number(1.5))]
        let response: RecordedReply.Body = .events([RecordedEvent(atMs: 1, data: Array(text.utf8)), RecordedEvent(atMs: 2, data: [0xFF, 0x00, 0x41])])
        let rule = FixtureWriter.rule(for: exchange(body: JSONValue.object(body).jsonText, target: "/v1/completions", response: response), name: "odd")
        let script = try loaded(rule)
        let fixture = try #require(script.fixtures?.fixtures.first)
        #expect(fixture.request == .object(body), "\(rule)")
        #expect(fixture.reply.body == response, "\(rule)")
        #expect(hit(try lookup(script, JSONValue.object(body).jsonText, path: "/v1/completions")) != nil)
    }

    @Test func aBodyReplyKeepsItsBytesAndArrival() throws {
        let body = Array(#"{"object":"list","data":[{"embedding":[0.1,-2e-05]}]}"#.utf8)
        let rule = FixtureWriter.rule(for: exchange(body: #"{"model":"text-embedding-3-small","input":"hi"}"#, target: "/v1/embeddings",
                                                    response: .bytes(body, atMs: 12.34)), name: "embed")
        let fixture = try #require(try loaded(rule).fixtures?.fixtures.first)
        #expect(fixture.reply.body == .bytes(body, atMs: 12.3))
        // A byte-order mark, which YAML readers drop even escaped, goes as base64.
        let bom = Array("\u{FEFF}data".utf8)
        let marked = try loaded(FixtureWriter.rule(for: exchange(response: .bytes(bom, atMs: nil)), name: "bom"))
        #expect(marked.fixtures?.fixtures.first?.reply.body == .bytes(bom, atMs: nil))
    }

    // MARK: - Normalisers, ignored keys, redaction

    @Test func normalisersApplyWhenRecordingAndWhenMatching() throws {
        let settings = RecordSettings(normalizers: [try Normalizer(regex: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"#, replacement: "<time>")])
        let body = #"{"model":"m","messages":[{"role":"user","content":"now is 2026-12-07T02:00:00Z"}]}"#
        let rule = FixtureWriter.rule(for: exchange(body: body), name: "time", settings: settings)
        #expect(rule.contains("now is <time>") && !rule.contains("2026-12-07"))
        let script = try script("""
            settings:
              record:
                normalize:
                  - {regex: '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ', replace: "<time>"}
                ignore: [messages.0]
                keep: [temperature]

            """ + FixtureWriter.fileHeader.replacingOccurrences(of: "#.*\n", with: "", options: .regularExpression) + rule)
        #expect(script.record.ignore.contains(["messages", "0"]) && !script.record.ignore.contains(["temperature"]))
        let later = body.replacingOccurrences(of: "2026-12-07T02:00:00Z", with: "2027-01-01T00:00:00Z")
        #expect(hit(try lookup(script, later)) != nil)
        #expect(miss(try lookup(script, later.replacingOccurrences(of: "now is", with: "then was"))) != nil)
    }

    @Test func noKeyStringReachesTheWrittenText() throws {
        let secret = "sk-SECRET-0123456789"
        let settings = RecordSettings(redact: ["x-internal-token", "session_secret"])
        let headers = HTTPFields([
            .init(name: "Authorization", value: "Bearer \(secret)"), .init(name: "x-api-key", value: secret),
            .init(name: "api-key", value: secret), .init(name: "x-goog-api-key", value: secret),
            .init(name: "Proxy-Authorization", value: "Basic \(secret)"), .init(name: "Cookie", value: "s=\(secret)"),
            .init(name: "X-Internal-Token", value: secret), .init(name: "x-mockllm-test", value: "test_weather"),
        ])
        let body = #"{"model":"m","api_key":"\#(secret)","nested":{"session_secret":"\#(secret)"},"messages":[{"role":"user","content":"hi"}]}"#
        var recorded = exchange(body: body, target: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=\(secret)",
                                headers: headers)
        recorded.responseHeaders.append(name: "Set-Cookie", value: "s=\(secret)")
        recorded.responseHeaders.append(name: "x-internal-token", value: secret)
        let text = FixtureWriter.rule(for: recorded, name: "gemini", settings: settings)
        #expect(!text.contains(secret), "\(text)")
        #expect(!text.contains("SECRET"))
        #expect(text.contains("endpoint: \"/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse\""), "\(text)")
        #expect(text.contains("headers: {x-mockllm-test: test_weather}"))
        #expect(FixtureWriter.fileName(testID: recorded.testID) == "test_weather.yml")
        #expect(FixtureWriter.fileName(testID: "tests/test_a.py::test b") == "tests_test_a.py__test_b.yml")
        #expect(FixtureWriter.fileName(testID: nil) == "recorded.yml")
        // The masked fixture still matches the request with its real key (masked the same way).
        let redacting = try script("settings: {record: {redact: [x-internal-token, session_secret]}}\n" + FixtureWriter.fileHeader + text)
        let fixture = try #require(redacting.fixtures?.fixtures.first)
        #expect(fixture.headers.first?.name == "x-mockllm-test")
        let found = try lookup(redacting, body, path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent", query: "key=other&alt=sse",
                               headers: HTTPFields([.init(name: "x-mockllm-test", value: "test_weather")]))
        #expect(hit(found) != nil)
        #expect(miss(try lookup(redacting, body, path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent", query: "alt=sse"))?
            .contains("header x-mockllm-test is missing") == true)
        #expect(Redaction.maskedQuery("alt=sse&key=\(secret)") == "alt=sse&key=[REDACTED]")
    }

    @Test func streamsAreCutIntoEventsAtTheirBoundaries() {
        let sse = FixtureWriter.events(from: [(1, Array("data: a\n\nda".utf8)), (2, Array("ta: b\n".utf8)), (3, Array("\ndata: c\r\n\r\n".utf8))],
                                       contentType: "text/event-stream")
        #expect(sse.map { String(decoding: $0.data, as: UTF8.self) } == ["data: a\n\n", "data: b\n\n", "data: c\r\n\r\n"])
        #expect(sse.map(\.atMs) == [1, 3, 3])
        let ndjson = FixtureWriter.events(from: [(5, Array("{\"a\":1}\n{\"b\"".utf8)), (6, Array(":2}\n".utf8))], contentType: "application/x-ndjson")
        #expect(ndjson.map { String(decoding: $0.data, as: UTF8.self) } == ["{\"a\":1}\n", "{\"b\":2}\n"])
        let raw = FixtureWriter.events(from: [(1, Array("[{".utf8)), (2, Array("}]".utf8))], contentType: "application/json")
        #expect(raw.count == 2 && raw[1].atMs == 2)
    }

    /// One message of an AWS event stream, as Bedrock frames it.
    static func eventStreamMessage(_ headers: [EventStreamHeader], _ payload: String) -> [UInt8] {
        RecordedEvent(atMs: 0, data: Array(payload.utf8), eventStreamHeaders: headers).wireBytes()
    }

    /// Bedrock's streams: cut into messages wherever the pieces end, each kept as its headers and
    /// payload (an invoke stream's base64 chunk as it came), written in short as `event:` or
    /// `exception:`, read back, and framed again byte for byte the same, with fresh checksums.
    @Test func eventStreamMessagesAreRecordedAndFramedAgain() throws {
        let event = RecordedEvent.EventStreamKind.event, exception = RecordedEvent.EventStreamKind.exception
        let odd = [EventStreamHeader(name: ":event-type", value: .string("chunk")), EventStreamHeader(name: ":message-type", value: .string("event")),
                   EventStreamHeader(name: "x-extra", value: .string("1"))]
        let messages = [
            Self.eventStreamMessage(event.headers("messageStart"), #"{"p":"abcd","role":"assistant"}"#),
            Self.eventStreamMessage(event.headers("chunk"), #"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdGFydCJ9","p":"ab"}"#),
            Self.eventStreamMessage(odd, "{}"),
            Self.eventStreamMessage([], ""),
            Self.eventStreamMessage(exception.headers("throttlingException"), #"{"message":"Too many requests"}"#),
        ]
        let stream = messages.flatMap { $0 }
        // Pieces cut inside a prelude, inside a payload, and two messages in one piece.
        let cuts = [5, messages[0].count + 20, messages[0].count + messages[1].count + messages[2].count + 3, stream.count - 20, stream.count]
        var pieces: [(atMs: Double, bytes: [UInt8])] = []
        var start = 0
        for (i, end) in cuts.enumerated() {
            pieces.append((Double(10 * (i + 1)), Array(stream[start..<end])))
            start = end
        }
        let events = FixtureWriter.events(from: pieces, contentType: "application/vnd.amazon.eventstream")
        #expect(events.map(\.atMs) == [20, 30, 30, 40, 50])
        #expect(events.map { $0.wireBytes() } == messages)
        #expect(String(decoding: events[1].data, as: UTF8.self) == #"{"bytes":"eyJ0eXBlIjoibWVzc2FnZV9zdGFydCJ9","p":"ab"}"#)

        var recorded = exchange(body: #"{"messages":[{"role":"user","content":[{"text":"hi"}]}]}"#,
                                target: "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream", response: .events(events))
        recorded.responseHeaders = HTTPFields([.init(name: "content-type", value: "application/vnd.amazon.eventstream")])
        let rule = FixtureWriter.rule(for: recorded, name: "bedrock")
        #expect(rule.contains("event: messageStart") && rule.contains("exception: throttlingException") && rule.contains("x-extra: \"1\""), "\(rule)")
        let fixture = try #require(try loaded(rule).fixtures?.fixtures.first)
        #expect(fixture.reply.body == .events(events), "\(rule)")
        #expect(fixture.path == "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream")

        // Bytes that are not a whole event stream are kept as they came.
        var broken = messages[0]
        broken[broken.count - 1] ^= 1
        let kept = FixtureWriter.events(from: [(1, broken)], contentType: "application/vnd.amazon.eventstream")
        #expect(kept == [RecordedEvent(atMs: 1, data: broken)])
        let cut = FixtureWriter.events(from: [(1, Array(messages[0].dropLast()))], contentType: "application/vnd.amazon.eventstream")
        #expect(cut.count == 1 && cut[0].eventStreamHeaders == nil)
    }

    // MARK: - Validation

    @Test func mistakesInFixturesAreLocated() {
        let found = diagnostics("""
            rules:
              - name: a
                match: {endpoint: /v1/chat/completions, prompt: hi}
                recorded: {status: 200, body: "x"}
              - name: b
                match: {request: {model: m}}
                recorded: {status: 200, body: "x", events: []}
              - name: c
                match: {endpoint: v1/x}
                recorded: {status: 700, body: "x"}
              - name: d
                match: {endpoint: /x}
                recorded:
                  events:
                    - {at_ms: 5, data: "a"}
                    - {at_ms: 2, data: "b"}
                reply: "no"
              - name: e
                match: {request: {model: m}}
                reply: "x"
              - name: f
                match: {endpoint: /model/m/converse-stream}
                recorded:
                  events:
                    - {at_ms: 1, event: messageStart, exception: throttlingException, data: "{}"}
                    - {at_ms: 2, headers: {"": x}, data: "{}"}
            """).map(\.description)
        #expect(found.contains { $0.hasPrefix("fixtures.yml:3:45: error: 'rules[0].match.prompt' cannot be used with a recorded reply") }, "\(found)")
        #expect(!found.contains { $0.contains("warning") }, "\(found)")
        #expect(found.contains("fixtures.yml:6:12: error: 'rules[1].match' needs an endpoint (the request's path)"), "\(found)")
        #expect(found.contains("fixtures.yml:9:23: error: 'rules[2].match.endpoint' must be a path starting with /"), "\(found)")
        #expect(found.contains("fixtures.yml:16:19: error: 'rules[3].recorded.events[1].at_ms' is 2, before the event above (5)"), "\(found)")
        #expect(found.contains("fixtures.yml:17:12: error: 'rules[3]' has a recorded reply: 'reply' cannot be used with it"), "\(found)")
        #expect(found.contains { $0.hasPrefix("fixtures.yml:19:22: error: 'rules[4].match.request' needs a recorded reply") }, "\(found)")
        #expect(found.contains("fixtures.yml:25:54: error: 'rules[5].recorded.events[0]' has event and exception: an event stream message is one of event, exception or headers"), "\(found)")
        #expect(found.contains { $0.hasPrefix("fixtures.yml:26:32: error: 'rules[5].recorded.events[1].headers.': an event stream header's name is 1 to 255 bytes") }, "\(found)")
    }

    // MARK: - Directories

    @Test func aDirectoryLoadsAsOneScript() throws {
        let directory = try TemporaryDirectory()
        try directory.write("b.yml", FixtureWriter.fileHeader + FixtureWriter.rule(for: exchange(), name: "weather-1"))
        try directory.write("a.yaml", "settings: {on_miss: strict}\nresponses: {hello: Hi}\nrules:\n  - {name: r, match: {prompt: x}, reply: y}\n")
        try directory.write("notes.txt", "not a script")
        try directory.write(".hidden.yml", "broken: [")
        let loaded = try ScriptLoader.load(path: directory.path, providers: providerCatalog)
        #expect(loaded.script.origin == directory.path)
        #expect(loaded.script.onMiss == .strict)
        #expect(loaded.script.responses == ["hello": "Hi"])
        #expect(loaded.script.rules.map(\.name) == ["r"])
        #expect(loaded.script.fixtures?.fixtures.map(\.file) == [directory.path + "/b.yml"])
        #expect(ScriptLoader.scriptFiles(in: directory.path) == [directory.path + "/a.yaml", directory.path + "/b.yml"])
    }

    @Test func conflictsBetweenFilesNameBothPlaces() throws {
        let directory = try TemporaryDirectory()
        try directory.write("a.yml", "settings: {strict_models: true}\nresponses: {hello: Hi}\nrules:\n  - {name: same, match: {prompt: x}, reply: y}\n")
        try directory.write("b.yml", "responses: {hello: Ho}\npacing: {ttft_ms: 5}\nrules:\n  - {name: same, match: {prompt: z}, reply: y}\n")
        #expect(throws: ScriptLoadError.self) { try ScriptLoader.load(path: directory.path, providers: providerCatalog) }
        do {
            _ = try ScriptLoader.load(path: directory.path, providers: providerCatalog)
        } catch {
            let messages = error.errors.map(\.description)
            let a = directory.path + "/a.yml", b = directory.path + "/b.yml"
            #expect(messages.contains("\(b):2:1: error: 'pacing' is here and 'settings' in \(a):1:1: in a directory, settings, defaults, pacing, models, faults, quotas, providers, engines must all be in one file"), "\(messages)")
            #expect(messages.contains("\(b):1:13: error: the prompt 'hello' of 'responses' is also in \(a):2"), "\(messages)")
            #expect(messages.contains("\(b):4:1: error: two rules are named 'same': here and in \(a):4"), "\(messages)")
        }
        let empty = try TemporaryDirectory()
        #expect(throws: ScriptLoadError.self) { try ScriptLoader.load(path: empty.path) }
    }

    // MARK: - Replay

    @Test func replayTimingComputesEachEventsWait() {
        #expect(ReplayTiming.delays(offsetsMs: [120.5, 140, 141.2]) == [120_500_000, 19_500_000, 1_200_000])
        #expect(ReplayTiming.delays(offsetsMs: [100, 300], factor: 0.5) == [50_000_000, 100_000_000])
        #expect(ReplayTiming.delays(offsetsMs: [10, 5, 20]) == [10_000_000, 0, 10_000_000])
        #expect(ReplayTiming("scaled:0.25") == .scaled(0.25))
        #expect(ReplayTiming("recorded") == .recorded && ReplayTiming("script") == .script)
        #expect(ReplayTiming("scaled:-1") == nil && ReplayTiming("fast") == nil && ReplayTiming("scaled:") == nil)
    }

    func replay(_ script: Script, _ options: ReplayOptions) throws -> (reply: Reply, delays: [UInt64], events: [String]) {
        let fixture = try #require(script.fixtures?.fixtures.first)
        var context = ProviderContext(script: script, now: 0, random: SeededRandom(seed: 1))
        let reply = FixtureReplay.reply(fixture, options: options, model: "gpt-4o", context: &context)
        guard case .stream(var source) = reply.body else { return (reply, [], []) }
        var delays: [UInt64] = [], events: [String] = []
        while let delay = source.nextDelay() {
            delays.append(delay)
            var out = ByteBuffer()
            source.writeNext(into: &out)
            events.append(String(decoding: out.bytes, as: UTF8.self))
        }
        return (reply, delays, events)
    }

    @Test func aRecordedStreamReplaysAtEachTiming() throws {
        let plain = try loaded(FixtureWriter.rule(for: exchange(), name: "w"))
        let recorded = try replay(plain, ReplayOptions(timing: .recorded))
        #expect(recorded.reply.status == 200)
        #expect(recorded.reply.headers["x-mockllm-rule"] == "fixture w")
        #expect(recorded.reply.headers["x-request-id"] == "req_123")
        #expect(recorded.events == Self.events.map { String(decoding: $0.data, as: UTF8.self) })
        #expect(recorded.delays == [120_500_000, 19_500_000, 1_200_000])
        #expect(try replay(plain, ReplayOptions(timing: .scaled(2))).delays == [241_000_000, 39_000_000, 2_400_000])
        #expect(try replay(plain, ReplayOptions(timing: .script)).delays == [0, 0, 0])
        let paced = try script("pacing: {ttft_ms: 50, itl_ms: 7}\n" + FixtureWriter.fileHeader + FixtureWriter.rule(for: exchange(), name: "w"))
        #expect(try replay(paced, ReplayOptions(timing: .script)).delays == [50_000_000, 7_000_000, 7_000_000])
    }

    @Test func regeneratedIdsAreFreshAndConsistentAcrossEvents() throws {
        let script = try loaded(FixtureWriter.rule(for: exchange(), name: "w"))
        let events = try replay(script, ReplayOptions(timing: .recorded, ids: .regenerate)).events
        let ids = events.prefix(2).map { event in
            String(event[event.range(of: "chatcmpl-")!.lowerBound...].prefix(25))
        }
        #expect(ids[0] == ids[1])
        #expect(ids[0] != "chatcmpl-AbCdEfGh12345678" && ids[0].count == 25)
        #expect(events[0].replacingOccurrences(of: ids[0], with: "chatcmpl-AbCdEfGh12345678") == String(decoding: Self.events[0].data, as: UTF8.self))
        #expect(events[2] == "data: [DONE]\n\n")
    }

    @Test func fallbacksDoNotCountAsAnswers() {
        #expect(AnswerSource.isExplicit("fixture w") && AnswerSource.isExplicit("rule flaky") && AnswerSource.isExplicit("responses"))
        #expect(!AnswerSource.isExplicit("default") && !AnswerSource.isExplicit("auto tools") && !AnswerSource.isExplicit("response_format"))
        #expect(!AnswerSource.isExplicit(nil))
    }

    @Test func strictScriptsAnswerNoFallback() throws {
        let script = try script("settings: {strict: true, auto_tools: true}\nresponses: {hello: Hi}\n")
        #expect(script.onMiss == .strict)
        let input = MatchInput(prompt: "other", model: "gpt-4o", messages: [ChatMessage(role: "user", text: "other")],
                               tools: ToolOffer(tools: [ToolOffer.Tool(name: "get_weather")]))
        let answer = script.answer(for: input)
        guard case .error(let error) = answer.outcome else {
            Issue.record("expected a refusal, got \(answer.source)")
            return
        }
        #expect(error.status == 404 && answer.source == "default")
    }
}

/// A directory under the system's temporary directory, removed when the value goes away.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "mockllm-fixtures-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ text: String) throws {
        try text.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
