@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The script's `faults:` and a rule's `fault:` (every form, every diagnostic with its line),
/// their schedules, the `x-mockllm-fault` header and scenario selection, without a server.
@Suite("Faults")
struct FaultsTests: ScriptLoading {
    static let scriptFile = "faults.yml"

    /// A request as the providers describe it to the script.
    func input(_ prompt: String = "hi", headers: HTTPFields = HTTPFields(), provider: String = "openai") -> MatchInput {
        MatchInput(prompt: prompt, model: "gpt-4o", messages: [ChatMessage(role: "user", text: prompt)], hasTools: false,
                   headers: RequestHeaders(headers), endpoint: provider == "openai" ? "/v1/chat/completions" : "/v1/messages",
                   provider: provider)
    }

    /// `name action` of the fault a request gets, or "none".
    func applied(_ script: Script, _ input: MatchInput, key: String = "", rule: Fault? = nil) throws -> String {
        guard let fault = try script.fault(for: input, key: key, rule: rule) else { return "none" }
        return "\(fault.name) \(Self.describe(fault.action))"
    }

    static func describe(_ action: Fault.Action?) -> String {
        switch action {
        case nil: "ok"
        case .error(let e)?: "\(e.status)"
        case .contextLength?: "context_length"
        case .stream(let s)?:
            "stream after \(s.after) \(s.cut.map { "\($0)" } ?? "-") first+\(s.firstTokenDelay / 1_000_000)ms"
        }
    }

    static func error(_ status: Int) -> Fault.Action {
        .error(.statusOnly(status))
    }

    // MARK: - Loading

