import Foundation
import Logging
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The request journal and the admin API over real sockets: `GET`/`DELETE /_mockllm/requests`,
/// `POST /_mockllm/reload` and `--admin-token`.
///
/// Serialized: two tests edit script files and wait for the watcher.
@Suite("Request journal and admin API over real sockets", .serialized)
struct JournalEndToEndTests {
    static let rules = """
        rules:
          - name: flaky
            match: {prompt: {prefix: "pay"}}
            error: {status: 429, message: "slow down", retry_after: 1}
            times: 2
          - name: paid
            match: {prompt: {prefix: "pay"}}
            reply: "Paid."
        responses:
          hello: "Hello there, how are you today?"
        """

    static func script(_ yaml: String = rules, file: String = "journal.yml") throws -> ScriptLoader.Loaded {
        try ScriptLoader.parse(yaml: yaml, file: file, providers: ["openai", "anthropic"])
    }

    /// `GET /_mockllm/requests?query`: the entries and the counts.
    static func journal(_ server: TestServer, _ query: String = "", headers: [(String, String)] = []) throws
        -> (entries: [[String: Any]], total: Int, dropped: Int) {
        let response = try server.request("GET", "/_mockllm/requests" + (query.isEmpty ? "" : "?" + query), headers: headers)
        guard response.status == 200 else { throw TestFailure("journal: \(response.status) \(response.text)") }
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        return (try #require(json["requests"] as? [[String: Any]]), try #require(json["total"] as? Int),
                try #require(json["dropped"] as? Int))
    }

    @Test func providerRequestsAreListedFilteredAndCleared() throws {
        let server = try TestServer(script: Self.script().script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        let openai = Mode(wire: .openai, stream: false), anthropic = Mode(wire: .anthropic, stream: true)
        #expect(try client.chat("pay now", openai).status == 429)
        #expect(try client.chat("pay now", openai, headers: [("Authorization", "Bearer sk-not-shown")]).status == 429)
        #expect(try client.chat("pay now", openai).text == "Paid.")
        #expect(try client.chat("hello", anthropic).text == "Hello there, how are you today?")
        _ = try server.request("GET", "/health")
        _ = try server.request("GET", "/_mockllm/stats")
        _ = try server.request("GET", "/v1/nowhere")

        let (entries, total, dropped) = try Self.journal(server)
        #expect(total == 5 && dropped == 0, "the server's own endpoints are not journaled")
        #expect(entries.map { $0["seq"] as? Int } == [1, 2, 3, 4, 5])
        #expect(entries.map { $0["status"] as? Int } == [429, 429, 200, 200, 404])
        #expect(entries.map { $0["path"] as? String } == ["/v1/chat/completions", "/v1/chat/completions", "/v1/chat/completions",
                                                        "/v1/messages", "/v1/nowhere"])
        #expect(entries.map { $0["provider"] as? String } == ["openai", "openai", "openai", "anthropic", nil])
        #expect(entries.map { $0["rule"] as? String } == ["rule flaky", "rule flaky", "rule paid", "responses", nil])
        #expect(entries.map { $0["api_key"] as? Bool } == [false, true, false, true, false])
        #expect(entries[3]["model"] as? String == "claude-3-haiku-20240307")
        #expect(entries[3]["stream"] as? Bool == true)
        #expect((entries[3]["headers"] as? [String: String])?["anthropic-version"] == "2023-06-01")
        #expect(((entries[0]["body"] as? [String: Any])?["messages"] as? [[String: Any]])?.first?["content"] as? String == "pay now")
        let raw = try server.request("GET", "/_mockllm/requests").text
        #expect(!raw.contains("sk-not-shown") && !raw.contains(":\"test\""), "keys are never shown (the key \"test\" as no value)")

        func seqs(_ query: String) throws -> [Int] { try Self.journal(server, query).entries.compactMap { $0["seq"] as? Int } }
        #expect(try seqs("rule=flaky") == [1, 2])
        #expect(try seqs("status=200") == [3, 4])
        #expect(try seqs("path=/v1/messages") == [4])
        #expect(try seqs("model=gpt-4o-mini&limit=2") == [2, 3])
        #expect(try seqs("since=3") == [4, 5])
        let bad = try server.request("GET", "/_mockllm/requests?since=soon")
        #expect(bad.status == 400)
        #expect((try bad.json()["error"] as? [String: Any])?["type"] as? String == "invalid_request_error")

        let cleared = try server.request("DELETE", "/_mockllm/requests")
        #expect(cleared.status == 204)
        #expect(try Self.journal(server).total == 0)
        #expect(try client.chat("hello", openai).status == 200)
        #expect(try seqs("") == [6], "sequence numbers go on after a clear")
    }

