import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// Engine models in a real server (`engines:`, a model's `engine:`): tokens at step boundaries,
/// the queue in vLLM's metrics, the overload refusal in each protocol's shape, a client that
/// leaves freeing its place. Counts and orders only, never wall-clock bounds.
@Suite("Engine models over real sockets")
struct EngineEndToEndTests {

    /// One engine, `seqs` at a time, steps of `stepMs` ms; models of every protocol on it.
    func engineScript(seqs: Int, maxWaiting: Int? = nil, stepMs: Double = 5, frontEndMs: Double = 0) throws -> Script {
        try ScriptLoader.parse(yaml: """
            engines:
              test:
                max_num_seqs: \(seqs)
                max_num_batched_tokens: 8192
                kv_cache_tokens: 1000000
                block_size: 16
            \(maxWaiting.map { "    max_waiting: \($0)" } ?? "")
                preemption: recompute
                prefix_caching: true
                front_end_ms: \(frontEndMs)
                step_time: {base_ms: \(stepMs), per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}
            models:
              - {id: engine-gpt, provider: openai, engine: test}
              - {id: engine-claude, provider: anthropic, engine: test}
              - {id: engine-gemini, provider: gemini, engine: test}
              - {id: engine-llama, provider: ollama, engine: test}
            responses:
              "hi": "one two three four"
            """, file: "engine.yml", providers: providerCatalog).script
    }

