import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// LoRA adapters on an engine in a real server: adapter models (`parent:`) share their base
/// model's engine and its `max_loras` slots, `vllm:lora_requests_info` shows the adapters
/// running and waiting, `/v1/models` lists them with `parent` and `root`. Counts and labels
/// only, never wall-clock bounds.
@Suite("LoRA adapters over real sockets")
struct EngineLoRAEndToEndTests {
    static func script(maxLoras: Int = 1) throws -> Script {
        try ScriptLoader.parse(yaml: """
            engines:
              gpu:
                max_num_seqs: 8
                max_loras: \(maxLoras)
                lora_load_ms: 5
                step_time: {base_ms: 20, per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}
            models:
              - {id: base, provider: openai, engine: gpu}
              - {id: lora-a, parent: base, lora_path: /adapters/a}
              - {id: lora-b, parent: base}
            responses:
              "hi": "one two three"
            """, file: "lora.yml", providers: providerCatalog).script
    }

    static func chat(_ model: String, tokens: Int) -> String {
        let body = #"{"model":"\#(model)","stream":true,"max_tokens":\#(tokens),"ignore_eos":true,"messages":[{"role":"user","content":"hi"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    static func get(_ server: TestServer, _ path: String) throws -> (status: Int, text: String) {
        let client = try server.client()
        try client.send("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        return (response.status, response.text)
    }

    static func scrape(_ server: TestServer) throws -> [String: Double] {
        try prometheusSamples(get(server, "/metrics").text)
    }

    static func lora(waiting: String, running: String, max: Int = 1) -> String {
        #"vllm:lora_requests_info{max_lora="\#(max)",waiting_lora_adapters="\#(waiting)",running_lora_adapters="\#(running)"}"#
    }

    /// With one slot: a request for the other adapter waits, a base-model request behind it runs
    /// at once, and once the first adapter's request has gone the second adapter runs. The
    /// gauge's series say so, each valued with the time it was last set.
    @Test func aSecondAdapterWaitsForTheSlot() throws {
        try withServer(script: try Self.script()) { server in
            let started = Date().timeIntervalSince1970
            let a = try server.client()
            try a.send(Self.chat("lora-a", tokens: 5000))
            _ = try a.readHead()
            let b = try server.client()
            try b.send(Self.chat("lora-b", tokens: 3))
            let s = try eventually("lora-b waits for lora-a's slot") { try Self.scrape(server) } until: {
                $0[Self.lora(waiting: "lora-b", running: "lora-a")] != nil
            }
            let stamp = try #require(s[Self.lora(waiting: "lora-b", running: "lora-a")])
            #expect(stamp >= started.rounded(.down) && stamp < started + 3600, "a timestamp: \(stamp)")
            #expect(s[#"vllm:num_requests_waiting{model_name="base"}"#] == 1)
            // The base model needs no slot: it runs past the waiting adapter request.
            let plain = try server.client()
            try plain.send(Self.chat("base", tokens: 2))
            #expect(try plain.readResponse().status == 200)
            a.reset()
            #expect(try b.readResponse().status == 200)
            try eventually("lora-b ran in the freed slot") { try Self.scrape(server) } until: {
                $0[Self.lora(waiting: "", running: "lora-b")] != nil
            }
        }
    }

    /// Two slots: both adapters run at once, nothing waits.
    @Test func twoSlotsRunTwoAdapters() throws {
        try withServer(script: try Self.script(maxLoras: 2)) { server in
            let a = try server.client()
            try a.send(Self.chat("lora-a", tokens: 5000))
            let b = try server.client()
            try b.send(Self.chat("lora-b", tokens: 5000))
            _ = try a.readHead()
            _ = try b.readHead()
            let s = try eventually("both adapters run") { try Self.scrape(server) } until: {
                $0[#"vllm:num_requests_running{model_name="base"}"#] == 2
            }
            #expect(s[Self.lora(waiting: "", running: "lora-a,lora-b", max: 2)] != nil)
            a.reset()
            b.reset()
        }
    }

    @Test func theModelListShowsAdaptersWithParentAndRoot() throws {
        try withServer(script: try Self.script()) { server in
            let (status, text) = try Self.get(server, "/v1/models")
            #expect(status == 200)
            #expect(text.contains(#"{"id":"lora-a","object":"model","created":1767225600,"owned_by":"vllm","root":"/adapters/a","parent":"base","max_model_len":"#))
            #expect(text.contains(#""id":"lora-b","object":"model","created":1767225600,"owned_by":"vllm","root":"lora-b","parent":"base","max_model_len":"#))
            #expect(text.contains(#""id":"base","object":"model","created":1767225600,"owned_by":"vllm","root":"base","parent":null,"max_model_len":"#))
            #expect(!text.contains(#""id":"gpt-4o","object":"model","created":1715367049,"owned_by":"openai","root""#))
        }
    }

    /// Without adapters (and without runtime loading) the engine has no LoRA gauge, as vLLM
    /// without `--enable-lora`.
    @Test func noAdaptersNoGauge() throws {
        let script = try ScriptLoader.parse(yaml: """
            engines: {gpu: {}}
            models: [{id: base, engine: gpu}]
            responses: {hi: hello}
            """, file: "plain.yml", providers: providerCatalog).script
        try withServer(script: script) { server in
            let text = try Self.get(server, "/metrics").text
            #expect(text.contains("vllm:num_requests_running"))
            #expect(!text.contains("lora_requests_info"))
        }
    }

    static func post(_ server: TestServer, _ path: String, _ body: String) throws -> (status: Int, text: String) {
        let client = try server.client()
        try client.send("POST \(path) HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let response = try client.readResponse()
        return (response.status, response.text)
    }

    /// With runtime updating on, an adapter loaded at run time is listed and served on its base
    /// model's engine; unloaded, it is gone (the model's 404). Errors in vLLM's shape.
    @Test func adaptersLoadAndUnloadAtRunTime() throws {
        let server = try TestServer(script: try Self.script()) { $0.allowRuntimeLoRA = true }
        defer { #expect(server.stop() == 0) }
        let loaded = try Self.post(server, "/v1/load_lora_adapter", #"{"lora_name":"lora-c","lora_path":"/adapters/c"}"#)
        #expect(loaded.status == 200)
        #expect(loaded.text == "Success: LoRA adapter 'lora-c' added successfully.")
        #expect(try Self.get(server, "/v1/models").text.contains(#""id":"lora-c","object":"model","created":1767225600,"owned_by":"vllm","root":"/adapters/c","parent":"base","max_model_len":"#))
        let client = try server.client()
        try client.send(Self.chat("lora-c", tokens: 2))
        #expect(try client.readResponse().status == 200)
        let s = try eventually("lora-c ran on the engine") { try Self.scrape(server) } until: {
            $0[Self.lora(waiting: "", running: "lora-c")] != nil
        }
        #expect(s[#"vllm:request_success_total{model_name="base",finished_reason="length"}"#] == 1)

        let again = try Self.post(server, "/v1/load_lora_adapter", #"{"lora_name":"lora-c","lora_path":"/x"}"#)
        #expect(again.status == 400)
        #expect(again.text == #"{"object":"error","message":"The lora adapter 'lora-c' has already been loaded.","type":"InvalidUserInput","param":null,"code":400}"#)
        let missing = try Self.post(server, "/v1/load_lora_adapter", #"{"lora_name":"x"}"#)
        #expect(missing.status == 400)
        #expect(missing.text.contains(#""message":"Both 'lora_name' and 'lora_path' must be provided.","type":"InvalidUserInput""#))
        let noBase = try Self.post(server, "/v1/load_lora_adapter", #"{"lora_name":"y","lora_path":"/y","base_model_name":"gpt-4o"}"#)
        #expect(noBase.status == 404 && noBase.text.contains(#""type":"NotFoundError""#))
        let notJSON = try Self.post(server, "/v1/load_lora_adapter", "lora")
        #expect(notJSON.status == 400 && notJSON.text.contains(#""type":"BadRequestError""#))

        let unloaded = try Self.post(server, "/v1/unload_lora_adapter", #"{"lora_name":"lora-c"}"#)
        #expect(unloaded.status == 200)
        #expect(unloaded.text == "Success: LoRA adapter 'lora-c' removed successfully.")
        #expect(!(try Self.get(server, "/v1/models").text.contains("lora-c")))
        let gone = try Self.post(server, "/v1/unload_lora_adapter", #"{"lora_name":"lora-c"}"#)
        #expect(gone.status == 404)
        #expect(gone.text == #"{"object":"error","message":"The lora adapter 'lora-c' cannot be found.","type":"NotFoundError","param":null,"code":404}"#)
        let nameless = try Self.post(server, "/v1/unload_lora_adapter", "{}")
        #expect(nameless.status == 400 && nameless.text.contains("'lora_name' needs to be provided to unload a LoRA adapter."))
        // A script's adapter can be unloaded too, as vLLM unloads a --lora-modules one.
        #expect(try Self.post(server, "/v1/unload_lora_adapter", #"{"lora_name":"lora-a"}"#).status == 200)
        #expect(!(try Self.get(server, "/v1/models").text.contains("lora-a")))
    }

    /// Without `--allow-runtime-lora` the endpoints are not there, as in vLLM.
    @Test func withoutRuntimeUpdatingTheEndpointsAreMissing() throws {
        try withServer(script: try Self.script()) { server in
            let refused = try Self.post(server, "/v1/load_lora_adapter", #"{"lora_name":"c","lora_path":"/c"}"#)
            #expect(refused.status == 404)
            #expect(refused.text == #"{"detail":"Not Found"}"#)
        }
    }

    @Test func theEnvironmentSwitchIsVLLMs() {
        #expect(RuntimeAdapters.allowedByEnvironment("True"))
        #expect(RuntimeAdapters.allowedByEnvironment("1"))
        #expect(!RuntimeAdapters.allowedByEnvironment("0"))
        #expect(!RuntimeAdapters.allowedByEnvironment("yes"))
        #expect(!RuntimeAdapters.allowedByEnvironment(nil))
    }

    /// `--data-parallel-size 2`: two ranks on two ports (with port 0, an ephemeral one each), each
    /// its own engine and metrics; a request on one is running there and nowhere else.
    @Test func twoRanksOnTwoPortsHaveTheirOwnEngines() throws {
        let server = try TestServer(script: try Self.script()) { $0.dataParallelSize = 2 }
        defer { #expect(server.stop() == 0) }
        let ports = server.server.ports
        #expect(ports.count == 2 && ports[0] != ports[1])
        func scrape(_ port: Int) throws -> [String: Double] {
            let client = try RawClient(port: port, timeout: 5)
            try client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            return try prometheusSamples(client.readResponse().text)
        }
        let running = #"vllm:num_requests_running{model_name="base"}"#
        let long = try RawClient(port: ports[0], timeout: 5)
        try long.send(Self.chat("base", tokens: 5000))
        _ = try long.readHead()
        try eventually("rank 0 runs it") { try scrape(ports[0]) } until: { $0[running] == 1 }
        #expect(try scrape(ports[1])[running] == 0)
        let short = try RawClient(port: ports[1], timeout: 5)
        try short.send(Self.chat("lora-a", tokens: 3))
        #expect(try short.readResponse().status == 200)
        let second = try eventually("rank 1 counted its own request") { try scrape(ports[1]) } until: {
            $0[#"vllm:request_success_total{model_name="base",finished_reason="length"}"#] == 1
        }
        #expect(second[Self.lora(waiting: "", running: "lora-a")] != nil)
        let first = try scrape(ports[0])
        #expect(first[running] == 1)
        #expect(first[#"vllm:request_success_total{model_name="base",finished_reason="length"}"#] == 0)
        long.reset()
    }

    /// A reload of the script keeps the adapters loaded at run time (they are laid over each
    /// new script), and on two ranks an adapter loaded on one is not on the other.
    @Test func runtimeAdaptersOutliveAReloadAndStayOnTheirRank() throws {
        let yaml = """
            engines: {gpu: {max_loras: 2}}
            models:
              - {id: base, provider: openai, engine: gpu}
            responses: {hi: before}
            """
        let file = try ScriptFile(yaml)
        let loaded = try ScriptLoader.load(path: file.path, providers: providerCatalog)
        let watched = ServerConfiguration.WatchedScript(path: file.path, fingerprint: loaded.fingerprint)
        let server = try TestServer(script: loaded.script, watchedScript: watched) {
            $0.allowRuntimeLoRA = true
            $0.dataParallelSize = 2
        }
        defer { #expect(server.stop() == 0) }
        #expect(try Self.post(server, "/v1/load_lora_adapter", #"{"lora_name":"lora-c","lora_path":"/c"}"#).status == 200)
        try file.replace(yaml.replacingOccurrences(of: "before", with: "after"))
        #expect(try Self.post(server, "/_mockllm/reload", "").status == 200)
        #expect(try Self.get(server, "/v1/models").text.contains(#""id":"lora-c""#))
        let other = try RawClient(port: server.server.ports[1], timeout: 5)
        try other.send("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
        let listed = try other.readResponse().text
        #expect(listed.contains(#""id":"base""#) && !listed.contains("lora-c"))
    }
}
