@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Loading the script's `rules:` (every key, every diagnostic with its line) and answering from
/// them with `Script.answer(for:)`, without a server.
@Suite("Rules")
struct RulesTests: ScriptLoading {
    static let scriptFile = "rules.yml"

    /// A request as the providers describe it to the script.
    func input(
        _ prompt: String, model: String = "gpt-4o", system: String? = nil, turn: Int = 1, tools: Bool = false,
        headers: HTTPFields = HTTPFields(), endpoint: String = "/v1/chat/completions", provider: String = "openai"
    ) -> MatchInput {
        var messages: [ChatMessage] = []
        if let system { messages.append(ChatMessage(role: "system", text: system)) }
        for i in 1..<max(turn, 1) {
            messages.append(ChatMessage(role: "user", text: "earlier \(i)"))
            messages.append(ChatMessage(role: "assistant", text: "reply \(i)"))
        }
        messages.append(ChatMessage(role: "user", text: prompt))
        return MatchInput(prompt: prompt, model: model, messages: messages, hasTools: tools,
                          headers: RequestHeaders(headers), endpoint: endpoint, provider: provider)
    }

    /// The reply text, `error <status> <message>`, with what answered.
    func answer(_ script: Script, _ input: MatchInput) -> (text: String, source: String, miss: String?) {
        let answer = script.answer(for: input)
        switch answer.outcome {
        case .reply(let reply): return (reply.text, answer.source, answer.miss)
        case .error(let error): return ("error \(error.status) \(error.message)", answer.source, answer.miss)
        }
    }

    static func describe(_ condition: Condition) -> String {
        switch condition {
        case .prompt(let m): "prompt \(m)"
        case .model(let names): "model \(names.joined(separator: ","))"
        case .system(let m): "system \(m)"
        case .tools(let b): "tools \(b)"
        case .turn(let r): "turn \(r.lowerBound)...\(r.upperBound == Int.max ? "" : String(r.upperBound))"
        case .header(let name, let m): "header \(name) \(m)"
        case .endpoint(let path): "endpoint \(path)"
        case .provider(let name): "provider \(name)"
        case .toolResult(let m): "tool_result \(m)"
        case .audio(let r): "audio_ms \(r.lowerBound)...\(r.upperBound == Int.max ? "" : String(r.upperBound))"
        }
    }

    // MARK: - Loading

