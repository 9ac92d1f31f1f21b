@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// A test scope's own counts (rules, sequences, `{{count}}`, fault schedules, quotas), its
/// script layered on the server's, and what a scope's script may contain.
@Suite("Test scopes in the script")
struct TestScopeTests: ScriptLoading {
    static let scriptFile = "server.yml"

    static let yaml = """
        rules:
          - name: once
            match: {prompt: once}
            times: 1
            reply: "only once"
          - name: seq
            match: {prompt: seq}
            replies: ["one {{count}}", "two {{count}}"]
        faults:
          - name: cold-start
            match: {prompt: faulty}
            status: 503
            when: {first: 1}
        responses:
          hello: "Hello!"
        """

    func text(_ script: Script, _ prompt: String, _ scope: TestScope? = nil) -> String {
        let answer = script.answer(for: MatchInput(prompt: prompt, model: "gpt-4o"), scope: scope)
        guard case .reply(let reply) = answer.outcome else { return "error" }
        return reply.text
    }

    @Test func eachScopeCountsRulesOfItsOwn() throws {
        let server = try script(Self.yaml)
        let (a, b) = (TestScope(id: "a"), TestScope(id: "b"))
        let inA = a.effective(over: server), inB = b.effective(over: server)
        #expect(text(inA, "seq", a) == "one 1")
        #expect(text(inA, "seq", a) == "two 2")
        #expect(text(inB, "seq", b) == "one 1", "another scope starts its own sequence")
        #expect(text(server, "seq") == "one 1", "a request without a scope counts apart from every scope")
        #expect(text(inA, "seq", a) == "two 3")
        #expect(text(inA, "once", a) == "only once")
        #expect(text(inA, "once", a) == Script.builtInDefaultReply, "times: 1 is used up in scope a")
        #expect(text(inB, "once", b) == "only once")
        #expect(text(server, "once") == "only once")
    }

    @Test func aFaultScheduleCountsPerScope() throws {
        let server = try script(Self.yaml)
        let (a, b) = (TestScope(id: "a"), TestScope(id: "b"))
        let inA = a.effective(over: server), inB = b.effective(over: server)
        let input = MatchInput(prompt: "faulty", model: "gpt-4o")
        #expect(try inA.fault(for: input, key: "", rule: nil, scope: a)?.name == "cold-start")
        #expect(try inA.fault(for: input, key: "", rule: nil, scope: a) == nil, "first: 1 is used up in scope a")
        #expect(try inB.fault(for: input, key: "", rule: nil, scope: b)?.name == "cold-start")
        #expect(try server.fault(for: input, key: "", rule: nil)?.name == "cold-start", "the server's own count is untouched")
        let fault = try #require(server.faults.first)
        #expect(a.counts(of: fault) == (injected: 1, counted: 2))
        #expect(fault.injected == 1 && fault.counted == 1)
        a.resetFaults()
        #expect(a.counts(of: fault) == (injected: 0, counted: 0))
        #expect(try inA.fault(for: input, key: "", rule: nil, scope: a)?.name == "cold-start")
    }

    @Test func aQuotaCountsPerScope() {
        let quota = Quota(requestsPerWindow: 1, tokensPerWindow: nil, windowNanoseconds: 1000)
        let (a, b) = (TestScope(id: "a"), TestScope(id: "b"))
        #expect(!a.admit(quota, key: "", promptTokens: 1, now: 0).refused)
        #expect(a.admit(quota, key: "", promptTokens: 1, now: 1).refused)
        #expect(!b.admit(quota, key: "", promptTokens: 1, now: 1).refused)
        #expect(!quota.admit(key: "", promptTokens: 1, now: 1).refused, "the quota's own windows are apart")
        #expect(a.charge(quota, key: "", completionTokens: 7, now: 2).requestsRemaining == 0)
        #expect(!a.admit(quota, key: "", promptTokens: 1, now: 1000).refused, "a new window")
    }

    @Test func aNewServerScriptOrScopeScriptStartsTheCountsAgain() throws {
        let first = try script(Self.yaml), second = try script(Self.yaml)
        let scope = TestScope(id: "a")
        #expect(text(scope.effective(over: first), "seq", scope) == "one 1")
        #expect(text(scope.effective(over: first), "seq", scope) == "two 2")
        #expect(text(scope.effective(over: second), "seq", scope) == "one 1", "a reload starts again")
        let stale = first
        #expect(text(stale, "seq", scope) == "one 1", "a request on the old script counts nothing")
        #expect(text(scope.effective(over: second), "seq", scope) == "two 2")
        scope.setScript(try script("responses: {}"))
        #expect(text(scope.effective(over: second), "seq", scope) == "one 1", "a new scope script starts again")
    }

    @Test func aScopeScriptGoesFirstAndReplacesResponsesAndTheQuota() throws {
        let server = try script(Self.yaml + "\nquotas: {requests_per_minute: 5}\n")
        let own = try ScriptLoader.parseScope(yaml: """
            rules:
              - match: {prompt: seq}
                reply: "scoped {{count}}"
            responses:
              hello: "Hello from the test"
            faults:
              - name: mine
                match: {prompt: faulty}
                status: 429
            quotas: {requests_per_minute: 1}
            """, file: "<test a>", providers: providerCatalog).script
        let scope = TestScope(id: "a")
        scope.setScript(own)
        let effective = scope.effective(over: server)
        #expect(text(effective, "seq", scope) == "scoped 1")
        #expect(text(effective, "seq", scope) == "scoped 2")
        #expect(text(effective, "hello", scope) == "Hello from the test")
        #expect(text(effective, "once", scope) == "only once", "the server's rules follow")
        #expect(try effective.fault(for: MatchInput(prompt: "faulty", model: "m"), key: "", rule: nil, scope: scope)?.name == "mine")
        #expect(effective.quota?.requestsPerWindow == 1)
        #expect(text(server, "hello") == "Hello!", "the server's script is unchanged")
        #expect(scope.effective(over: server) === effective, "built once per server script")
    }

    @Test(arguments: [
        ("settings:\n  lag_enabled: true\n", 1, 1, "'settings' is the server's and cannot be set per test scope"),
        ("rules: []\nmodels:\n  - id: x\n", 2, 1, "'models' is the server's and cannot be set per test scope"),
        ("rules: []\nengines: {}\n", 2, 1, "'engines' is the server's and cannot be set per test scope"),
        ("responses: {}\nrulez: []\n", 2, 1, "unknown key 'rulez'"),
        ("rules:\n  - match: {prompt: x}\n    reply: x\n    times: zero\n", 4, 12, nil),
    ] as [(String, Int, Int, String?)])
    func aScopeScriptIsCheckedWithLocatedErrors(yaml: String, line: Int, column: Int, message: String?) throws {
        do {
            _ = try ScriptLoader.parseScope(yaml: yaml, file: "<test t>", providers: providerCatalog)
            Issue.record("accepted: \(yaml)")
        } catch {
            let first = try #require(error.errors.first)
            #expect((first.line, first.column) == (line, column), "\(first)")
            #expect(first.file == "<test t>")
            if let message {
                #expect(first.message == message + ": a test scope's script accepts rules, responses, faults, quotas")
            }
        }
    }

    @Test func aScopeScriptNeedsNeitherRulesNorResponses() throws {
        let loaded = try ScriptLoader.parseScope(yaml: "quotas: {requests_per_minute: 2}\n", file: "<test t>", providers: providerCatalog)
        #expect(loaded.script.quota?.requestsPerWindow == 2 && loaded.warnings.isEmpty)
    }
}
