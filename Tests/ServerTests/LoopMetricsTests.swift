@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMHTTPServer
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// `GET /metrics` through the application, without a server: what each provider request adds,
/// what a finished stream adds, and the exposition's shape.
@Suite("Metrics")
struct LoopMetricsTests {
    static let script = Script(responses: ["hello": "Hello there", "ping": "pong"], models: .builtIn)

    func chat(_ app: Application, _ wire: String, stream: Bool = false, prompt: String = "hello") -> Reply {
        if wire == "openai" {
            let body = #"{"model":"gpt-4o-mini","stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
            return app.reply(to: HTTPRequest(method: "POST", target: "/v1/chat/completions", body: Array(body.utf8)))
        }
        let body = #"{"model":"claude-3-haiku","max_tokens":100,"stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        return app.reply(to: HTTPRequest(method: "POST", target: "/v1/messages",
                                         headers: HTTPFields(["anthropic-version": "2023-06-01"]), body: Array(body.utf8)))
    }

    func scrape(_ app: Application) -> (reply: Reply, text: String) {
        let reply = app.reply(to: HTTPRequest(method: "GET", target: "/metrics"))
        return (reply, reply.bodyBytes.description)
    }

    /// Sample lines (`name{labels} value`) -> value.
    @Test func providerRequestsAreCountedByProviderEndpointStatusAndRule() throws {
        let app = Application(script: Self.script, seed: 1)
        _ = chat(app, "openai")
        _ = chat(app, "openai", prompt: "unknown")
        _ = chat(app, "anthropic")
        _ = app.reply(to: HTTPRequest(method: "GET", target: "/v1/models/gpt-4o-mini"))
        _ = app.reply(to: HTTPRequest(method: "GET", target: "/v1/models/gpt-4o"))
        _ = app.reply(to: HTTPRequest(method: "POST", target: "/v1/chat/completions", body: Array("{".utf8)))
        _ = app.reply(to: HTTPRequest(method: "GET", target: "/health"))
        _ = app.reply(to: HTTPRequest(method: "GET", target: "/nowhere"))
        _ = scrape(app)
        let (reply, text) = scrape(app)
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let s = try prometheusSamples(text)
        let requests = s.filter { $0.key.hasPrefix("mockllm_requests_total{") }
        #expect(requests == [
            #"mockllm_requests_total{provider="openai",endpoint="/v1/chat/completions",status="200",rule="responses"}"#: 1,
            #"mockllm_requests_total{provider="openai",endpoint="/v1/chat/completions",status="200",rule="default"}"#: 1,
            #"mockllm_requests_total{provider="anthropic",endpoint="/v1/messages",status="200",rule="responses"}"#: 1,
            #"mockllm_requests_total{provider="openai",endpoint="/v1/models/{model}",status="200",rule=""}"#: 2,
            #"mockllm_requests_total{provider="openai",endpoint="/v1/chat/completions",status="400",rule=""}"#: 1,
        ], "builtins, unknown paths and /metrics itself are not provider requests")
    }

    /// The usage the provider's handler reports for the same request `chat` sends.
    func usage(_ wire: String, stream: Bool = false) -> TokenUsage? {
        var context = ProviderContext(script: Self.script, now: 0, random: SeededRandom(seed: 1))
        if wire == "openai" {
            let body = #"{"model":"gpt-4o-mini","stream":\#(stream),"messages":[{"role":"user","content":"hello"}]}"#
            _ = Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/chat/completions", body: Array(body.utf8)), &context, by: OpenAIChat.chatCompletion)
        } else {
            let body = #"{"model":"claude-3-haiku","max_tokens":100,"stream":\#(stream),"messages":[{"role":"user","content":"hello"}]}"#
            _ = Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/messages", body: Array(body.utf8)), &context, by: AnthropicMessages.messages)
        }
        return context.usage
    }

    @Test func tokensAreTheUsageTheRepliesReport() throws {
        let app = Application(script: Self.script, seed: 1)
        _ = chat(app, "openai")
        _ = chat(app, "anthropic", stream: true)
        let openAI = try #require(usage("openai"))
        let anthropic = try #require(usage("anthropic", stream: true))
        #expect(openAI.prompt > 0 && openAI.completion > 0)
        let s = try prometheusSamples(scrape(app).text)
        #expect(s[#"mockllm_tokens_total{direction="prompt"}"#] == Double(openAI.prompt + anthropic.prompt))
        #expect(s[#"mockllm_tokens_total{direction="completion"}"#] == Double(openAI.completion + anthropic.completion))
    }

    @Test func streamsAreTracedAndTheirEndsFeedTheStreamMetrics() throws {
        let app = Application(script: Self.script, seed: 1)
        // Traced with its model's tally slot (below `streamTrace`), which its end decrements.
        #expect(chat(app, "openai", stream: true).trace == LoopMetrics.modelTrace(0))
        #expect(chat(app, "openai").trace == 0, "only replies still in flight need their end reported")
        app.replyFinished(FinishedReply(trace: LoopMetrics.streamTrace, status: 200, firstByteNanoseconds: 1_000,
                                        durationNanoseconds: 300_000_000, events: 40, aborted: false,
                                        stream: true, firstPayloadNanoseconds: 20_000_000))
        app.replyFinished(FinishedReply(trace: LoopMetrics.streamTrace, status: 200, firstByteNanoseconds: nil,
                                        durationNanoseconds: 2_000_000_000, events: 0, aborted: true, stream: true))
        app.replyFinished(FinishedReply(trace: 7, status: 200, firstByteNanoseconds: 5, durationNanoseconds: 5,
                                        events: 0, aborted: false))
        let s = try prometheusSamples(scrape(app).text)
        #expect(s[#"mockllm_streams_total{outcome="completed"}"#] == 1)
        #expect(s[#"mockllm_streams_total{outcome="aborted"}"#] == 1)
        #expect(s["mockllm_time_to_first_token_seconds_count"] == 1)
        #expect(s["mockllm_time_to_first_token_seconds_sum"] == 0.02)
        #expect(s[#"mockllm_time_to_first_token_seconds_bucket{le="0.01"}"#] == 0)
        #expect(s[#"mockllm_time_to_first_token_seconds_bucket{le="0.025"}"#] == 1)
        #expect(s["mockllm_stream_duration_seconds_count"] == 2)
        #expect(s["mockllm_stream_duration_seconds_sum"] == 2.3)
        #expect(s[#"mockllm_stream_duration_seconds_bucket{le="0.5"}"#] == 1)
        #expect(s[#"mockllm_stream_duration_seconds_bucket{le="2.5"}"#] == 2)
    }

    @Test func faultsAreCountedByName() throws {
        let app = Application(script: Self.script, seed: 1)
        #expect(!scrape(app).text.contains("mockllm_faults_injected_total{"))
        app.metrics.recordFault("reset")
        app.metrics.recordFault("reset")
        app.metrics.recordFault("close")
        let s = try prometheusSamples(scrape(app).text)
        #expect(s[#"mockllm_faults_injected_total{fault="reset"}"#] == 2)
        #expect(s[#"mockllm_faults_injected_total{fault="close"}"#] == 1)
    }

    @Test func everyMetricHasHelpAndTypeOnceEvenBeforeAnyRequest() {
        let text = scrape(Application(script: Self.script, seed: 1)).text
        let families: [(String, String)] = [
            ("mockllm_requests_total", "counter"), ("mockllm_connections_open", "gauge"),
            ("mockllm_connections_accepted_total", "counter"), ("mockllm_streams_open", "gauge"),
            ("mockllm_streams_total", "counter"), ("mockllm_stream_events_total", "counter"),
            ("mockllm_tokens_total", "counter"), ("mockllm_time_to_first_token_seconds", "histogram"),
            ("mockllm_stream_duration_seconds", "histogram"), ("mockllm_inter_token_seconds", "histogram"),
            ("mockllm_emission_lateness_seconds", "histogram"), ("mockllm_faults_injected_total", "counter"),
            ("mockllm_backpressure_pauses_total", "counter"), ("mockllm_websocket_sessions_open", "gauge"),
            ("mockllm_websocket_sessions_total", "counter"), ("mockllm_websocket_messages_received_total", "counter"),
            ("mockllm_websocket_messages_sent_total", "counter"),
        ]
        let lines = text.split(separator: "\n").map(String.init)
        for (name, type) in families {
            #expect(lines.filter { $0 == "# TYPE \(name) \(type)" }.count == 1, "\(name)")
            #expect(lines.filter { $0.hasPrefix("# HELP \(name) ") }.count == 1, "\(name)")
        }
        #expect(lines.filter { $0.hasPrefix("# TYPE mockllm_") }.count == families.count)
        // vLLM's families follow, each declared once even with no engine.
        for (name, type) in [("vllm:num_requests_running", "gauge"), ("vllm:num_requests_waiting", "gauge"),
                             ("vllm:kv_cache_usage_perc", "gauge"), ("vllm:prompt_tokens_total", "counter"),
                             ("vllm:time_to_first_token_seconds", "histogram")] {
            #expect(lines.filter { $0 == "# TYPE \(name) \(type)" }.count == 1, "\(name)")
        }
        #expect(text.hasSuffix("\n"))
    }

    @Test func loopCountersAndHistogramsComeFromTheMergedStats() throws {
        var stats = LoopServer.Stats()
        stats.acceptedConnections = 9
        stats.openConnections = 3
        stats.streamsStarted = 5
        stats.streamsCompleted = 2
        stats.streamsAborted = 1
        stats.streamsPaused = 4
        stats.recordStreamEvent(lateness: 30_000, interval: nil)
        stats.recordStreamEvent(lateness: 2_000_000, interval: 20_000_000)
        stats.recordLateness(400_000_000)  // a delayed reply
        let shared = ServerMetrics(workers: 2)
        let text = shared.exposition(stats: stats).description
        let s = try prometheusSamples(text)
        #expect(s["mockllm_connections_accepted_total"] == 9)
        #expect(s["mockllm_connections_open"] == 3)
        #expect(s["mockllm_streams_open"] == 2)
        #expect(s["mockllm_backpressure_pauses_total"] == 4)
        #expect(s["mockllm_stream_events_total"] == 2)
        #expect(s["mockllm_inter_token_seconds_count"] == 1)
        #expect(s[#"mockllm_inter_token_seconds_bucket{le="0.025"}"#] == 1)
        #expect(s["mockllm_emission_lateness_seconds_count"] == 3)
        #expect(s[#"mockllm_emission_lateness_seconds_bucket{le="0.0001"}"#] == 1)
        #expect(s[#"mockllm_emission_lateness_seconds_bucket{le="0.0025"}"#] == 2)
        #expect(s[#"mockllm_emission_lateness_seconds_bucket{le="0.5"}"#] == 3)
    }

    @Test func histogramsOfEveryLoopAreMerged() throws {
        let shared = ServerMetrics(workers: 2)
        let loops = [LoopMetrics(shared: shared, worker: 0), LoopMetrics(shared: shared, worker: 1)]
        for (i, loop) in loops.enumerated() {
            loop.replyFinished(FinishedReply(trace: 1, status: 200, firstByteNanoseconds: 1, durationNanoseconds: 1_000_000,
                                             events: 3, aborted: false, stream: true, firstPayloadNanoseconds: UInt64(i + 1) * 1_000))
            loop.publish()
        }
        let s = try prometheusSamples(shared.exposition(stats: LoopServer.Stats()).description)
        #expect(s["mockllm_time_to_first_token_seconds_count"] == 2)
        #expect(s["mockllm_stream_duration_seconds_count"] == 2)
        #expect(s[#"mockllm_streams_total{outcome="completed"}"#] == 2)
    }

    /// The event each provider's stream names as its first token is the first that carries one.
    @Test(arguments: ["openai", "anthropic"])
    func firstPayloadEventIsTheFirstEventWithOutput(wire: String) throws {
        let app = Application(script: Self.script, seed: 1)
        let reply = chat(app, wire, stream: true)
        guard case .stream(let source) = reply.body else { Issue.record("not a stream"); return }
        let first = source.firstPayloadEvent
        let found = source.drained().events.firstIndex { event in
            wire == "openai" ? event.text.contains(#""content":"H"#) : event.text.contains("text_delta")
        }
        #expect(found == first)
    }

    @Test func anthropicToolUseAndEmptyRepliesHaveTheirFirstTokenWhereItIs() {
        let schedule = StreamSchedule(pacing: .immediate, promptTokens: 1, random: SeededRandom(seed: 1))
        func first(_ blocks: [AnthropicBlock]) -> Int {
            AnthropicStream(id: ByteBuffer("m"), model: "m", blocks: blocks, chunking: .character, stopReason: "end_turn",
                            stopSequence: nil, usage: AnthropicUsage(inputTokens: 1, outputTokens: 1), schedule: schedule).firstPayloadEvent
        }
        #expect(first([.toolUse(id: "t", name: "f", input: "{}")]) == 1)  // its start waits for the name
        #expect(first([.text("hi")]) == 3)  // message_start, content_block_start, ping
        #expect(first([.text(""), .toolUse(id: "t", name: "f", input: "{}")]) == 4)  // ... content_block_stop
        #expect(first([]) == .max)
    }
}
