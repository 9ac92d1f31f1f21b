@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMHTTPServer
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// vLLM's (and SGLang's) families on `/metrics` without any engine, through the application:
/// one series per model, running = its replies in flight, in each style's names.
@Suite("vLLM and SGLang metric names")
struct VLLMMetricsTests {
    static let script = Script(responses: ["hello": "Hello there"], models: .builtIn)

    func stream(_ app: Application, model: String = "gpt-4o-mini") -> Reply {
        let body = #"{"model":"\#(model)","stream":true,"messages":[{"role":"user","content":"hello"}]}"#
        return app.reply(to: HTTPRequest(method: "POST", target: "/v1/chat/completions", body: Array(body.utf8)))
    }

    func samples(_ app: Application) throws -> [String: Double] {
        try prometheusSamples(app.reply(to: HTTPRequest(method: "GET", target: "/metrics")).bodyBytes.description)
    }

    func finish(_ app: Application, _ reply: Reply) {
        app.replyFinished(FinishedReply(trace: reply.trace, status: 200, firstByteNanoseconds: 1, durationNanoseconds: 2,
                                        events: 3, aborted: false, stream: true, firstPayloadNanoseconds: 1))
    }

    @Test func runningFollowsRepliesInFlightPerModel() throws {
        let app = Application(script: Self.script, seed: 1)
        let running = #"vllm:num_requests_running{model_name="gpt-4o-mini"}"#
        #expect(try samples(app)[running] == 0, "every model of the registry has its series before any request")
        let first = stream(app)
        let second = stream(app)
        let other = stream(app, model: "claude-3-haiku-20240307")
        var s = try samples(app)
        #expect(s[running] == 2)
        #expect(s[#"vllm:num_requests_running{model_name="claude-3-haiku-20240307"}"#] == 1)
        #expect(s[#"vllm:num_requests_waiting{model_name="gpt-4o-mini"}"#] == 0)
        #expect(s[#"vllm:kv_cache_usage_perc{model_name="gpt-4o-mini"}"#] == 0)
        #expect(s[#"vllm:gpu_cache_usage_perc{model_name="gpt-4o-mini"}"#] == 0)
        #expect(s[#"vllm:prompt_tokens_total{model_name="gpt-4o-mini"}"#] ?? 0 > 0)
        #expect(s[#"vllm:generation_tokens_total{model_name="gpt-4o-mini"}"#] ?? 0 > 0)
        finish(app, first)
        finish(app, other)
        s = try samples(app)
        #expect(s[running] == 1)
        #expect(s[#"vllm:num_requests_running{model_name="claude-3-haiku-20240307"}"#] == 0)
        finish(app, second)
        #expect(try samples(app)[running] == 0)
    }

    @Test func aJournaledReplyStillEndsItsRunningCount() throws {
        let app = Application(script: Self.script, seed: 1)
        app.journal = RequestJournal(capacity: 10, workers: 1).rings[0]
        let reply = stream(app)
        #expect(reply.trace > 0, "the journal's own number")
        #expect(try samples(app)[#"vllm:num_requests_running{model_name="gpt-4o-mini"}"#] == 1)
        finish(app, reply)
        #expect(try samples(app)[#"vllm:num_requests_running{model_name="gpt-4o-mini"}"#] == 0)
    }

    @Test func aCompleteReplyIsNeverRunning() throws {
        let app = Application(script: Self.script, seed: 1)
        let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]}"#
        let reply = app.reply(to: HTTPRequest(method: "POST", target: "/v1/chat/completions", body: Array(body.utf8)))
        #expect(reply.trace == 0)
        let s = try samples(app)
        #expect(s[#"vllm:num_requests_running{model_name="gpt-4o-mini"}"#] == 0)
        #expect(s[#"vllm:generation_tokens_total{model_name="gpt-4o-mini"}"#] ?? 0 > 0)
    }

    @Test func sglangStyleUsesSGLangsNames() throws {
        let app = Application(script: Self.script, seed: 1)
        app.metrics.style = .sglang
        _ = stream(app)
        let text = app.reply(to: HTTPRequest(method: "GET", target: "/metrics")).bodyBytes.description
        let s = try prometheusSamples(text)
        let label = #"{model_name="gpt-4o-mini"}"#
        #expect(s["sglang:num_running_reqs" + label] == 1)
        #expect(s["sglang:num_queue_reqs" + label] == 0)
        #expect(s["sglang:token_usage" + label] == 0)
        #expect(s["sglang:cache_hit_rate" + label] == 0)
        #expect(s["sglang:prompt_tokens_total" + label] ?? 0 > 0)
        for family in ["sglang:time_to_first_token_seconds", "sglang:inter_token_latency_seconds", "sglang:e2e_request_latency_seconds"] {
            #expect(text.contains("# TYPE \(family) histogram\n"), "\(family)")
        }
        #expect(!text.contains("vllm:"), "one style at a time")
    }
}
