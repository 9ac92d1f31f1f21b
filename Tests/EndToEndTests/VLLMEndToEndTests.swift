import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMScript
import TestSupport
import Testing

/// vLLM's own surface over real sockets: `/tokenize`, `/detokenize`, `/version`, `/ping`, its
/// error shape, and its metric families on a server whose models have no engine.
@Suite("vLLM's endpoints and metrics over real sockets")
struct VLLMEndToEndTests {
    func post(_ path: String, _ body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// The providers' catalogued models, as a server started from a script has them.
    func catalogued() throws -> Script {
        try ScriptLoader.parse(yaml: "responses: {}", file: "catalogue.yml", providers: providerCatalog).script
    }

    func exchange(_ server: TestServer, _ request: String) throws -> TestResponse {
        let client = try server.client()
        try client.send(request)
        return try client.readResponse()
    }

    @Test func tokenizeCountsWhatUsageReportsAndDetokenizeRoundTrips() throws {
        try withServer(script: try catalogued()) { server in
            let text = "The capital of France is Paris, 2026! привет"
            let tokenized = try exchange(server, post("/tokenize", #"{"model":"gpt-4o","prompt":"\#(text)","return_token_strs":true}"#))
            #expect(tokenized.status == 200)
            let json = try tokenized.json()
            let tokens = try #require(json["tokens"] as? [Int])
            #expect(json["count"] as? Int == tokens.count)
            #expect(json["max_model_len"] as? Int == 128_000)
            #expect((json["token_strs"] as? [String])?.joined() == text)
            let completion = try exchange(server, post("/v1/completions", #"{"model":"gpt-4o","prompt":"\#(text)"}"#)).json()
            #expect((completion["usage"] as? [String: Any])?["prompt_tokens"] as? Int == tokens.count)
            let ids = tokens.map(String.init).joined(separator: ",")
            let detokenized = try exchange(server, post("/detokenize", #"{"model":"gpt-4o","tokens":[\#(ids)]}"#))
            #expect(detokenized.status == 200)
            #expect(try detokenized.json()["prompt"] as? String == text)
        }
    }

    @Test func chatTokenizeCountsWhatAChatCompletionReports() throws {
        try withServer { server in
            let messages = #"[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi there"}]}]"#
            let tokenized = try exchange(server, post("/tokenize", #"{"messages":\#(messages)}"#)).json()
            let chat = try exchange(server, post("/v1/chat/completions", #"{"model":"gpt-4o","messages":\#(messages)}"#)).json()
            #expect(tokenized["count"] as? Int == (chat["usage"] as? [String: Any])?["prompt_tokens"] as? Int)
            let open = try exchange(server, post("/tokenize", #"{"messages":\#(messages),"add_generation_prompt":false}"#)).json()
            #expect(open["count"] as? Int == (tokenized["count"] as? Int ?? 0) - 3)
        }
    }

    @Test(arguments: [
        ("/tokenize", #"{"prompt":"x","model":"no-such-model"}"#, 404, "NotFoundError"),
        ("/tokenize", #"{"model":"gpt-4o"}"#, 400, "BadRequestError"),
        ("/tokenize", #"{"prompt":42}"#, 400, "BadRequestError"),
        ("/tokenize", #"{"prompt":"x","add_special_tokens":"yes"}"#, 400, "BadRequestError"),
        ("/tokenize", #"{"messages":[{"content":"no role"}]}"#, 400, "BadRequestError"),
        ("/tokenize", "not json", 400, "BadRequestError"),
        ("/detokenize", #"{"tokens":[3]}"#, 400, "BadRequestError"),
        ("/detokenize", #"{"tokens":["a"]}"#, 400, "BadRequestError"),
        ("/detokenize", #"{}"#, 400, "BadRequestError"),
    ])
    func badRequestsGetVLLMsErrorShape(path: String, body: String, status: Int, type: String) throws {
        try withServer(script: try catalogued()) { server in
            let response = try exchange(server, post(path, body))
            #expect(response.status == status)
            let json = try response.json()
            #expect(json["object"] as? String == "error")
            #expect(json["type"] as? String == type)
            #expect(json["code"] as? Int == status)
            #expect(json.keys.contains("param"))
            #expect(!(json["message"] as? String ?? "").isEmpty)
        }
    }

    @Test func versionAndPing() throws {
        try withServer { server in
            let version = try exchange(server, "GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(version.status == 200)
            #expect(try version.json()["version"] as? String == Launcher.version)
            for method in ["GET", "POST"] {
                let ping = try exchange(server, "\(method) /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                #expect(ping.status == 200)
                #expect(ping.body.isEmpty)
            }
        }
    }

    func scrape(_ server: TestServer) throws -> [String: Double] {
        let response = try exchange(server, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.status == 200)
        return try prometheusSamples(response.text)
    }

    @Test func vllmFamiliesWithoutAnyEngineCountRequestsInFlight() throws {
        // A first token a minute away: the stream is in flight until its client leaves.
        let script = try ScriptLoader.parse(yaml: """
            pacing: {ttft_ms: 60000, itl_ms: 1}
            responses:
              "hi": "one two three"
            """, file: "slow.yml", providers: providerCatalog).script
        try withServer(script: script) { server in
            let running = #"vllm:num_requests_running{model_name="gpt-4o"}"#
            var s = try scrape(server)
            #expect(s[running] == 0)
            #expect(s[#"vllm:num_requests_waiting{model_name="gpt-4o"}"#] == 0)
            #expect(s[#"vllm:kv_cache_usage_perc{model_name="gpt-4o"}"#] == 0)
            #expect(s[#"vllm:num_requests_running{model_name="claude-3-haiku-20240307"}"#] == 0)
            do {
                let client = try server.client()  // closed when this scope ends
                try client.send(post("/v1/chat/completions", #"{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}"#))
                s = try eventually("the stream is running") { try scrape(server) } until: { $0[running] == 1 }
                #expect(s[#"vllm:prompt_tokens_total{model_name="gpt-4o"}"#] ?? 0 > 0)
            }
            _ = try eventually("the stream has ended") { try scrape(server) } until: { $0[running] == 0 }
        }
    }
}

/// `priority` on a model whose engine has `scheduling_policy: priority`, over real sockets.
@Suite("vLLM's priority over real sockets")
struct VLLMPriorityEndToEndTests {
    func script(policy: String) throws -> Script {
        try ScriptLoader.parse(yaml: """
            engines:
              one:
                max_num_seqs: 1
                max_num_batched_tokens: 8192
                kv_cache_tokens: 100000
                scheduling_policy: \(policy)
                step_time: {base_ms: 20, per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}
            models:
              - {id: first, provider: openai, engine: one}
              - {id: low, provider: openai, engine: one}
              - {id: high, provider: openai, engine: one}
            responses:
              "hi": "one two three four"
            """, file: "priority.yml", providers: providerCatalog).script
    }

    /// `first` holds the engine's one sequence for 200 steps of 20 ms while the others queue.
    func chat(_ model: String, priority: Int) -> String {
        let tokens = model == "first" ? 200 : 5
        let body = #"{"model":"\#(model)","priority":\#(priority),"max_tokens":\#(tokens),"ignore_eos":true,"messages":[{"role":"user","content":"hi"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    func scrape(_ server: TestServer) throws -> [String: Double] {
        let client = try server.client()
        try client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        return try prometheusSamples(client.readResponse().text)
    }

    @Test func aMoreUrgentRequestIsAdmittedBeforeAnEarlierOne() throws {
        try withServer(script: try script(policy: "priority")) { server in
            let waiting = #"vllm:num_requests_waiting{model_name="first"}"#
            let first = try server.client()
            try first.send(chat("first", priority: 0))
            _ = try eventually("the first runs") { try scrape(server) } until: { $0[#"vllm:num_requests_running{model_name="first"}"#] == 1 }
            let low = try server.client()
            try low.send(chat("low", priority: 10))
            _ = try eventually("the low one waits") { try scrape(server) } until: { $0[waiting] == 1 }
            let high = try server.client()
            try high.send(chat("high", priority: -10))
            _ = try eventually("both wait") { try scrape(server) } until: { $0[waiting] == 2 }
            for client in [first, low, high] { #expect(try client.readResponse().status == 200) }
            // Queue times in the engine's own time: the urgent one waited for `first` only, the
            // earlier one for `high` too.
            let s = try scrape(server)
            let lowQueue = try #require(s[#"vllm:request_queue_time_seconds_sum{model_name="low"}"#])
            let highQueue = try #require(s[#"vllm:request_queue_time_seconds_sum{model_name="high"}"#])
            #expect(highQueue < lowQueue, "high \(highQueue) s, low \(lowQueue) s")
        }
    }

    @Test func aPriorityOnAFirstComeFirstServedEngineIsRefusedAsVLLMDoes() throws {
        try withServer(script: try script(policy: "fcfs")) { server in
            let client = try server.client()
            try client.send(chat("first", priority: 3))
            let response = try client.readResponse()
            #expect(response.status == 400)
            #expect(response.text.contains("Got priority 3 but Priority scheduling is not enabled."))
            let zero = try server.client()
            try zero.send(chat("first", priority: 0))
            #expect(try zero.readResponse().status == 200)
        }
    }
}

@Suite("vLLM's model card")
struct VLLMModelCardEndToEndTests {
    @Test func anEngineModelIsListedWithVLLMsFieldsAndOthersKeepOpenAIs() throws {
        let script = try ScriptLoader.parse(yaml: """
            engines:
              gpu: {kv_cache_tokens: 100000}
            models:
              - {id: meta-llama/Llama-3.1-8B-Instruct, provider: openai, engine: gpu, context_window: 131072}
            responses: {}
            """, file: "card.yml", providers: providerCatalog).script
        try withServer(script: script) { server in
            let client = try server.client()
            try client.send("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
            let list = try #require(try client.readResponse().json()["data"] as? [[String: Any]])
            let engine = try #require(list.first { $0["id"] as? String == "meta-llama/Llama-3.1-8B-Instruct" })
            #expect(engine["owned_by"] as? String == "vllm")
            #expect(engine["root"] as? String == "meta-llama/Llama-3.1-8B-Instruct")
            #expect(engine["parent"] is NSNull)
            #expect(engine["max_model_len"] as? Int == 131_072)
            let permission = try #require((engine["permission"] as? [[String: Any]])?.first)
            #expect(permission["object"] as? String == "model_permission")
            #expect((permission["id"] as? String)?.hasPrefix("modelperm-") == true)
            let openAI = try #require(list.first { $0["id"] as? String == "gpt-4o" })
            #expect(Set(openAI.keys) == ["id", "object", "created", "owned_by"])
        }
    }
}