    func openAI(stream: Bool, tokens: Int? = nil, model: String = "engine-gpt") -> String {
        let length = tokens.map { #","max_tokens":\#($0),"ignore_eos":true"# } ?? ""
        let body = #"{"model":"\#(model)","stream":\#(stream)\#(length),"messages":[{"role":"user","content":"hi"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    func scrape(_ server: TestServer) throws -> [String: Double] {
        let client = try server.client()
        try client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        return try prometheusSamples(response.text)
    }

    static let running = #"vllm:num_requests_running{model_name="engine-gpt"}"#
    static let waiting = #"vllm:num_requests_waiting{model_name="engine-gpt"}"#

    @Test func aStreamGetsEveryTokenInOrderOneStepEach() throws {
        try withServer(script: try engineScript(seqs: 4)) { server in
            let client = try server.client()
            try client.send(openAI(stream: true, tokens: 12))
            let response = try client.readResponse()
            #expect(response.status == 200)
            let contents = response.chunks.compactMap { chunk -> String? in
                let text = String(decoding: chunk, as: UTF8.self)
                guard let range = text.range(of: #""content":""#) else { return nil }
                return String(text[range.upperBound...].prefix { $0 != "\"" })
            }
            #expect(contents.joined() == MockLLMProviders.fillerText(tokens: 12))
            #expect(contents.count == 12, "one event per token")
            #expect(String(decoding: response.chunks.last ?? [], as: UTF8.self).contains("[DONE]"))
            let s = try eventually("the request is counted") { try scrape(server) } until: {
                $0[#"vllm:request_success_total{model_name="engine-gpt",finished_reason="length"}"#] ?? 0 >= 1
            }
            #expect(s[#"vllm:generation_tokens_total{model_name="engine-gpt"}"#] == 12)
            // One token per step: 11 intervals between tokens, each one step (time_scale 1).
            #expect(s[#"vllm:inter_token_latency_seconds_count{model_name="engine-gpt"}"#] == 11)
            // Steps run back to back in the engine's time: each interval is one 5 ms step exactly.
            let intervals = s[#"vllm:inter_token_latency_seconds_sum{model_name="engine-gpt"}"#] ?? 0
            #expect(abs(intervals - 11 * 0.005) < 1e-9, "\(intervals)")
            #expect(s[#"vllm:time_to_first_token_seconds_count{model_name="engine-gpt"}"#] == 1)
            #expect(s[#"vllm:request_generation_tokens_sum{model_name="engine-gpt"}"#] == 12)
            // Each of the 12 steps that made a token: how late the loop began writing it, and
            // when it had written it, in /metrics; the first also in /_mockllm/stats.
            #expect(s[#"mockllm_engine_step_lateness_seconds_count{engine="test"}"#] == 12)
            #expect(s[#"mockllm_engine_step_written_seconds_count{engine="test"}"#] == 12)
            let began = s[#"mockllm_engine_step_lateness_seconds_sum{engine="test"}"#] ?? -1
            let written = s[#"mockllm_engine_step_written_seconds_sum{engine="test"}"#] ?? -1
            #expect(began >= 0 && written >= began, "began \(began) s, written \(written) s")
            let stats = try server.stats()
            let steps = try #require(stats.json["step_lateness_ns"] as? [String: Any])
            #expect(steps["count"] as? Int == 12)
            #expect((steps["buckets"] as? [[Int]])?.reduce(0) { $0 + $1[2] } == 12)
        }
    }

    @Test func aCompleteReplyIsSentWhenItsRequestFinishes() throws {
        try withServer(script: try engineScript(seqs: 4)) { server in
            let client = try server.client()
            try client.send(openAI(stream: false))
            let response = try client.readResponse()
            #expect(response.status == 200)
            #expect(response.text.contains("one two three four"))
            let s = try scrape(server)
            #expect(s[#"vllm:request_success_total{model_name="engine-gpt",finished_reason="stop"}"#] == 1)
        }
    }

    @Test func aRequestsPhasesNeverOutlastIt() throws {
        // Queue, prefill and decode times are parts of a request's end-to-end latency whatever
        // the timing, so their sums cannot exceed its sum. Steps of 10 µs, shorter than the
        // engine thread's wake-up latency, make requests join steps whose nominal start precedes
        // their arrival: such an interval once wrapped around to 584 years (seen under aiperf).
        try withServer(script: try engineScript(seqs: 2, stepMs: 0.01)) { server in
            var clients: [RawClient] = []
            for _ in 0..<3 {
                for _ in 0..<8 {
                    let client = try server.client()
                    try client.send(openAI(stream: false))
                    clients.append(client)
                }
                for client in clients { #expect(try client.readResponse().status == 200) }
                clients.removeAll()
            }
            let s = try scrape(server)
            let label = #"{model_name="engine-gpt"}"#
            let e2e = try #require(s["vllm:e2e_request_latency_seconds_sum" + label])
            #expect(s["vllm:e2e_request_latency_seconds_count" + label] == 24)
            for phase in ["request_queue_time", "request_prefill_time", "request_decode_time"] {
                let sum = try #require(s["vllm:\(phase)_seconds_sum" + label])
                #expect(sum >= 0 && sum <= e2e, "\(phase): \(sum) s of \(e2e) s")
            }
        }
    }

    @Test func sixteenRequestsOnFourSequencesQueueTwelve() throws {
        // Two workers: the kernel spreads the connections, the engine's counts are the server's.
        try withServer(script: try engineScript(seqs: 4, stepMs: 20), workers: 2) { server in
            var clients: [RawClient] = []
            for _ in 0..<16 {
                let client = try server.client()
                try client.send(openAI(stream: true, tokens: 5000))
                clients.append(client)
            }
            let s = try eventually("4 running and 12 waiting") { try scrape(server) } until: {
                ($0[Self.running] ?? 0) + ($0[Self.waiting] ?? 0) >= 16
            }
            #expect(s[Self.running] == 4)
            #expect(s[Self.waiting] == 12)
            #expect((s[#"vllm:kv_cache_usage_perc{model_name="engine-gpt"}"#] ?? 0) > 0)
            for client in clients { client.reset() }
            try eventually("the engine is empty once the clients have gone") { try scrape(server) } until: {
                $0[Self.running] == 0 && $0[Self.waiting] == 0
            }
        }
    }

    @Test func theFrontEndHandsRequestsOverOneAtATime() throws {
        // 40 ms of front end a request, 5 ms steps: four requests sent together reach the engine
        // at least 40 ms after they arrive, one after the other.
        try withServer(script: try engineScript(seqs: 4, frontEndMs: 40)) { server in
            var clients: [RawClient] = []
            for _ in 0..<4 {
                let client = try server.client()
                try client.send(openAI(stream: false, tokens: 3))
                clients.append(client)
            }
            for client in clients { #expect(try client.readResponse().status == 200) }
            let s = try eventually("the four requests are counted") { try scrape(server) } until: {
                $0[#"vllm:time_to_first_token_seconds_count{model_name="engine-gpt"}"#] ?? 0 >= 4
            }
            // No first token sooner than the front end's 40 ms and a step (lower bounds only:
            // a busy machine can only make them later).
            #expect(s[#"vllm:time_to_first_token_seconds_bucket{model_name="engine-gpt",le="0.04"}"#] == 0)
            #expect((s[#"vllm:time_to_first_token_seconds_sum{model_name="engine-gpt"}"#] ?? 0) >= 4 * 0.045)
            // vLLM's queue time runs from the arrival: the front end's time is in it.
            #expect((s[#"vllm:request_queue_time_seconds_sum{model_name="engine-gpt"}"#] ?? 0) >= 4 * 0.04)
        }
    }

    @Test func aClientThatLeavesFreesItsPlace() throws {
        try withServer(script: try engineScript(seqs: 1, stepMs: 20)) { server in
            let first = try server.client()
            try first.send(openAI(stream: true, tokens: 5000))
            _ = try first.readHead()
            let second = try server.client()
            try second.send(openAI(stream: true, tokens: 3))
            try eventually("one running, one waiting") { try scrape(server) } until: { $0[Self.waiting] == 1 }
            first.reset()
            let response = try second.readResponse()
            #expect(response.status == 200, "the waiting request ran once the first left")
            let s = try eventually("the first is counted as aborted") { try scrape(server) } until: {
                $0[#"vllm:request_success_total{model_name="engine-gpt",finished_reason="abort"}"#] ?? 0 >= 1
            }
            #expect(s[Self.running] == 0)
        }
    }

    @Test func aFullQueueIsRefusedInEachProtocolsShape() throws {
        try withServer(script: try engineScript(seqs: 1, maxWaiting: 1, stepMs: 20)) { server in
            var holders: [RawClient] = []
            for _ in 0..<2 {
                let client = try server.client()
                try client.send(openAI(stream: true, tokens: 5000))
                holders.append(client)
            }
            try eventually("one running, one waiting") { try scrape(server) } until: { $0[Self.running] == 1 && $0[Self.waiting] == 1 }

            let openai = try server.client()
            try openai.send(openAI(stream: true))
            let refused = try openai.readResponse()
            #expect(refused.status == 429)
            #expect(refused.header("retry-after") == "1")
            #expect(refused.text.contains("rate_limit_exceeded"))

            let claude = try server.client()
            let anthropicBody = #"{"model":"engine-claude","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            try claude.send("POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-version: 2023-06-01\r\nContent-Length: \(anthropicBody.utf8.count)\r\n\r\n\(anthropicBody)")
            let overloaded = try claude.readResponse()
            #expect(overloaded.status == 529)
            #expect(try overloaded.json()["error"].flatMap { $0 as? [String: Any] }?["type"] as? String == "overloaded_error")

            let gemini = try server.client()
            let geminiBody = #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#
            try gemini.send("POST /v1beta/models/engine-gemini:generateContent HTTP/1.1\r\nHost: x\r\nContent-Length: \(geminiBody.utf8.count)\r\n\r\n\(geminiBody)")
            let unavailable = try gemini.readResponse()
            #expect(unavailable.status == 503)
            let geminiError = try unavailable.json()["error"] as? [String: Any]
            #expect(geminiError?["status"] as? String == "UNAVAILABLE")
            #expect(geminiError?["message"] as? String == "The model is overloaded. Please try again later.")

            let ollama = try server.client()
            let ollamaBody = #"{"model":"engine-llama","messages":[{"role":"user","content":"hi"}]}"#
            try ollama.send("POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Length: \(ollamaBody.utf8.count)\r\n\r\n\(ollamaBody)")
            let busy = try ollama.readResponse()
            #expect(busy.status == 503)
            #expect(try busy.json()["error"] as? String == "server busy, please try again.  maximum pending requests exceeded")
            // Counted with the status that went out, once the engine refused them.
            let counts = try scrape(server).filter { $0.key.hasPrefix("mockllm_requests_total{") }
            for status in ["429", "529"] {
                #expect(counts.filter { $0.key.contains(#"status="\#(status)""#) }.values.reduce(0, +) == 1, "\(status): \(counts)")
            }
            #expect(counts.filter { $0.key.contains(#"status="503""#) }.values.reduce(0, +) == 2)
            #expect(counts.filter { $0.key.contains(#"status="200""#) }.values.reduce(0, +) == 2, "the two admitted")
            for client in holders { client.reset() }
        }
    }

    @Test func theExpositionParsesWithEveryVLLMFamily() throws {
        try withServer(script: try engineScript(seqs: 2)) { server in
            let client = try server.client()
            try client.send(openAI(stream: false))
            #expect(try client.readResponse().status == 200)
            try client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            let text = try client.readResponse().text
            _ = try prometheusSamples(text)
            for family in ["vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc",
                           "vllm:num_preemptions_total", "vllm:prompt_tokens_total", "vllm:generation_tokens_total",
                           "vllm:request_success_total", "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total",
                           "vllm:time_to_first_token_seconds", "vllm:inter_token_latency_seconds", "vllm:time_per_output_token_seconds",
                           "vllm:e2e_request_latency_seconds", "vllm:request_queue_time_seconds", "vllm:request_prefill_time_seconds",
                           "vllm:request_decode_time_seconds", "vllm:request_prompt_tokens", "vllm:request_generation_tokens",
                           "vllm:cache_config_info"] {
                #expect(text.components(separatedBy: "# TYPE \(family) ").count == 2, "\(family) is declared once")
            }
            #expect(text.contains(#"vllm:time_to_first_token_seconds_bucket{model_name="engine-gpt",le="0.001"}"#))
        }
    }

    @Test func everyProtocolStreamsThroughTheEngine() throws {
        try withServer(script: try engineScript(seqs: 4)) { server in
            let requests: [(String, String, String)] = [
                ("/v1/messages", "anthropic-version: 2023-06-01\r\n",
                 #"{"model":"engine-claude","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#),
                ("/v1beta/models/engine-gemini:streamGenerateContent?alt=sse", "",
                 #"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#),
                ("/api/chat", "", #"{"model":"engine-llama","messages":[{"role":"user","content":"hi"}]}"#),
            ]
            for (path, headers, body) in requests {
                let client = try server.client()
                try client.send("POST \(path) HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)")
                let response = try client.readResponse()
                #expect(response.status == 200, "\(path)")
                let text = response.chunks.map { String(decoding: $0, as: UTF8.self) }.joined()
                for word in ["one", "two", "three", "four"] { #expect(text.contains(word), "\(path): \(word)") }
            }
            let s = try eventually("three requests counted") { try scrape(server) } until: { samples in
                ["engine-claude", "engine-gemini", "engine-llama"].allSatisfy {
                    samples[#"vllm:request_success_total{model_name="\#($0)",finished_reason="stop"}"#] == 1
                }
            }
            #expect(s[#"vllm:generation_tokens_total{model_name="engine-claude"}"#] == 4)
        }
    }

    @Test func aDrainLetsAnEngineStreamFinishThenStops() throws {
        let server = try TestServer(script: try engineScript(seqs: 4))
        let client = try server.client()
        try client.send(openAI(stream: true, tokens: 20))
        #expect(try client.readHead().status == 200)
        #expect(server.drainAndWait() == 0, "the stream finished, the server and its engine stopped, no handle left")
        let (chunks, end) = try client.readChunksUntilEnd()
        #expect(end == .lastChunk)
        let text = chunks.map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(text.contains("[DONE]"))
        #expect(text.components(separatedBy: #""content":""#).count - 1 == 20)
    }
}
