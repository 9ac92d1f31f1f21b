import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// Test scopes over real sockets: every protocol's paths under `/t/ID/` and with the
/// `x-mockllm-test` header, each per-scope state kept apart, the admin endpoints, the
/// least-recently-used bound, and one scope served by several workers.
@Suite("Test scopes over real sockets")
struct ScopesEndToEndTests {
    static let yaml = """
        rules:
          - name: seq
            match: {prompt: seq}
            replies: ["one {{count}}", "two {{count}}"]
          - name: once
            match: {prompt: once}
            times: 1
            reply: "only once"
          - name: counted
            match: {prompt: counted}
            reply: "count {{count}}"
        faults:
          - name: cold-start
            match: {prompt: faulty}
            status: 503
            when: {first: 1}
        responses:
          ping: pong
        """

    static func script(_ extra: String = "") throws -> Script {
        try ScriptLoader.parse(yaml: yaml + extra, file: "scopes.yml", providers: providerCatalog).script
    }

    /// A chat request of each protocol: its path and body for `prompt`.
    static let protocols: [(name: String, path: String, body: @Sendable (String) -> String)] = [
        ("openai chat", "/v1/chat/completions", { #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"\#($0)"}]}"# }),
        ("openai responses", "/v1/responses", { #"{"model":"gpt-4o-mini","input":"\#($0)"}"# }),
        ("openai completions", "/v1/completions", { #"{"model":"gpt-3.5-turbo-instruct","prompt":"\#($0)"}"# }),
        ("anthropic", "/v1/messages",
         { #"{"model":"claude-3-5-haiku-latest","max_tokens":100,"messages":[{"role":"user","content":"\#($0)"}]}"# }),
        ("gemini", "/v1beta/models/gemini-2.0-flash:generateContent", { #"{"contents":[{"role":"user","parts":[{"text":"\#($0)"}]}]}"# }),
        ("ollama", "/api/chat", { #"{"model":"llama3.2","stream":false,"messages":[{"role":"user","content":"\#($0)"}]}"# }),
    ]

    @Test func everyProtocolCountsPerScopeByPathPrefixAndByHeader() throws {
        try withServer(script: try Self.script()) { server in
            for (name, path, body) in Self.protocols {
                let viaPath = try server.request("POST", "/t/\(name.replacingOccurrences(of: " ", with: "-"))\(path)", body: body("seq"))
                #expect(viaPath.status == 200 && viaPath.text.contains("one 1"), "\(name): \(viaPath.text)")
                let again = try server.request("POST", path, headers: [("x-mockllm-test", name.replacingOccurrences(of: " ", with: "-"))],
                                                body: body("seq"))
                #expect(again.status == 200 && again.text.contains("two 2"), "\(name), the same scope by header: \(again.text)")
                let other = try server.request("POST", "/t/other-\(name.replacingOccurrences(of: " ", with: "-"))\(path)", body: body("seq"))
                #expect(other.text.contains("one 1"), "\(name), another scope: \(other.text)")
            }
            let plain = try server.request("POST", "/v1/chat/completions", body: Self.protocols[0].body("seq"))
            #expect(plain.text.contains("one 1"), "a request without a scope has its own count: \(plain.text)")
        }
    }

    @Test func theServersOwnEndpointsAnswerUnderAPrefix() throws {
        try withServer(script: try Self.script()) { server throws in
            #expect(try server.request("GET", "/t/x/health").text.contains("ok"))
            let models = try server.request("GET", "/t/x/v1/models")
            #expect(models.status == 200 && models.text.contains("gpt-4o-mini"))
            #expect(try server.request("GET", "/t/x/api/tags").status == 200)
            let embeddings = try server.request("POST", "/t/x/v1/embeddings", body: #"{"model":"text-embedding-3-small","input":"hi"}"#)
            #expect(embeddings.status == 200)
            #expect(try server.request("GET", "/t/x/nowhere").status == 404)
        }
    }

    @Test func timesCountsAndFaultsAreEachScopes() throws {
        try withServer(script: try Self.script()) { server in
            func chat(_ prompt: String, _ test: String?) throws -> TestResponse {
                try server.request("POST", "/v1/chat/completions", headers: test.map { [("x-mockllm-test", $0)] } ?? [],
                                   body: Self.protocols[0].body(prompt))
            }
            #expect(try chat("once", "a").text.contains("only once"))
            #expect(try !chat("once", "a").text.contains("only once"), "times: 1 used up in a")
            #expect(try chat("once", "b").text.contains("only once"))
            #expect(try chat("once", nil).text.contains("only once"))
            for expected in 1...3 { #expect(try chat("counted", "a").text.contains("count \(expected)")) }
            #expect(try chat("counted", "b").text.contains("count 1"))
            let first = try chat("faulty", "a")
            #expect(first.status == 503 && first.header("x-mockllm-fault") == "cold-start")
            #expect(try chat("faulty", "a").status == 200)
            #expect(try chat("faulty", "b").status == 503, "the fault is armed again in another scope")
            #expect(try chat("faulty", nil).status == 503, "and without a scope")
            let report = try server.request("GET", "/_mockllm/faults?test=a").json()
            let faults = try #require(report["faults"] as? [[String: Any]])
            #expect(faults.first?["injected"] as? Int == 1 && faults.first?["counted"] as? Int == 2)
            #expect(try server.request("DELETE", "/_mockllm/faults?test=a").status == 204)
            #expect(try chat("faulty", "a").status == 503, "reset for scope a")
            #expect(try chat("faulty", "b").status == 200, "not for b")
            #expect(try server.request("GET", "/_mockllm/faults?test=a%20b").status == 400)
        }
    }

    @Test func quotasAreEachScopes() throws {
        try withServer(script: try Self.script("\nquotas: {requests_per_minute: 1, per: global}\n")) { server throws in
            func chat(_ test: String?) throws -> Int {
                try server.request("POST", "/v1/chat/completions", headers: test.map { [("x-mockllm-test", $0)] } ?? [],
                                   body: Self.protocols[0].body("ping")).status
            }
            #expect(try chat("a") == 200)
            #expect(try chat("a") == 429)
            #expect(try chat("b") == 200)
            #expect(try chat(nil) == 200)
            #expect(try chat(nil) == 429)
        }
    }

    @Test func storedResponsesAreEachScopes() throws {
        try withServer(script: try Self.script()) { server in
            let created = try server.request("POST", "/t/a/v1/responses", body: #"{"model":"gpt-4o","input":"ping"}"#)
            let id = try #require(try created.json()["id"] as? String)
            #expect(try server.request("GET", "/t/a/v1/responses/\(id)").status == 200)
            #expect(try server.request("GET", "/t/b/v1/responses/\(id)").status == 404)
            #expect(try server.request("GET", "/v1/responses/\(id)").status == 404)
            let next = try server.request("POST", "/t/b/v1/responses",
                                          body: #"{"model":"gpt-4o","input":"ping","previous_response_id":"\#(id)"}"#)
            #expect(next.status == 404 || next.status == 400, "another scope cannot continue it: \(next.text)")
            #expect(try server.request("DELETE", "/_mockllm/tests/a").status == 204)
            #expect(try server.request("GET", "/t/a/v1/responses/\(id)").status == 404, "dropped with its scope")
        }
    }

    @Test func theJournalCarriesTheTestAndFiltersAndForgetsByIt() throws {
        try withServer(script: try Self.script()) { server in
            _ = try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("ping"))
            _ = try server.request("POST", "/v1/messages", headers: [("x-mockllm-test", "b")], body: Self.protocols[3].body("ping"))
            _ = try server.request("POST", "/v1/chat/completions", body: Self.protocols[0].body("ping"))
            let onlyA = try #require(try server.request("GET", "/_mockllm/requests?test=a").json()["requests"] as? [[String: Any]])
            #expect(onlyA.count == 1 && onlyA.first?["test"] as? String == "a" && onlyA.first?["path"] as? String == "/v1/chat/completions")
            let all = try #require(try server.request("GET", "/_mockllm/requests").json()["requests"] as? [[String: Any]])
            #expect(all.map { $0["test"] as? String } == ["a", "b", nil])
            #expect(try server.request("DELETE", "/_mockllm/tests/a").status == 204)
            let after = try #require(try server.request("GET", "/_mockllm/requests").json()["requests"] as? [[String: Any]])
            #expect(after.map { $0["test"] as? String } == ["b", nil])
        }
    }

    @Test func droppingAScopeStartsItAgain() throws {
        try withServer(script: try Self.script()) { server throws in
            #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("one 1"))
            #expect(try server.request("DELETE", "/_mockllm/tests/a").status == 204)
            #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("one 1"))
            #expect(try server.request("DELETE", "/_mockllm/tests/never-seen").status == 204)
            #expect(try server.request("DELETE", "/_mockllm/tests/a%20b").status == 400)
        }
    }

    @Test func aScopesScriptGoesFirstForItsRequestsOnly() throws {
        try withServer(script: try Self.script()) { server in
            let put = try server.request("PUT", "/_mockllm/tests/a/script", body: """
                rules:
                  - match: {prompt: seq}
                    reply: "scoped {{count}}"
                responses:
                  ping: "pong from a"
                """)
            let created = try put.json()
            #expect(put.status == 200 && created["test"] as? String == "a", "\(put.text)")
            #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("scoped 1"))
            #expect(try server.request("POST", "/t/a/v1/messages", body: Self.protocols[3].body("ping")).text.contains("pong from a"))
            #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("once")).text.contains("only once"))
            #expect(try server.request("POST", "/t/b/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("one 1"))
            #expect(try server.request("POST", "/v1/chat/completions", body: Self.protocols[0].body("ping")).text.contains("pong\""))
            let list = try server.request("GET", "/_mockllm/tests").json()
            let tests = try #require(list["tests"] as? [[String: Any]])
            #expect(tests.map { $0["id"] as? String } == ["b", "a"] && tests.map { $0["script"] as? Bool } == [false, true])
            #expect(list["limit"] as? Int == ScopeRegistry.defaultLimit)
            #expect(try server.request("DELETE", "/_mockllm/tests/a/script").status == 204)
            #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("one 1"))
        }
    }

    @Test func aScopeScriptWithAnErrorIsRefusedWithItsLineAndColumn() throws {
        try withServer(script: try Self.script()) { server in
            let bad = try server.request("PUT", "/_mockllm/tests/a/script", body: """
                rules:
                  - match: {prompt: seq}
                    reply: "fine"
                settings:
                  time_scale: 0.1
                """)
            #expect(bad.status == 400)
            let errors = try #require(try bad.json()["errors"] as? [String])
            #expect(errors == ["<test a>:4:1: error: 'settings' is the server's and cannot be set per test scope: "
                + "a test scope's script accepts rules, responses, faults, quotas"])
            let yamlError = try server.request("PUT", "/_mockllm/tests/a/script", body: "rules:\n  - match: {prompt: [\n")
            #expect(yamlError.status == 400)
            let message = try #require((try yamlError.json()["error"] as? [String: Any])?["message"] as? String)
            #expect(message.hasPrefix("<test a>:") && message.contains("invalid YAML"), "\(message)")
            #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("one 1"),
                    "no script was set")
        }
    }

    @Test func aBadScopeIsA400InTheProtocolsShape() throws {
        try withServer(script: try Self.script()) { server in
            let openai = try server.request("POST", "/t/a%20b/v1/chat/completions", body: Self.protocols[0].body("seq"))
            #expect(openai.status == 400)
            #expect((try openai.json()["error"] as? [String: Any])?["code"] as? String == "invalid_test_scope")
            let anthropic = try server.request("POST", "/v1/messages", headers: [("x-mockllm-test", "no/slashes")],
                                               body: Self.protocols[3].body("seq"))
            #expect(anthropic.status == 400)
            #expect(try anthropic.json()["type"] as? String == "error")
            let gemini = try server.request("POST", "/t/\(String(repeating: "x", count: 129))/v1beta/models/gemini-2.0-flash:generateContent",
                                            body: Self.protocols[4].body("seq"))
            #expect(gemini.status == 400)
            #expect((try gemini.json()["error"] as? [String: Any])?["status"] as? String == "INVALID_ARGUMENT")
            let conflict = try server.request("POST", "/t/a/v1/chat/completions", headers: [("x-mockllm-test", "b")],
                                              body: Self.protocols[0].body("seq"))
            #expect(conflict.status == 400 && conflict.text.contains("another"))
        }
    }

    @Test func theLeastRecentlyUsedScopeIsDroppedPastTheLimit() throws {
        let server = try TestServer(script: try Self.script()) { $0.testScopes = 2 }
        defer { #expect(server.stop() == 0) }
        func seq(_ test: String) throws -> String {
            try server.request("POST", "/t/\(test)/v1/chat/completions", body: Self.protocols[0].body("seq")).text
        }
        #expect(try seq("a").contains("one 1"))
        #expect(try seq("b").contains("one 1"))
        #expect(try seq("a").contains("two 2"), "a is now the most recent")
        #expect(try seq("c").contains("one 1"), "b goes")
        #expect(try seq("a").contains("two 3"), "a was kept")
        #expect(try seq("b").contains("one 1"), "b starts again; c goes")
        let list = try server.request("GET", "/_mockllm/tests").json()
        #expect(list["count"] as? Int == 2 && list["evicted"] as? Int == 2 && list["limit"] as? Int == 2)
    }

    /// Every request on a connection of its own, so the kernel spreads them over both loops;
    /// one count for the scope means each `{{count}}` comes once.
    @Test func oneScopeIsSharedByEveryWorker() throws {
        try withServer(script: try Self.script(), workers: 2) { server in
            var counts: [Int] = []
            for _ in 0..<16 {
                let text = try server.request("POST", "/t/shared/v1/chat/completions", body: Self.protocols[0].body("counted")).text
                let range = try #require(text.range(of: #"count \d+"#, options: .regularExpression))
                counts.append(Int(text[range].dropFirst(6))!)
            }
            #expect(counts.sorted() == Array(1...16))
        }
    }

    @Test func theScopeEndpointsAreUnderTheAdminToken() throws {
        let server = try TestServer(script: try Self.script()) { $0.adminToken = "admin-secret" }
        defer { #expect(server.stop() == 0) }
        #expect(try server.request("PUT", "/_mockllm/tests/a/script", body: "responses: {}").status == 401)
        #expect(try server.request("DELETE", "/_mockllm/tests/a").status == 401)
        #expect(try server.request("GET", "/_mockllm/tests").status == 401)
        #expect(try server.request("GET", "/_mockllm/tests", headers: [("x-mockllm-admin-token", "admin-secret")]).status == 200)
        #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).status == 200,
                "a scoped provider request needs no admin token")
    }

    @Test func aReloadStartsEveryScopesCountsAgainAndKeepsTheirScripts() throws {
        let file = try ScriptFile(Self.yaml)
        let server = try TestServer(script: try Self.script()) { $0.scriptPath = file.path }
        defer { #expect(server.stop() == 0) }
        #expect(try server.request("PUT", "/_mockllm/tests/a/script", body: "responses:\n  ping: mine\n").status == 200)
        #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("one 1"))
        #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("two 2"))
        try file.write(Self.yaml + "\n# changed\n")
        #expect(try server.request("POST", "/_mockllm/reload").status == 200)
        #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("seq")).text.contains("one 1"))
        #expect(try server.request("POST", "/t/a/v1/chat/completions", body: Self.protocols[0].body("ping")).text.contains("mine"))
    }
}