    @Test func loadsEveryActionOfAGlobalFault() throws {
        let script = try script("""
            responses: {hi: hello}
            faults:
              - name: limited
                match: {prompt: {prefix: pay}, provider: openai}
                error: {status: 429, message: "Slow down.", type: rate_limit_error, code: rl, retry_after: 2, headers: {x-limit: "0"}}
              - status: 503
              - name: long
                context_length: true
              - {name: stall, stream: {after: 3, stall_ms: 250}}
              - {name: forever, stream: {stall: forever}}
              - {name: fin, stream: {after: 0, disconnect: fin}}
              - {name: rst, stream: {after: 2, disconnect: rst}}
              - {name: reset, stream: {after: 2, disconnect: reset}}
              - {name: truncate, stream: {after: 4, truncate: true}}
              - {name: malformed, stream: {after: 1, malformed: true}}
              - {name: error, stream: {after: 2, error: {type: overloaded_error, message: Overloaded}}}
              - {name: error-default, stream: {error: {}}}
              - {name: slow, slow_first_token_ms: 700}
              - {name: slow-cut, slow_first_token_ms: 100, stream: {after: 2, truncate: true}}
            """)
        let faults = script.faults
        #expect(faults.map(\.name) == ["limited", "faults[1]", "long", "stall", "forever", "fin", "rst", "reset", "truncate",
                                       "malformed", "error", "error-default", "slow", "slow-cut"])
        var headers = HTTPFields()
        headers.append(name: "x-limit", value: "0")
        headers.append(name: "retry-after", value: "2")
        #expect(faults[0].action == .error(RuleError(status: 429, message: "Slow down.", type: "rate_limit_error", code: "rl", headers: headers)))
        #expect(faults[0].conditions.count == 2)
        var statusAlone = RuleError(status: 503, message: "The engine is currently overloaded, please try again later.")
        statusAlone.statusOnly = true
        #expect(faults[1].action == .error(statusAlone))
        #expect(faults[1].conditions.isEmpty)
        #expect(faults[2].action == .contextLength)
        let streams = faults[3...].map { fault -> StreamFault? in
            if case .stream(let s)? = fault.action { return s }
            return nil
        }
        #expect(streams == [
            StreamFault(after: 3, cut: .stall(nanoseconds: 250_000_000)),
            StreamFault(after: 1, cut: .stall(nanoseconds: nil)),  // after defaults to 1: the first event gets through
            StreamFault(after: 0, cut: .disconnect),
            StreamFault(after: 2, cut: .reset),
            StreamFault(after: 2, cut: .reset),
            StreamFault(after: 4, cut: .truncate),
            StreamFault(after: 1, cut: .malformed),
            StreamFault(after: 2, cut: .error(type: "overloaded_error", message: "Overloaded")),
            StreamFault(after: 1, cut: .error(type: nil, message: "The server had an error while processing your request.")),
            StreamFault(after: 0, cut: nil, firstTokenDelay: 700_000_000),
            StreamFault(after: 2, cut: .truncate, firstTokenDelay: 100_000_000),
        ])
        #expect(faults.allSatisfy { $0.schedule == .always && !$0.perKey && $0.scenario == nil })
        #expect(script.summary.contains("14 faults"))
    }

    @Test func loadsSchedulesSequencesPerKeyAndScenarios() throws {
        let script = try script("""
            responses: {hi: hello}
            settings: {scenario: storm}
            faults:
              - {name: first, status: 500, when: {first: 2}}
              - {name: every, status: 502, when: {every: 3}, per: key}
              - {name: rate, status: 503, when: {rate: 0.25, seed: 42}}
              - {name: rate-unseeded, status: 503, when: {rate: 0.5}}
              - {name: sequence, sequence: [429, 529, ok, 500], per: key}
              - {name: storm, scenario: storm, status: 503}
            """)
        let faults = script.faults
        #expect(faults.map(\.schedule) == [
            .first(2), .every(3), .rate(0.25, seed: 42), .rate(0.5, seed: 0),
            .sequence([Self.error(429), Self.error(529), nil, Self.error(500)]), .always,
        ])
        #expect(faults.map(\.perKey) == [false, true, false, false, true, false])
        #expect(faults[4].action == nil)
        #expect(faults.map(\.scenario) == [nil, nil, nil, nil, nil, "storm"])
        #expect(script.scenario.active == "storm")
    }

    @Test func aRulesFaultIsNamedAfterItsRule() throws {
        let script = try script("""
            rules:
              - name: flaky
                match: {prompt: pay}
                reply: paid
                fault: {sequence: [503, ok]}
              - reply: anything
                fault:
                  stream: {after: 2, disconnect: fin}
                  when: {every: 2}
            """)
        let flaky = try #require(script.rules[0].fault)
        #expect(flaky.name == "flaky")
        #expect(flaky.schedule == .sequence([Self.error(503), nil]))
        let unnamed = try #require(script.rules[1].fault)
        #expect(unnamed.name == "rules[1]")
        #expect(unnamed.action == .stream(StreamFault(after: 2, cut: .disconnect)))
        #expect(unnamed.schedule == .every(2))
        #expect(unnamed.conditions.isEmpty && unnamed.scenario == nil)
    }

    @Test func theDefaultMessagesAreTheAPIsWords() {
        #expect(FaultsSection.defaultMessage(429) == "Rate limit reached for requests. Please try again later.")
        #expect(FaultsSection.defaultMessage(529) == "Overloaded")
        #expect(FaultsSection.defaultMessage(500) == "The server had an error while processing your request. Sorry about that!")
        #expect(FaultsSection.defaultMessage(418) == HTTPStatus.reason(418))
    }

    // MARK: - Diagnostics

    static let head = "responses: {a: b}\nfaults:\n"

    @Test(arguments: [
        ("responses: {a: b}\nfaults: 5", 2, "'faults' must be a list of faults, found '5'"),
        (head + "  - 5", 3, "'faults[0]' must be a mapping, found '5'"),
        (head + "  - {name: x, status: 500}\n  - {name: x, status: 502}", 4, "two faults are named 'x'"),
        (head + "  - {name: [x], status: 500}", 3, "'faults[0].name' must be text, found a list"),
        (head + "  - name: none\n    when: {first: 1}", 3,
         "'faults[0]' needs one of error, status, context_length, stream (with slow_first_token_ms), or a sequence"),
        (head + "  - status: 500\n    context_length: true", 3,
         "'faults[0]' needs one of error, status, context_length, stream (with slow_first_token_ms), or a sequence (found status, context_length)"),
        (head + "  - error: {status: 500}\n    stream: {truncate: true}", 3,
         "'faults[0]' needs one of error, status, context_length, stream (with slow_first_token_ms), or a sequence (found error, stream)"),
        (head + "  - sequence: [429, ok]\n    status: 500", 3,
         "'faults[0]' has both sequence and status; a sequence lists each request's fault"),
        (head + "  - status: 500\n    sequence: [429, ok]\n    when: {first: 1}", 4,
         "'faults[0]' has both sequence and status; a sequence lists each request's fault"),
        (head + "  - sequence: [429]\n    when: {first: 1}", 3,
         "'faults[0]' has both sequence and when; a sequence lists each request's fault"),
        (head + "  - sequence: []", 3, "'faults[0].sequence' must be a non-empty list of statuses and ok"),
        (head + "  - sequence: ok", 3, "'faults[0].sequence' must be a non-empty list of statuses and ok"),
        (head + "  - sequence: [429, 200]", 3, "'faults[0].sequence[1]' must be an HTTP error status (400-599) or ok, found '200'"),
        (head + "  - sequence: [429, nope]", 3, "'faults[0].sequence[1]' must be an HTTP error status (400-599) or ok, found 'nope'"),
        (head + "  - status: 200", 3, "'faults[0].status' must be an HTTP error status (400-599), found '200'"),
        (head + "  - status: 429.5", 3, "'faults[0].status' must be an HTTP error status (400-599), found '429.5'"),
        (head + "  - status: busy", 3, "'faults[0].status' must be an HTTP error status (400-599), found 'busy'"),
        (head + "  - error: {message: hi}", 3, "'faults[0].error' needs a status"),
        (head + "  - error: {status: 302}", 3, "'faults[0].error.status' must be an HTTP error status (400-599), found 302"),
        (head + "  - error: {status: 429, retry_after: -1}", 3,
         "'faults[0].error.retry_after' must be a whole number of seconds, 0 or more"),
        (head + "  - error: 429", 3, "'faults[0].error' must be a mapping, found '429'"),
        (head + "  - context_length: false", 3, "'faults[0].context_length' can only be true"),
        (head + "  - context_length: maybe", 3, "'faults[0].context_length' must be true or false, found 'maybe'"),
        (head + "  - slow_first_token_ms: -5", 3, "'faults[0].slow_first_token_ms' must be milliseconds, 0 or more"),
        (head + "  - stream: truncate", 3, "'faults[0].stream' must be a mapping, found 'truncate'"),
        (head + "  - stream: {after: 2}", 3,
         "'faults[0].stream' needs exactly one of stall_ms, stall, disconnect, truncate, malformed, error or content_filter"),
        (head + "  - stream: {truncate: true, malformed: true}", 3,
         "'faults[0].stream' needs exactly one of stall_ms, stall, disconnect, truncate, malformed, error or content_filter"),
        (head + "  - stream:\n      after: -1\n      truncate: true", 4, "'faults[0].stream.after' must be a whole number of events, 0 or more"),
        (head + "  - stream: {after: 1.5, truncate: true}", 3, "'faults[0].stream.after' must be a whole number of events, 0 or more"),
        (head + "  - stream: {after: two, truncate: true}", 3, "'faults[0].stream.after' must be a whole number of events, 0 or more"),
        (head + "  - stream: {stall_ms: -1}", 3, "'faults[0].stream.stall_ms' must be milliseconds, 0 or more"),
        (head + "  - stream: {stall_ms: soon}", 3, "'faults[0].stream.stall_ms' must be milliseconds, 0 or more"),
        (head + "  - stream: {stall: 5}", 3, "'faults[0].stream.stall' must be forever (or use stall_ms)"),
        (head + "  - stream: {disconnect: yes}", 3, "'faults[0].stream.disconnect' must be fin or rst"),
        (head + "  - stream: {truncate: false}", 3, "'faults[0].stream.truncate' can only be true"),
        (head + "  - stream: {malformed: sometimes}", 3, "'faults[0].stream.malformed' must be true or false, found 'sometimes'"),
        (head + "  - stream: {error: boom}", 3, "'faults[0].stream.error' must be a mapping, found 'boom'"),
        (head + "  - stream: {error: {type: [x]}}", 3, "'faults[0].stream.error.type' must be text, found a list"),
        (head + "  - status: 500\n    when: 3", 4, "'faults[0].when' must be a mapping, found '3'"),
        (head + "  - status: 500\n    when: {}", 4, "'faults[0].when' needs exactly one of first, every or rate"),
        (head + "  - status: 500\n    when: {first: 1, every: 2}", 4, "'faults[0].when' needs exactly one of first, every or rate"),
        (head + "  - status: 500\n    when: {seed: 2}", 4, "'faults[0].when' needs exactly one of first, every or rate"),
        (head + "  - status: 500\n    when: {first: 0}", 4, "'faults[0].when.first' must be a whole number, 1 or more"),
        (head + "  - status: 500\n    when: {every: 2.5}", 4, "'faults[0].when.every' must be a whole number, 1 or more"),
        (head + "  - status: 500\n    when: {every: often}", 4, "'faults[0].when.every' must be a number, found 'often'"),
        (head + "  - status: 500\n    when: {rate: 1.5}", 4, "'faults[0].when.rate' must be between 0 and 1"),
        (head + "  - status: 500\n    when: {rate: 0.5, seed: -3}", 4, "'faults[0].when.seed' must be a whole number, 0 or more"),
        (head + "  - status: 500\n    when: {rate: 0.5, seed: lucky}", 4, "'faults[0].when.seed' must be a whole number, 0 or more"),
        (head + "  - status: 500\n    per: user", 4, "'faults[0].per' must be key (count per API key)"),
        (head + "  - status: 500\n    scenario: [a]", 4, "'faults[0].scenario' must be text, found a list"),
        (head + "  - status: 500\n    match: {provider: gemini}", 4, "unknown provider 'gemini' in 'faults[0].match.provider' (known: openai, anthropic)"),
        ("rules:\n  - reply: x\n    fault: {status: 700}", 3, "'rules[0].fault.status' must be an HTTP error status (400-599), found '700'"),
        ("rules:\n  - name: r\n    reply: x\n    fault:\n      when: {first: 1}", 5,
         "'rules[0].fault' needs one of error, status, context_length, stream (with slow_first_token_ms), or a sequence"),
        ("rules:\n  - reply: x\n    fault: 429", 3, "'rules[0].fault' must be a mapping, found '429'"),
    ])
    func everyMistakeIsReportedOnceOnItsLine(yaml: String, line: Int, message: String) {
        let found = diagnostics(yaml).filter { $0.severity == .error }
        #expect(found.map(\.message) == [message], "\(found)")
        #expect(found.first?.line == line, "\(found)")
        #expect(found.first?.file == "faults.yml")
    }

    @Test func everyFaultIsCheckedInOneRun() {
        let found = diagnostics(Self.head + """
              - status: 200
              - stream: {stall: 5}
              - status: 500
                when: {rate: 2}
            rules:
              - reply: x
                fault: {context_length: false}
            """).filter { $0.severity == .error }
        #expect(found.map(\.line).sorted() == [3, 4, 6, 9])  // rules are read before faults
    }

    @Test(arguments: [
        (head + "  - status: 500\n    statsu: 1", 4, "unknown key 'statsu' in 'faults[0]' (did you mean 'status'?)"),
        (head + "  - stream: {after: 1, truncate: true, stal_ms: 5}", 3, "unknown key 'stal_ms' in 'faults[0].stream' (did you mean 'stall_ms'?)"),
        (head + "  - status: 500\n    when: {first: 1, frist: 2}", 4, "unknown key 'frist' in 'faults[0].when' (did you mean 'first'?)"),
        (head + "  - stream: {error: {type: x, mesage: y}}", 3, "unknown key 'mesage' in 'faults[0].stream.error' (did you mean 'message'?)"),
        ("rules:\n  - reply: x\n    fault:\n      name: f\n      status: 500", 4, "unknown key 'name' in 'rules[0].fault'"),
        ("rules:\n  - reply: x\n    fault:\n      status: 500\n      match: {prompt: y}", 5, "unknown key 'match' in 'rules[0].fault'"),
        ("rules:\n  - reply: x\n    fault:\n      status: 500\n      scenario: y", 5, "unknown key 'scenario' in 'rules[0].fault'"),
        ("responses: {a: b}\nsettings:\n  scenario: storm\nfaults:\n  - {scenario: calm, status: 503}", 3,
         "'settings.scenario' is 'storm', which no fault names"),
    ])
    func warningsDoNotStopTheScript(yaml: String, line: Int, message: String) throws {
        let loaded = try load(yaml)
        #expect(loaded.warnings.map(\.message) == [message])
        #expect(loaded.warnings.first?.line == line)
    }

    // MARK: - Schedules

    func run(_ fault: Fault, _ count: Int, key: String = "") -> [String] {
        (0..<count).map { _ in Self.describe(fault.next(key: key)) }
    }

    @Test func alwaysHitsEveryRequest() {
        let fault = Fault(name: "f", action: Self.error(500))
        #expect(run(fault, 4) == ["500", "500", "500", "500"])
        #expect(fault.injected == 4)
    }

    @Test func firstHitsTheFirstNThenNeverAgain() {
        let fault = Fault(name: "f", action: Self.error(503), schedule: .first(2))
        #expect(run(fault, 6) == ["503", "503", "ok", "ok", "ok", "ok"])
        #expect(fault.injected == 2)
    }

    @Test func everyHitsTheNthThe2NthAndSoOn() {
        let fault = Fault(name: "f", action: Self.error(500), schedule: .every(3))
        #expect(run(fault, 9) == ["ok", "ok", "500", "ok", "ok", "500", "ok", "ok", "500"])
        let each = Fault(name: "f", action: .contextLength, schedule: .every(1))
        #expect(run(each, 3) == ["context_length", "context_length", "context_length"])
    }

    @Test func aSequenceGivesEachRequestItsStepThenOk() {
        let fault = Fault(name: "f", action: nil, schedule: .sequence([Self.error(429), Self.error(429), nil, Self.error(500)]))
        #expect(run(fault, 7) == ["429", "429", "ok", "500", "ok", "ok", "ok"])
        #expect(fault.injected == 3)
    }

    func hits(_ fault: Fault, _ count: Int) -> [Bool] {
        (0..<count).map { _ in fault.next(key: "") != nil }
    }

    @Test func aSeededRateIsTheSameOnEveryRunAndRoughlyItsProportion() {
        let stream = StreamFault(after: 1, cut: .truncate)
        let a = hits(Fault(name: "a", action: .stream(stream), schedule: .rate(0.1, seed: 7)), 1000)
        let b = hits(Fault(name: "b", action: .stream(stream), schedule: .rate(0.1, seed: 7)), 1000)
        let other = hits(Fault(name: "c", action: .stream(stream), schedule: .rate(0.1, seed: 8)), 1000)
        #expect(a == b, "one seed, one pattern")
        #expect(a != other, "another seed, another pattern")
        let count = a.filter { $0 }.count
        #expect((60...140).contains(count), "\(count) of 1000 at rate 0.1")
        for p in [0.25, 0.5, 0.9] {
            let n = hits(Fault(name: "p", action: Self.error(503), schedule: .rate(p, seed: 1)), 1000).filter { $0 }.count
            #expect(abs(Double(n) - p * 1000) < 60, "\(n) of 1000 at rate \(p)")
        }
        #expect(!hits(Fault(name: "never", action: Self.error(503), schedule: .rate(0, seed: 3)), 1000).contains(true))
        #expect(!hits(Fault(name: "always", action: Self.error(503), schedule: .rate(1, seed: 3)), 1000).contains(false))
    }

    @Test func theRatesNumbersAreUniformInTheUnitInterval() {
        var buckets = [Int](repeating: 0, count: 10)
        for count in 1...10_000 {
            let u = Fault.unit(99, count)
            #expect(u >= 0 && u < 1)
            buckets[Int(u * 10)] += 1
        }
        #expect(buckets.allSatisfy { (850...1150).contains($0) }, "\(buckets)")
        #expect(Fault.unit(5, 17) == Fault.unit(5, 17))
    }

    @Test func perKeyCountsEachAPIKeyOnItsOwn() {
        let perKey = Fault(name: "f", action: Self.error(429), schedule: .first(1), perKey: true)
        #expect(Self.describe(perKey.next(key: "alice")) == "429")
        #expect(Self.describe(perKey.next(key: "alice")) == "ok")
        #expect(Self.describe(perKey.next(key: "bob")) == "429")
        #expect(Self.describe(perKey.next(key: "")) == "429")
        #expect(Self.describe(perKey.next(key: "bob")) == "ok")
        let shared = Fault(name: "g", action: Self.error(429), schedule: .first(1))
        #expect(Self.describe(shared.next(key: "alice")) == "429")
        #expect(Self.describe(shared.next(key: "bob")) == "ok")
        let sequence = Fault(name: "s", action: nil, schedule: .sequence([Self.error(429), nil]), perKey: true)
        #expect([sequence.next(key: "a"), sequence.next(key: "b"), sequence.next(key: "a"), sequence.next(key: "b")].map(Self.describe)
            == ["429", "429", "ok", "ok"])
    }

    @Test func theKeyComesFromEachProvidersAuthHeader() {
        let sources = APIKeySource.all(of: servedProviders)
        #expect(sources == [.bearer, .header("x-api-key"), .header("x-goog-api-key"), .query("key"), .header("api-key")])
        func key(_ pairs: KeyValuePairs<String, String>, query: String = "") -> String {
            sources.clientKey(in: HTTPRequest(method: "POST", target: "/v1/chat/completions" + query, headers: HTTPFields(pairs)))
        }
        #expect(key(["Authorization": "Bearer sk-one"]) == "sk-one")
        #expect(key(["authorization": "Basic xyz"]) == "Basic xyz")
        #expect(key(["x-api-key": "sk-ant"]) == "sk-ant")
        #expect(key(["x-goog-api-key": "g"]) == "g")
        #expect(key(["authorization": "Bearer a", "x-api-key": "b"]) == "a")
        #expect(key([:]) == "")
        #expect(key([:], query: "?key=q") == "q", "Google's ?key=")
        #expect(key(["x-goog-api-key": "g"], query: "?key=q") == "g")
    }

    @Test func perKeySchedulesCountTheRequestsAPIKey() throws {
        let script = try script("""
            responses: {hi: hello}
            faults:
              - {name: quota, status: 429, when: {first: 1}, per: key}
            """)
        let alice = HTTPFields(["authorization": "Bearer alice"])
        let bob = HTTPFields(["x-api-key": "bob"])
        #expect(try applied(script, input(headers: alice), key: "alice") == "quota 429")
        #expect(try applied(script, input(headers: alice), key: "alice") == "none")
        #expect(try applied(script, input(headers: bob, provider: "anthropic"), key: "bob") == "quota 429")
        #expect(try applied(script, input(headers: bob, provider: "anthropic"), key: "bob") == "none")
    }

    @Test func schedulesAreSharedByConcurrentCallers() async {
        let fault = Fault(name: "f", action: Self.error(500), schedule: .every(4))
        await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<250).filter { _ in fault.next(key: "") != nil }.count }
            }
            var total = 0
            for await n in group { total += n }
            #expect(total == 500)
        }
        #expect(fault.injected == 500)
    }

    // MARK: - Which fault a request gets

    @Test func globalFaultsAreTriedInOrderAndOnlyMatchingOnesCount() throws {
        let script = try script("""
            responses: {hi: hello}
            faults:
              - {name: pay, match: {prompt: {prefix: pay}}, status: 402, when: {first: 1}}
              - {name: claude, match: {provider: anthropic}, status: 529}
              - {name: everyone, status: 500, when: {every: 2}}
            """)
        #expect(try applied(script, input("hello")) == "none")  // everyone: 1st
        #expect(try applied(script, input("hello")) == "everyone 500")  // 2nd
        #expect(try applied(script, input("pay now")) == "pay 402")  // pay's 1st: everyone not counted
        #expect(try applied(script, input("pay now")) == "none")  // pay used up; everyone: 3rd
        #expect(try applied(script, input("pay now", provider: "anthropic")) == "claude 529")
        #expect(try applied(script, input("hello")) == "everyone 500")  // 4th
        #expect(script.faults.map(\.injected) == [1, 1, 2])
    }

    @Test func theHeaderWinsThenTheRulesFaultThenTheGlobalOnes() throws {
        let script = try script("""
            rules:
              - name: flaky
                match: {prompt: pay}
                reply: paid
                fault: {sequence: [503, ok]}
              - reply: other
            faults:
              - {name: global, status: 500}
            """)
        let rule = script.rules[0].fault
        #expect(try applied(script, input("pay", headers: HTTPFields(["x-mockllm-fault": "429"])), rule: rule) == "header 429")
        #expect(try applied(script, input("pay"), rule: rule) == "flaky 503")
        // The rule's sequence says ok: the global faults still apply.
        #expect(try applied(script, input("pay"), rule: rule) == "global 500")
        #expect(try applied(script, input("other")) == "global 500")
        // The header is not counted by any schedule.
        #expect(rule?.injected == 1)
    }

    @Test func theAnswerCarriesItsRulesFault() throws {
        let script = try script("""
            rules:
              - name: flaky
                match: {prompt: pay}
                reply: paid
                fault: {status: 503}
            """)
        let answer = script.answer(for: input("pay"))
        #expect(answer.fault?.name == "flaky")
        #expect(try applied(script, input("pay"), rule: answer.fault) == "flaky 503")
        #expect(script.answer(for: input("other")).fault == nil)
    }

    @Test func theScenarioPicksWhichFaultsAreActive() throws {
        let yaml = """
            responses: {hi: hello}
            settings: {scenario: storm}
            faults:
              - {name: storm, scenario: storm, status: 503}
              - {name: outage, scenario: outage, status: 500}
              - {name: always, match: {prompt: always}, status: 418}
            """
        let script = try script(yaml)
        #expect(try applied(script, input()) == "storm 503")
        #expect(try applied(script, input("always")) == "storm 503")  // storm comes first
        #expect(try applied(script, input(headers: HTTPFields(["x-mockllm-scenario": "outage"]))) == "outage 500")
        #expect(try applied(script, input(headers: HTTPFields(["x-mockllm-scenario": "calm"]))) == "none")
        #expect(try applied(script, input("always", headers: HTTPFields(["x-mockllm-scenario": "calm"]))) == "always 418")
        script.scenario.active = "outage"  // what the admin API does
        #expect(try applied(script, input()) == "outage 500")
        script.scenario.active = nil
        #expect(try applied(script, input()) == "none")
        #expect(try applied(script, input("always")) == "always 418")

        let unset = try load(yaml.replacingOccurrences(of: "settings: {scenario: storm}\n", with: "")).script
        #expect(try applied(unset, input()) == "none", "no scenario: only faults without one are active")
        #expect(try applied(unset, input(headers: HTTPFields(["x-mockllm-scenario": "storm"]))) == "storm 503")
    }

    @Test func aScriptWithoutFaultsAppliesOnlyTheHeader() throws {
        let script = Script(responses: ["hi": "hello"])
        #expect(try applied(script, input()) == "none")
        #expect(try applied(script, input(headers: HTTPFields(["x-mockllm-fault": "context_length"]))) == "header context_length")
    }

    // MARK: - The x-mockllm-fault header

    @Test(arguments: [
        ("429", "429"),
        (" 503 ", "503"),
        ("529", "529"),
        ("400", "400"),
        ("599:7", "599"),
        ("context_length", "context_length"),
        ("stall", "stream after 1 stall(nanoseconds: nil) first+0ms"),
        ("stall:250", "stream after 1 stall(nanoseconds: Optional(250000000)) first+0ms"),
        ("stall: 0", "stream after 1 stall(nanoseconds: Optional(0)) first+0ms"),
        ("disconnect", "stream after 1 disconnect first+0ms"),
        ("disconnect:3", "stream after 3 disconnect first+0ms"),
        ("reset:0", "stream after 0 reset first+0ms"),
        ("reset:5", "stream after 5 reset first+0ms"),
        ("truncate:2", "stream after 2 truncate first+0ms"),
        ("malformed:4", "stream after 4 malformed first+0ms"),
        ("error:2", #"stream after 2 error(type: nil, message: "The server had an error while processing your request.") first+0ms"#),
        ("content_filter:3", #"stream after 3 contentFilter(category: "hate") first+0ms"#),
        ("slow_first_token:300", "stream after 0 - first+300ms"),
        ("slow_first_token", "stream after 0 - first+1000ms"),
    ])
    func validHeaderValues(value: String, expected: String) throws {
        #expect(Self.describe(try FaultHeader.parse(value)) == expected)
    }

    @Test(arguments: [
        ("bogus", "x-mockllm-fault: unknown fault 'bogus' (known: a status such as 429, context_length, stall, disconnect, reset, truncate, malformed, error, content_filter, slow_first_token)"),
        ("", "x-mockllm-fault: unknown fault '' (known: a status such as 429, context_length, stall, disconnect, reset, truncate, malformed, error, content_filter, slow_first_token)"),
        ("Disconnect:2", "x-mockllm-fault: unknown fault 'Disconnect' (known: a status such as 429, context_length, stall, disconnect, reset, truncate, malformed, error, content_filter, slow_first_token)"),
        ("200", "x-mockllm-fault: 200 is not an HTTP error status (400-599)"),
        ("700", "x-mockllm-fault: 700 is not an HTTP error status (400-599)"),
        ("disconnect:x", "x-mockllm-fault: 'x' is not a whole number, 0 or more"),
        ("reset:-1", "x-mockllm-fault: '-1' is not a whole number, 0 or more"),
        ("stall:1.5", "x-mockllm-fault: '1.5' is not a whole number, 0 or more"),
        ("429:soon", "x-mockllm-fault: 'soon' is not a whole number, 0 or more"),
    ])
    func invalidHeaderValuesAreExplained(value: String, message: String) {
        #expect(throws: FaultHeaderError.self) { try FaultHeader.parse(value) }
        do {
            _ = try FaultHeader.parse(value)
        } catch {
            #expect(error.message == message)
        }
    }

    @Test func anInvalidHeaderIsThrownByTheScriptToo() {
        let script = Script(faults: [Fault(name: "f", action: Self.error(500))])
        #expect(throws: FaultHeaderError.self) { try script.fault(for: input(headers: HTTPFields(["x-mockllm-fault": "nope"])), key: "", rule: nil) }
        #expect(script.faults[0].injected == 0)
    }
}