    @Test func aPacedStreamIsInProgressThenCompleteWithItsTimings() throws {
        let server = try TestServer(script: Self.script().script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        try client.send(Chat("hello", headers: [("x-mockllm-ttft-ms", "400"), ("x-mockllm-itl-ms", "10")])
            .request(Mode(wire: .openai, stream: true)))
        #expect(try client.readHead().status == 200)
        let running = try Self.journal(server).entries
        #expect(running.count == 1)
        #expect(running.first?["state"] as? String == "in_progress", "the first token is 400 ms away")
        #expect(running.first?["first_byte_ms"] is NSNull)
        #expect(running.first?["duration_ms"] is NSNull)
        #expect(running.first?["events"] is NSNull)
        let (chunks, end) = try client.readChunksUntilEnd()
        #expect(end == .lastChunk)
        let done = try eventually("the stream is complete in the journal") { try Self.journal(server).entries } until: {
            $0.first?["state"] as? String == "complete"
        }
        let entry = try #require(done.first)
        let firstByte = try #require(entry["first_byte_ms"] as? Double)
        let firstToken = try #require(entry["first_token_ms"] as? Double)
        #expect(firstByte <= firstToken, "the opening event comes before the first token")
        #expect(firstToken >= 399, "the first token was asked for 400 ms after the request")
        let duration = try #require(entry["duration_ms"] as? Double)
        #expect(firstByte <= duration)
        #expect(entry["events"] as? Int == chunks.count, "every event is counted")
        #expect(entry["aborted"] as? Bool == false)
        #expect(entry["stream"] as? Bool == true)
        #expect((entry["headers"] as? [String: String])?["x-mockllm-ttft-ms"] == "400")
    }

    @Test func aStreamCutByTheClientIsAborted() throws {
        let server = try TestServer(script: Self.script().script)
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        try client.send(Chat("hello", headers: [("x-mockllm-itl-ms", "200")]).request(Mode(wire: .anthropic, stream: true)))
        #expect(try client.readHead().status == 200)
        #expect(try client.readChunk() != nil)
        client.reset()
        let done = try eventually("the cut stream is complete in the journal") { try Self.journal(server).entries } until: {
            $0.first?["state"] as? String == "complete"
        }
        let entry = try #require(done.first)
        #expect(entry["aborted"] as? Bool == true)
        #expect((entry["events"] as? Int).map { $0 >= 1 } == true)
        #expect(entry["duration_ms"] as? Double != nil)
    }

    @Test func theAdminTokenGuardsEveryAdminEndpointAndOnlyThem() throws {
        let server = try TestServer(script: Self.script().script) { configuration in
            configuration.adminToken = "admin-secret"
            configuration.apiKey = "sk-provider"
        }
        defer { #expect(server.stop() == 0) }
        let bearer = [("Authorization", "Bearer admin-secret")]
        for (method, path) in [("GET", "/_mockllm/requests"), ("DELETE", "/_mockllm/requests"), ("POST", "/_mockllm/reload"),
                               ("GET", "/_mockllm/stats"), ("GET", "/_mockllm/faults"), ("PUT", "/_mockllm/scenario")] {
            let refused = try server.request(method, path)
            #expect(refused.status == 401, "\(method) \(path)")
            let error = try #require(try refused.json()["error"] as? [String: Any])
            #expect(error["type"] as? String == "unauthorized")
            #expect((error["message"] as? String)?.isEmpty == false)
            #expect(refused.header("www-authenticate") != nil)
            #expect(try server.request(method, path, headers: [("Authorization", "Bearer sk-provider")]).status == 401,
                    "the API key does not open \(method) \(path)")
            #expect(try server.request(method, path, headers: [("x-mockllm-admin-token", "wrong")]).status == 401)
        }
        #expect(try server.request("GET", "/_mockllm/stats", headers: bearer).status == 200)
        #expect(try server.request("GET", "/_mockllm/requests", headers: [("x-mockllm-admin-token", "admin-secret")]).status == 200)
        #expect(try server.request("GET", "/health").status == 200, "health checks need no secret")

        let client = try server.client()
        let openai = Mode(wire: .openai, stream: false)
        #expect(try client.chat("hello", openai, headers: bearer).status == 401, "the admin token does not open provider endpoints")
        #expect(try client.chat("hello", openai, headers: [("Authorization", "Bearer sk-provider")]).status == 200)
        let entries = try Self.journal(server, headers: bearer).entries
        #expect(entries.map { $0["status"] as? Int } == [401, 200])
        #expect(try server.request("DELETE", "/_mockllm/requests", headers: bearer).status == 204)
        #expect(try Self.journal(server, headers: bearer).total == 0)
    }

    @Test func aReloadOnRequestSwapsTheScriptOrReportsWhereItIsBroken() throws {
        let file = try ScriptFile(ScriptFile.oneRule("alpha", "alpha reply"))
        let loaded = try Self.script(ScriptFile.oneRule("alpha", "alpha reply"), file: file.path)
        let server = try TestServer(script: loaded.script) { $0.scriptPath = file.path }  // not watched: only an explicit reload
        defer { #expect(server.stop() == 0) }
        let client = try server.client()
        let mode = Mode(wire: .openai, stream: false)
        #expect(try client.chat("hi", mode).text == "alpha reply")
        try file.write(ScriptFile.oneRule("bravo", "bravo reply"))
        #expect(try client.chat("hi", mode).text == "alpha reply", "no watcher: nothing changes by itself")

        let reloaded = try server.request("POST", "/_mockllm/reload")
        #expect(reloaded.status == 200)
        #expect(try reloaded.json() as NSDictionary == ["reloaded": true, "script": "0 responses, 1 rule, no latency"] as NSDictionary)
        #expect(try client.chat("hi", mode).text == "bravo reply")

        try file.write("rules:\n  - name: charlie\n    reply: \"charlie\"\n    times: many\n")
        let refused = try server.request("POST", "/_mockllm/reload")
        #expect(refused.status == 400)
        let json = try refused.json()
        #expect(json["reloaded"] as? Bool == false)
        #expect((json["error"] as? [String: Any])?["type"] as? String == "invalid_script")
        let errors = try #require(json["errors"] as? [String])
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("\(file.path):4:") == true, "located by file:line:column: \(errors)")
        #expect(try client.chat("hi", mode).text == "bravo reply", "the running script stays")
    }

    @Test func aServerOnAScriptMadeInCodeHasNothingToReload() throws {
        try withServer { server in
            let refused = try server.request("POST", "/_mockllm/reload")
            #expect(refused.status == 400)
            #expect((try refused.json()["error"] as? [String: Any])?["type"] as? String == "no_script_file")
        }
    }

    /// An explicit reload right after an edit, then the watcher noticing the same edit: the
    /// watcher must not hand the same file out again, which would start `times:` over.
    @Test func theWatcherDoesNotRepeatAReloadDoneOnRequest() throws {
        func yaml(_ answer: String) -> String {
            "rules:\n  - name: once\n    error: {status: 503, message: busy}\n    times: 1\n  - name: fine\n    reply: \"\(answer)\"\n"
        }
        let file = try ScriptFile(yaml("first"))
        let loaded = try Self.script(yaml("first"), file: file.path)
        let log = LogCapture()
        try withServer(script: loaded.script, watchedScript: .init(path: file.path, fingerprint: loaded.fingerprint),
                       logger: log.logger) { server in
            let client = try server.client()
            let mode = Mode(wire: .openai, stream: false)
            #expect(try client.chat("x", mode).status == 503)
            #expect(try client.chat("x", mode).text == "first")
            try file.write(yaml("second"))
            #expect(try server.request("POST", "/_mockllm/reload").status == 200)
            #expect(try client.chat("x", mode).status == 503, "a reload starts the counters over")
            #expect(try client.chat("x", mode).text == "second")
            // The watcher sees the same edit and must not hand it out again: something that does
            // not happen, and leaves no trace when it does not, so it cannot be awaited, only given
            // the time to happen: the watcher's notice (or its 1 s poll) and its 150 ms debounce.
            Thread.sleep(forTimeInterval: 1.5)
            #expect(try client.chat("x", mode).text == "second", "the counters were not started over again")
            let reloads = log.messages.filter { $0.hasPrefix("reloaded ") }
            #expect(reloads == ["reloaded \(file.path) (0 responses, 2 rules, no latency) on request"])
        }
    }

    @Test func everyWorkerJournalsAndTheListIsMergedInOrder() throws {
        try withServer(script: Self.script().script, workers: 2) { server in
            for _ in 0..<12 {
                let client = try server.client()
                #expect(try client.chat("hello", Mode(wire: .openai, stream: false)).status == 200)
            }
            let (entries, total, _) = try Self.journal(server)
            #expect(total == 12)
            #expect(entries.compactMap { $0["seq"] as? Int } == Array(1...12))
        }
    }

    @Test func aJournalOfSizeZeroKeepsNothing() throws {
        let server = try TestServer(script: Self.script().script) { $0.journalSize = 0 }
        defer { #expect(server.stop() == 0) }
        #expect(try server.client().chat("hello", Mode(wire: .openai, stream: false)).status == 200)
        let (entries, total, dropped) = try Self.journal(server)
        #expect(entries.isEmpty && total == 0 && dropped == 0)
    }
}