    @Test func loadsEveryKeyOfARule() throws {
        let script = try script(#"""
            rules:
              - name: everything
                match:
                  prompt: {regex: '^order (\d+)$', ignore_case: true}
                  model: [gpt-4o, haiku]
                  system: pirate
                  tools: true
                  turn: {min: 2, max: 4}
                  headers:
                    X-Tenant: acme
                    x-env: {prefix: stag}
                  endpoint: /v1/messages
                  provider: anthropic
                reply: "order {{1}}"
                pacing: {ttft_ms: 300, itl_ms: 25, chunking: word, seed: 9}
              - match:
                  prompt: {contains: "x"}
                  system: {exact: "S", ignore_case: true}
                  turn: 3
                replies: [a, "{{count}}"]
                sequence: cycle
              - replies: [only]
              - name: failing
                error: {status: 429, message: "Slow down", type: rate_limit_error, code: slow}
              - name: bare-error
                error: {status: 503}
            """#)
        #expect(script.rules.map(\.name) == ["everything", "rules[1]", "rules[2]", "failing", "bare-error"])
        #expect(script.rules.map(\.line) == [2, 16, 22, 23, 25])
        #expect(script.responses.isEmpty, "rules alone make a script")

        let everything = script.rules[0]
        #expect(everything.conditions.map(Self.describe) == [
            "prompt matching /^order (\\d+)$/ (ignoring case)", "model gpt-4o,haiku", #"system containing "pirate""#,
            "tools true", "turn 2...4", #"header x-tenant exactly "acme""#, #"header x-env starting with "stag""#,
            "endpoint /v1/messages", "provider anthropic",
        ])
        #expect(everything.pacing == PacingSpec(timeToFirstToken: 300_000_000, interChunk: 25_000_000, chunking: .word, seed: 9))
        guard case .reply(.text(let template)) = everything.reply else { Issue.record("\(everything.reply)"); return }
        #expect(template == (try Template("order {{1}}")))
        #expect(template.fixed == nil)

        #expect(script.rules[1].conditions.map(Self.describe) == [
            #"prompt containing "x""#, #"system exactly "S" (ignoring case)"#, "turn 3...3",
        ])
        guard case .sequence(let replies, let cycle) = script.rules[1].reply else { Issue.record("not a sequence"); return }
        #expect(replies == [.text(try Template("a")), .text(try Template("{{count}}"))])
        #expect(cycle)
        guard case .sequence(_, let stick) = script.rules[2].reply else { Issue.record("not a sequence"); return }
        #expect(!stick, "sequences stick by default")
        #expect(script.rules[2].conditions.isEmpty, "no match: always")
        #expect(script.rules[2].pacing == nil)

        guard case .error(let error) = script.rules[3].reply else { Issue.record("not an error"); return }
        #expect(error == RuleError(status: 429, message: "Slow down", type: "rate_limit_error", code: "slow"))
        guard case .error(let bare) = script.rules[4].reply else { Issue.record("not an error"); return }
        #expect(bare == RuleError(status: 503, message: "Service Unavailable"), "the message defaults to the status's reason")
    }

    @Test func settingsOnMissAndTheSummary() throws {
        let strict = try script("rules: []\nsettings: {on_miss: error}")
        #expect(strict.onMiss == .error)
        #expect(strict.summary == "0 responses, no latency, misses are errors")
        #expect(try script("responses: {}\nsettings: {on_miss: default}").onMiss == .default)
        #expect(try script("responses: {}").onMiss == .default)
        let withRules = try script("rules:\n  - reply: a\n  - reply: b\nresponses: {x: y}")
        #expect(withRules.summary == "1 response, 2 rules, no latency")
    }

    @Test(arguments: [
        // The list and its entries.
        ("rules: {a: 1}", 1, "'rules' must be a list of rules, found a mapping"),
        ("rules:\n  - just text", 2, "'rules[0]' must be a mapping, found 'just text'"),
        ("rules:\n  - reply: x\n  - name: [a]\n    reply: y", 3, "'rules[1].name' must be text, found a list"),
        ("rules:\n  - name: a\n    reply: x\n  - name: a\n    reply: y", 4, "two rules are named 'a'"),
        ("defaults: {}", 1, "YAML file must contain 'responses' key (or 'rules')"),
        ("rules: []\nsettings: {on_miss: ignore}", 2, "'settings.on_miss' must be default, error or strict, found 'ignore'"),
        // match:
        ("rules:\n  - match: [x]\n    reply: y", 2, "'rules[0].match' must be a mapping, found a list"),
        ("rules:\n  - reply: y\n    match:\n      prompt: {exact: a, contains: b}", 4,
         "'rules[0].match.prompt' needs exactly one of exact, contains, prefix, regex"),
        ("rules:\n  - reply: y\n    match:\n      prompt: {ignore_case: true}", 4,
         "'rules[0].match.prompt' needs exactly one of exact, contains, prefix, regex"),
        ("rules:\n  - reply: y\n    match:\n      prompt: {exact: [a]}", 4, "'rules[0].match.prompt.exact' must be text, found a list"),
        ("rules:\n  - reply: y\n    match:\n      prompt: {contains: a, ignore_case: yes please}", 4,
         "'rules[0].match.prompt.ignore_case' must be true or false, found 'yes please'"),
        ("rules:\n  - reply: y\n    match:\n      prompt: {regex: '('}", 4, "invalid regular expression '(' in 'rules[0].match.prompt'"),
        ("rules:\n  - reply: y\n    match:\n      prompt: ~", 4, "'rules[0].match.prompt' must be text, found nothing (null)"),
        ("rules:\n  - reply: y\n    match:\n      system: {regex: '[a'}", 4, "invalid regular expression '[a' in 'rules[0].match.system'"),
        ("rules:\n  - reply: y\n    match:\n      model: {a: b}", 4, "'rules[0].match.model' must be text, found a mapping"),
        ("rules:\n  - reply: y\n    match:\n      model:\n        - gpt-4o\n        - [x]", 6,
         "a model in 'rules[0].match.model' must be text, found a list"),
        ("rules:\n  - reply: y\n    match:\n      tools: maybe", 4, "'rules[0].match.tools' must be true or false, found 'maybe'"),
        ("rules:\n  - reply: y\n    match:\n      turn: 0", 4, "'rules[0].match.turn' must be a whole number, 1 or more"),
        ("rules:\n  - reply: y\n    match:\n      turn: 1.5", 4, "'rules[0].match.turn' must be a whole number, 1 or more"),
        ("rules:\n  - reply: y\n    match:\n      turn: first", 4, "'rules[0].match.turn' must be a number, found 'first'"),
        ("rules:\n  - reply: y\n    match:\n      turn: {min: 3, max: 2}", 4, "'rules[0].match.turn' has min greater than max"),
        ("rules:\n  - reply: y\n    match:\n      turn:\n        min: 0", 5, "'rules[0].match.turn.min' must be a whole number, 1 or more"),
        ("rules:\n  - reply: y\n    match:\n      headers: [a]", 4, "'rules[0].match.headers' must be a mapping, found a list"),
        ("rules:\n  - reply: y\n    match:\n      headers:\n        x-a: {prefix: [1]}", 5,
         "'rules[0].match.headers.x-a.prefix' must be text, found a list"),
        ("rules:\n  - reply: y\n    match:\n      headers:\n        ? [x]\n        : y", 5,
         "a header name in 'rules[0].match.headers' must be text, found a list"),
        ("rules:\n  - reply: y\n    match:\n      turn: {max: 0.5}", 4, "'rules[0].match.turn.max' must be a whole number, 1 or more"),
        ("rules:\n  - reply: y\n    match:\n      prompt: {regex: [x]}", 4, "'rules[0].match.prompt.regex' must be text, found a list"),
        ("rules:\n  - reply: y\n    match:\n      endpoint: v1/messages", 4, "'rules[0].match.endpoint' must be a path starting with /"),
        ("rules:\n  - reply: y\n    match:\n      provider: gemini", 4,
         "unknown provider 'gemini' in 'rules[0].match.provider' (known: openai, anthropic)"),
        // reply:, replies:, sequence:
        ("rules:\n  - match: {prompt: a}", 2, "'rules[0]' needs exactly one of reply, replies or error"),
        ("rules:\n  - reply: a\n    error: {status: 500}", 2, "'rules[0]' needs exactly one of reply, replies or error (found reply, error)"),
        ("rules:\n  - reply: [a]", 2, "'rules[0].reply' must be text, found a list"),
        ("rules:\n  - reply: ~", 2, "'rules[0].reply' must be text, found nothing (null)"),
        ("rules:\n  - reply: \"{{name}}\"", 2, "unknown placeholder {{name}} in 'rules[0].reply' (known: prompt, model, count, turn, 1...9)"),
        ("rules:\n  - replies: []", 2, "'rules[0].replies' must be a non-empty list of replies"),
        ("rules:\n  - replies: a", 2, "'rules[0].replies' must be a non-empty list of replies"),
        ("rules:\n  - replies:\n      - a\n      - ~", 4, "'rules[0].replies[1]' must be text, found nothing (null)"),
        ("rules:\n  - replies:\n      - ok\n      - \"{{10}}\"", 4,
         "unknown placeholder {{10}} in 'rules[0].replies[1]' (known: prompt, model, count, turn, 1...9)"),
        ("rules:\n  - replies: [a]\n    sequence: shuffle", 3, "'rules[0].sequence' must be cycle or stick, found 'shuffle'"),
        // error:
        ("rules:\n  - error: 429", 2, "'rules[0].error' must be a mapping, found '429'"),
        ("rules:\n  - error: {message: x}", 2, "'rules[0].error' needs a status"),
        ("rules:\n  - error:\n      status: 200", 3, "'rules[0].error.status' must be an HTTP error status (400-599), found 200"),
        ("rules:\n  - error:\n      status: 429.5", 3, "'rules[0].error.status' must be an HTTP error status (400-599), found 429.5"),
        ("rules:\n  - error:\n      status: lots", 3, "'rules[0].error.status' must be a number, found 'lots'"),
        ("rules:\n  - error:\n      status: 429\n      message: [a]", 4, "'rules[0].error.message' must be text, found a list"),
        ("rules:\n  - error:\n      status: 429\n      type: {}", 4, "'rules[0].error.type' must be text, found a mapping"),
        ("rules:\n  - error:\n      status: 429\n      code: ~", 4, "'rules[0].error.code' must be text, found nothing (null)"),
        ("rules:\n  - reply: a\n    times: 0", 3, "'rules[0].times' must be a whole number, 1 or more"),
        ("rules:\n  - reply: a\n    times: many", 3, "'rules[0].times' must be a number, found 'many'"),
        ("rules:\n  - error:\n      status: 429\n      retry_after: -1", 4,
         "'rules[0].error.retry_after' must be a whole number of seconds, 0 or more"),
        ("rules:\n  - error:\n      status: 429\n      headers: {content-length: 5}", 4,
         "'rules[0].error.headers' cannot set content-length; the server writes it"),
        ("rules:\n  - error:\n      status: 429\n      headers: {\"bad name\": 5}", 4,
         "'bad name' in 'rules[0].error.headers' is not a valid header name"),
        // pacing:
        ("rules:\n  - reply: a\n    pacing: 5", 3, "'rules[0].pacing' must be a mapping, found '5'"),
        ("rules:\n  - reply: a\n    pacing:\n      ttft_ms: -1", 4,
         "'rules[0].pacing.ttft_ms' must be between 0 and 86400000 milliseconds, found -1"),
        ("rules:\n  - reply: a\n    pacing:\n      tokens_per_second: 0", 4, "'rules[0].pacing.tokens_per_second' must be greater than 0"),
        ("rules:\n  - reply: a\n    pacing:\n      seed: -2", 4, "'rules[0].pacing.seed' must be a whole number, 0 or more"),
        ("rules:\n  - reply: a\n    pacing:\n      jitter: {distribution: lognormal, sigma: 9}", 4,
         "'rules[0].pacing.jitter.sigma' must be between 0 and 5"),
        ("rules:\n  - reply: a\n    pacing: {itl_ms: 5, tokens_per_second: 5}", 3,
         "'rules[0].pacing' sets both itl_ms and tokens_per_second; choose one"),
        ("rules:\n  - reply: a\n    pacing:\n      chunking: {characters: 0}", 4,
         "'rules[0].pacing.chunking' as a mapping must be {characters: N} with N a whole number, 1 or more"),
        ("rules:\n  - reply: a\n    pacing:\n      jitter: {distribution: normall, stddev_ms: 5}", 4,
         "unknown distribution 'normall' in 'rules[0].pacing.jitter' (constant, uniform, normal, lognormal); did you mean 'normal'?"),
        ("rules:\n  - reply: a\n    pacing:\n      jitter: {distribution: uniform}", 4,
         "'rules[0].pacing.jitter' with distribution uniform needs spread_ms"),
        ("rules: []\npacing: {tokens_per_second: -3}", 2, "'pacing.tokens_per_second' must be greater than 0"),
        ("rules:\n  - reply: y\n    match:\n      model: []", 4,
         "'rules[0].match.model' is an empty list; list at least one model or leave it out"),
        ("rules:\n  - reply: a\n    pacing:\n      chunking: lines", 4,
         "unknown chunking 'lines' in 'rules[0].pacing.chunking' (character, word, token, or {characters: N})"),
    ])
    func everyMistakeIsReportedOnItsLine(yaml: String, line: Int, message: String) {
        let found = diagnostics(yaml).filter { $0.severity == .error }
        #expect(found.map(\.message) == [message])
        #expect(found.first?.line == line, "\(found)")
        #expect(found.first?.file == "rules.yml")
    }

    @Test func aRuleWithABadReplyStillHasItsPacingChecked() {
        let found = diagnostics("rules:\n  - reply: [a]\n    pacing:\n      ttft_ms: -1").filter { $0.severity == .error }
        #expect(found.map(\.message) == [
            "'rules[0].reply' must be text, found a list",
            "'rules[0].pacing.ttft_ms' must be between 0 and 86400000 milliseconds, found -1",
        ])
    }

    @Test(arguments: [
        ("rules:\n  - nmae: a\n    reply: x", 2, "unknown key 'nmae' in 'rules[0]' (did you mean 'name'?)"),
        ("rules:\n  - reply: x\n    match:\n      prompt: {exact: a, ignorecase: true}", 4,
         "unknown key 'ignorecase' in 'rules[0].match.prompt' (did you mean 'ignore_case'?)"),
        ("rules:\n  - reply: x\n    match:\n      turn: {min: 2, maximum: 3}", 4, "unknown key 'maximum' in 'rules[0].match.turn'"),
        ("rules:\n  - error: {status: 500, mesage: x}", 2, "unknown key 'mesage' in 'rules[0].error' (did you mean 'message'?)"),
        ("rules:\n  - reply: x\n    sequence: cycle", 3, "'rules[0].sequence' only applies to replies"),
        ("rules:\n  - reply: x\n    pacing: {ttf_ms: 5}", 3, "unknown key 'ttf_ms' in 'rules[0].pacing' (did you mean 'ttft_ms'?)"),
    ])
    func warningsDoNotStopTheScript(yaml: String, line: Int, message: String) throws {
        let loaded = try load(yaml)
        #expect(loaded.warnings.map(\.message) == [message])
        #expect(loaded.warnings.first?.line == line)
        #expect(loaded.script.rules.count == 1)
    }

    /// Ignoring an unknown condition would widen the rule to every request, so under `match:` it
    /// is an error (the running server keeps its script), with the place a text test belongs.
    @Test(arguments: [
        ("rules:\n  - reply: x\n    match:\n      promt: a", 4,
         "unknown key 'promt' in 'rules[0].match' (did you mean 'prompt'?): the rule would match requests that condition was meant to exclude"),
        ("rules:\n  - reply: x\n    match: {contains: refund}", 3,
         "unknown key 'contains' in 'rules[0].match' (a text test goes under a field: 'prompt: {contains: ...}'): the rule would match requests that condition was meant to exclude"),
        ("rules:\n  - reply: y\n    match:\n      tool_reslt: true", 4,
         "unknown key 'tool_reslt' in 'rules[0].match' (did you mean 'tool_result'?): the rule would match requests that condition was meant to exclude"),
    ])
    func anUnknownConditionIsAnError(yaml: String, line: Int, message: String) {
        let found = diagnostics(yaml)
        #expect(found.map(\.message) == [message])
        #expect(found.first?.severity == .error)
        #expect(found.first?.line == line)
    }

    @Test func everyProblemOfEveryRuleIsReportedInOneRun() {
        let found = diagnostics("""
            rules:
              - name: one
                match:
                  tools: sometimes
                  endpoint: nowhere
                reply: "{{nope}}"
              - name: one
                error: {status: 99}
            """).filter { $0.severity == .error }
        #expect(found.map(\.line) == [4, 5, 6, 7, 8])
        #expect(found.allSatisfy { $0.column > 1 })
    }

    // MARK: - Templates and text matching

    @Test func templatesKnowTheirPlaceholders() throws {
        #expect(try Template("plain").fixed == ScriptReply("plain"))
        #expect(try Template("{{ prompt }}/{{model}}/{{count}}/{{turn}}/{{1}}{{9}}").parts
            == [.prompt, .literal("/"), .model, .literal("/"), .count, .literal("/"), .turn, .literal("/"), .capture(1), .capture(9)])
        #expect(try Template("{{ unclosed").parts == [.literal("{{ unclosed")], "an unclosed brace pair is text")
        #expect(try Template("a {} b").fixed?.text == "a {} b")
        for bad in ["{{0}}", "{{10}}", "{{Prompt}}", "{{}}"] {
            #expect(throws: TemplateError.self, "\(bad)") { try Template(bad) }
        }
        let values = Template.Values(prompt: "p", model: "m", count: 3, turn: 2, captures: ["x"])
        #expect(try Template("{{prompt}} {{model}} {{count}} {{turn}} {{1}}[{{2}}]").render(values).text == "p m 3 2 x[]")
        #expect(try Template("{{prompt}}!").render(values).tokenCount == 2, "the rendered text is counted")
    }

    @Test func textMatchesCompareAsNamed() throws {
        #expect(try TextMatch(.exact, "Hi").match("Hi").matched)
        #expect(try !TextMatch(.exact, "Hi").match("hi").matched)
        #expect(try TextMatch(.exact, "Hi", ignoreCase: true).match("hI").matched)
        #expect(try TextMatch(.contains, "ell").match("hello").matched)
        #expect(try !TextMatch(.contains, "ELL").match("hello").matched)
        #expect(try TextMatch(.contains, "ELL", ignoreCase: true).match("hello").matched)
        #expect(try TextMatch(.prefix, "he").match("hello").matched)
        #expect(try !TextMatch(.prefix, "lo").match("hello").matched)
        #expect(try TextMatch(.prefix, "HE", ignoreCase: true).match("hello").matched)
        let regex = try TextMatch(.regex, #"(\d+)-(\d+)?"#)
        #expect(regex.match("call 555-").matched, "a regex is searched, not anchored")
        #expect(regex.match("call 555-").captures == ["555", ""])
        #expect(regex.match("12-34").captures == ["12", "34"])
        #expect(!regex.match("none").matched)
        #expect(try TextMatch(.regex, "^abc$", ignoreCase: true).match("ABC").matched)
        #expect(throws: TextMatchError.self) { try TextMatch(.regex, "(") }
        #expect(try TextMatch(.contains, "x", ignoreCase: true).description == #"containing "x" (ignoring case)"#)
        #expect(try TextMatch(.regex, "a+").description == "matching /a+/")
    }

    // MARK: - Answering

    @Test func rulesThenResponsesThenTheDefault() throws {
        let script = try script("""
            rules:
              - name: first
                match: {prompt: {prefix: "a"}}
                reply: "first"
              - name: second
                match: {prompt: {prefix: "ab"}}
                reply: "second"
              - reply: "catch-all for {{prompt}}"
                match: {prompt: {contains: "z"}}
            responses:
              abc: "from responses"
              xyz: "shadowed"
              hello: "from responses"
            defaults: {unknown_response: "fallback"}
            """)
        #expect(answer(script, input("abc")) == ("first", "rule first", nil), "the first matching rule wins over later rules and responses")
        #expect(answer(script, input("xyz")) == ("catch-all for xyz", "rule rules[2]", nil))
        #expect(answer(script, input("hello")) == ("from responses", "responses", nil))
        let fallback = answer(script, input("other"))
        #expect(fallback.text == "fallback")
        #expect(fallback.source == "default")
        #expect(fallback.miss != nil)
    }

    @Test func conditionsMustAllHold() throws {
        let script = try script("""
            rules:
              - name: all
                match:
                  prompt: go
                  model: sonnet
                  system: careful
                  tools: true
                  turn: 2
                  headers: {x-team: blue}
                  endpoint: /v1/messages
                  provider: anthropic
                reply: ok
            responses: {}
            """)
        let full = input("go", model: "claude-3-sonnet-20240229", system: "be careful", turn: 2, tools: true,
                         headers: HTTPFields(["X-Team": "blue"]), endpoint: "/v1/messages", provider: "anthropic")
        #expect(answer(script, full).source == "rule all")
        var variants: [MatchInput] = []
        for change in 0..<8 {
            var i = full
            switch change {
            case 0: i.prompt = "stop"
            case 1: i.model = "claude-3-opus"
            case 2: i.messages[0].text = "be quick"
            case 3: i.hasTools = false
            case 4: i.messages.insert(contentsOf: [ChatMessage(role: "user", text: "x"), ChatMessage(role: "assistant", text: "y")], at: 1)
            case 5: i.headers = RequestHeaders(HTTPFields(["x-team": "red"]))
            case 6: i.endpoint = "/v1/chat/completions"
            default: i.provider = "openai"
            }
            variants.append(i)
        }
        let misses = variants.map { answer(script, $0).miss ?? "matched" }
        let line = "closest rule 'all' (line 2, 7 of 8 conditions met): "
        #expect(misses == [
            line + #"prompt "stop" is not exactly "go"; prompt "stop" is not a key of 'responses'"#,
            line + #"model 'claude-3-opus' is not one of sonnet; prompt "go" is not a key of 'responses'"#,
            line + #"system prompt "be quick" is not containing "careful"; prompt "go" is not a key of 'responses'"#,
            line + #"the request offers no tools; prompt "go" is not a key of 'responses'"#,
            line + #"turn 3 is not in 2...2; prompt "go" is not a key of 'responses'"#,
            line + #"header x-team "red" is not exactly "blue"; prompt "go" is not a key of 'responses'"#,
            line + #"endpoint /v1/chat/completions is not /v1/messages; prompt "go" is not a key of 'responses'"#,
            line + #"provider openai is not anthropic; prompt "go" is not a key of 'responses'"#,
        ])
    }

    @Test func theClosestRuleIsTheOneWithTheLargestShareOfConditionsMet() throws {
        let script = try script("""
            rules:
              - name: half
                match: {prompt: a, model: gpt-4}
                reply: x
              - name: two-thirds
                match: {prompt: b, tools: true, provider: openai}
                reply: x
              - name: also-two-thirds
                match: {prompt: c, tools: true, provider: openai}
                reply: x
              - name: always
                reply: never closest
                match: {}
            responses:
              known: y
            """)
        #expect(answer(script, input("a")) == ("never closest", "rule always", nil), "a rule without conditions always answers")
        let strict = try self.script("""
            rules:
              - name: half
                match: {prompt: a, model: gpt-4}
                reply: x
              - name: two-thirds
                match: {prompt: b, tools: true, provider: openai}
                reply: x
              - name: also-two-thirds
                match: {prompt: c, tools: true, provider: openai}
                reply: x
            responses: {}
            """)
        #expect(answer(strict, input("a")).miss?.hasPrefix("closest rule 'half' (line 2, 1 of 2 conditions met): model 'gpt-4o'") == true)
        #expect(answer(strict, input("b")).miss?.hasPrefix("closest rule 'two-thirds' (line 5, 2 of 3 conditions met): the request offers no tools") == true)
        #expect(answer(strict, input("c")).miss?.hasPrefix("closest rule 'also-two-thirds' (line 8, 2 of 3") == true)
        #expect(answer(strict, input("d")).miss?.hasPrefix("closest rule 'two-thirds' (line 5, 1 of 3") == true,
                "on a tie the earlier rule is named")
        #expect(answer(try self.script("responses: {}"), input("d")).miss == #"prompt "d" is not a key of 'responses'"#)
        let long = String(repeating: "x", count: 100)
        #expect(answer(try self.script("responses: {}"), input(long)).miss
            == "prompt \"\(String(repeating: "x", count: 57))...\" is not a key of 'responses'", "long prompts are shortened")
    }

    @Test func modelsMatchByResolvedId() throws {
        let script = try script("""
            models:
              - id: house-model
                aliases: [house]
            rules:
              - name: house
                match: {model: house}
                reply: "{{model}}"
              - name: opus
                match: {model: claude-3-opus-20240229}
                reply: "{{model}}"
              - name: unknown
                match: {model: [not-registered]}
                reply: "{{model}}"
            responses: {}
            """)
        #expect(answer(script, input("x", model: "house-model")).source == "rule house")
        #expect(answer(script, input("x", model: "house")).text == "house", "the model is echoed as sent")
        #expect(answer(script, input("x", model: "opus")).source == "rule opus", "an alias in the request matches its id")
        #expect(answer(script, input("x", model: "not-registered")).source == "rule unknown", "unknown names compare as text")
        #expect(answer(script, input("x", model: "Not-Registered")).source == "default")
    }

    @Test func sequencesStickOrCycleAndCountPerRule() throws {
        let script = try script("""
            rules:
              - name: stick
                match: {prompt: s}
                replies: [one, two, "three ({{count}})"]
              - name: cycle
                match: {prompt: c}
                replies: [a, b, "c{{count}}"]
                sequence: cycle
              - name: counted
                match: {prompt: n}
                reply: "call {{count}}"
              - name: failing
                match: {prompt: e}
                error: {status: 500}
            responses: {}
            """)
        #expect((0..<5).map { _ in answer(script, input("s")).text } == ["one", "two", "three (3)", "three (4)", "three (5)"])
        #expect((0..<7).map { _ in answer(script, input("c")).text } == ["a", "b", "c3", "a", "b", "c6", "a"])
        #expect(answer(script, input("n")).text == "call 1", "each rule counts its own answers")
        #expect(answer(script, input("e")).text == "error 500 Internal Server Error")
        #expect(answer(script, input("n")).text == "call 2")
        let reloaded = try self.script("""
            rules:
              - name: counted
                match: {prompt: n}
                reply: "call {{count}}"
            responses: {}
            """)
        #expect(answer(reloaded, input("n")).text == "call 1", "a newly loaded script starts counting again")
    }

    @Test func aRuleWithTimesAnswersThatManyThenStepsAside() throws {
        let script = try script("""
            rules:
              - name: flaky
                match: {prompt: {prefix: pay}}
                error: {status: 503, message: "try again"}
                times: 2
              - name: paid
                match: {prompt: {prefix: pay}}
                reply: "paid ({{count}})"
              - name: once
                match: {prompt: only}
                reply: "the one time"
                times: 1
            responses: {}
            """)
        #expect(script.rules.map(\.times) == [2, nil, 1])
        #expect((0..<4).map { _ in answer(script, input("pay now")).text }
                == ["error 503 try again", "error 503 try again", "paid (1)", "paid (2)"])
        #expect(answer(script, input("only")).text == "the one time")
        let after = answer(script, input("only"))
        #expect(after.source == "default")
        #expect(after.miss == #"closest rule 'once' (line 9, 1 of 1 conditions met): it has already answered its 1 time; prompt "only" is not a key of 'responses'"#)
    }

    @Test func capturesFillNumberedPlaceholders() throws {
        let script = try script(#"""
            rules:
              - name: booking
                match:
                  prompt: {regex: 'book (\w+) for (\d+) (people|person)( tonight)?', ignore_case: true}
                reply: "{{1}}/{{2}}/{{3}}/[{{4}}]/[{{5}}]/{{turn}}"
              - name: header-regex
                match:
                  headers: {x-id: {regex: '(\d+)'}}
                reply: "[{{1}}] from {{prompt}}"
            responses: {}
            """#)
        #expect(answer(script, input("Please BOOK Luigi for 4 people tonight!", turn: 3)).text == "Luigi/4/people/[ tonight]/[]/3")
        #expect(answer(script, input("book Mario for 1 person")).text == "Mario/1/person/[]/[]/1")
        #expect(answer(script, input("hi", headers: HTTPFields(["x-id": "42"]))).text == "[] from hi",
                "only the prompt's regex fills captures")
    }

    @Test func onMissErrorIsA404NamingTheMiss() throws {
        let script = try script("""
            rules:
              - name: only
                match: {prompt: "yes"}
                reply: ok
            responses:
              known: fine
            settings: {on_miss: error}
            """)
        let answer = script.answer(for: input("no"))
        let why = #"closest rule 'only' (line 2, 0 of 1 conditions met): prompt "no" is not exactly "yes"; prompt "no" is not a key of 'responses'"#
        guard case .error(let error) = answer.outcome else { Issue.record("\(answer.outcome)"); return }
        #expect(error == RuleError(status: 404, message: "No rule or response matches this request: \(why).", code: "no_match"))
        #expect(answer.source == "default")
        #expect(answer.miss == why)
        #expect(self.answer(script, input("known")).text == "fine", "responses still answer")
        #expect(self.answer(script, input("yes")).text == "ok")
    }

    @Test func aRulesPacingComesWithItsAnswer() throws {
        let script = try script("""
            pacing: {ttft_ms: 100, chunking: word}
            models:
              - id: slow-model
                pacing: {ttft_ms: 500, itl_ms: 10}
            rules:
              - name: paced
                match: {prompt: paced}
                reply: x
                pacing: {itl_ms: 20, seed: 3}
              - name: plain
                match: {prompt: plain}
                reply: y
            responses: {}
            """)
        let paced = script.answer(for: input("paced"))
        #expect(paced.pacing == PacingSpec(interChunk: 20_000_000, seed: 3))
        #expect(script.answer(for: input("plain")).pacing == nil)
        let ms: UInt64 = 1_000_000
        #expect(script.pacing(model: "gpt-4o", rule: paced.pacing)
            == .profile(.init(timeToFirstToken: 100 * ms, interval: .perChunk(20 * ms)), chunking: .word, seed: 3))
        #expect(script.pacing(model: "slow-model", rule: paced.pacing)
            == .profile(.init(timeToFirstToken: 500 * ms, interval: .perChunk(20 * ms)), chunking: .word, seed: 3),
                "the script, then the model, then the rule")
        #expect(script.pacing(model: "slow-model", rule: nil)
            == .profile(.init(timeToFirstToken: 500 * ms, interval: .perChunk(10 * ms)), chunking: .word))
    }
}
