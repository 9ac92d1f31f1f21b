import Foundation
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The script's `rules:` over real sockets, through both protocols, streamed and not: every
/// condition, every kind of reply, the diagnostic headers, and the per-request pacing headers.
@Suite("Rules over real sockets")
struct RulesEndToEndTests {
    /// The script exactly as a user would write it; a typo (an unknown key) fails the test.
    static func script(_ yaml: String) throws -> Script {
        let loaded = try ScriptLoader.parse(yaml: yaml, file: "rules.yml", providers: ProviderCatalog(names: ["openai", "anthropic"], models: providerCatalog.models))
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        return loaded.script
    }

    // MARK: - Prompt matchers

    static let promptScript = #"""
        rules:
          - name: exact
            match: {prompt: "Hello there"}
            reply: "exact hit"
          - name: exact-ignoring-case
            match:
              prompt: {exact: "shout", ignore_case: true}
            reply: "exact, ignoring case"
          - name: contains
            match:
              prompt: {contains: "weather"}
            reply: "contains hit"
          - name: prefix
            match:
              prompt: {prefix: "Translate:", ignore_case: true}
            reply: "prefix hit"
          - name: regex
            match:
              prompt: {regex: '^order #(\d+) for (\w+)$', ignore_case: true}
            reply: "Order {{1}} is on its way to {{2}}."
        responses: {}
        defaults:
          unknown_response: "fallback"
        """#

    @Test(arguments: Mode.all, [
        ("Hello there", "exact hit", "rule exact"),
        ("hello there", "fallback", "default"),
        ("Hello there ", "fallback", "default"),
        ("SHOUT", "exact, ignoring case", "rule exact-ignoring-case"),
        ("shout!", "fallback", "default"),
        ("what's the weather like?", "contains hit", "rule contains"),
        ("the WEATHER", "fallback", "default"),
        ("translate: bonjour", "prefix hit", "rule prefix"),
        ("please Translate: bonjour", "fallback", "default"),
        ("ORDER #123 for Alice", "Order 123 is on its way to Alice.", "rule regex"),
        ("order #12a for Bob", "fallback", "default"),
    ])
    func promptMatchers(mode: Mode, example: (prompt: String, reply: String, rule: String)) throws {
        try withServer(script: Self.script(Self.promptScript)) { server in
            let result = try server.client().chat(example.prompt, mode)
            #expect(result.status == 200)
            #expect(result.text == example.reply)
            #expect(result.rule == example.rule)
        }
    }

    // MARK: - Other conditions

    @Test(arguments: Mode.all, [
        ("claude-3-haiku-20240307", "rule haiku"),
        ("claude-3-haiku", "rule haiku"),
        ("haiku", "rule haiku"),
        ("gpt-3.5-turbo", "rule listed"),
        ("turbo", "rule listed"),
        ("gpt-4o", "rule listed"),
        ("my-finetune", "rule finetune"),
        ("gpt-4", "default"),
        ("claude-3-opus", "default"),
    ])
    func modelByNameOrAlias(mode: Mode, example: (model: String, rule: String)) throws {
        let script = try Self.script("""
            models:
              - id: my-finetune
                aliases: [ft]
            rules:
              - name: haiku
                match: {model: haiku}
                reply: "haiku answered {{model}}"
              - name: listed
                match: {model: [gpt-4o, turbo]}
                reply: "listed answered {{model}}"
              - name: finetune
                match: {model: ft}
                reply: "finetune answered {{model}}"
            responses: {}
            """)
        try withServer(script: script) { server in
            var chat = Chat("hi")
            chat.model = example.model
            let result = try server.client().chat(chat, mode)
            #expect(result.rule == example.rule)
            if example.rule != "default" {
                #expect(result.text == "\(example.rule.dropFirst(5)) answered \(example.model)", "the model is echoed as sent")
            }
        }
    }

    @Test(arguments: Mode.all)
    func systemPrompt(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: pirate
                match: {system: "pirate"}
                reply: "Arr"
              - name: assistant
                match:
                  system: {prefix: "you are", ignore_case: true}
                reply: "How can I help?"
              - name: none
                match:
                  system: {exact: ""}
                reply: "no system prompt"
            responses: {}
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            #expect(try client.chat(Chat("hi", system: "You are a pirate captain."), mode).text == "Arr", "a plain string is 'contains'")
            var blocks = Chat("hi", system: "Speak like a pirate.")
            blocks.systemAsBlocks = true
            #expect(try client.chat(blocks, mode).text == "Arr", "content parts / system blocks are matched on their text")
            #expect(try client.chat(Chat("hi", system: "You are a PIRATE."), mode).text == "How can I help?", "contains is case-sensitive")
            #expect(try client.chat(Chat("hi", system: "YOU ARE helpful."), mode).text == "How can I help?")
            #expect(try client.chat(Chat("hi"), mode).text == "no system prompt")
            let miss = try client.chat(Chat("hi", system: "Be brief."), mode)
            #expect(miss.rule == "default")
            #expect(miss.miss?.contains(#"system prompt "Be brief." is not"#) == true, "\(miss.miss ?? "no miss header")")
        }
    }

    @Test(arguments: Mode.all)
    func toolsOffered(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: with-tools
                match: {tools: true}
                reply: "I could call a tool"
              - name: without-tools
                match: {tools: false}
                reply: "no tools here"
            responses: {}
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            var withTools = Chat("hi")
            withTools.tools = true
            #expect(try client.chat(withTools, mode).rule == "rule with-tools")
            #expect(try client.chat(Chat("hi"), mode).rule == "rule without-tools")
            var empty = Chat("hi")
            empty.emptyTools = true
            #expect(try client.chat(empty, mode).rule == "rule without-tools", "an empty tools list offers no tools")
        }
    }

    @Test(arguments: Mode.all)
    func turnNumber(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: first
                match: {turn: 1}
                reply: "first turn"
              - name: early
                match:
                  turn: {min: 2, max: 3}
                reply: "early turn {{turn}}"
              - name: late
                match:
                  turn: {min: 4}
                reply: "late turn {{turn}}"
            responses: {}
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            for (earlier, expected) in [(0, "first turn"), (1, "early turn 2"), (2, "early turn 3"), (3, "late turn 4"), (9, "late turn 10")] {
                var chat = Chat("go on", system: "system messages are not turns")
                chat.earlierTurns = (0..<earlier).map { "question \($0)" }
                #expect(try client.chat(chat, mode).text == expected)
            }
        }
    }

    @Test(arguments: Mode.all)
    func requestHeaders(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: acme-staging
                match:
                  headers:
                    X-Tenant: acme
                    x-env: {regex: "^stag"}
                reply: "acme on staging"
              - name: acme
                match:
                  headers: {x-tenant: acme}
                reply: "acme"
            responses: {}
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            #expect(try client.chat("hi", mode, headers: [("X-TENANT", "acme"), ("X-Env", "staging-2")]).rule == "rule acme-staging",
                    "header names match whatever their case")
            #expect(try client.chat("hi", mode, headers: [("x-tenant", "acme"), ("x-env", "prod")]).rule == "rule acme")
            #expect(try client.chat("hi", mode, headers: [("x-tenant", "ACME")]).rule == "default", "a plain value is exact")
            let missing = try client.chat("hi", mode)
            #expect(missing.rule == "default")
            #expect(missing.miss?.contains("header x-tenant is missing") == true, "\(missing.miss ?? "no miss header")")
        }
    }

    @Test(arguments: Mode.all)
    func endpointAndProvider(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: messages-endpoint
                match: {endpoint: /v1/messages}
                reply: "answered on /v1/messages"
              - name: openai-provider
                match: {provider: openai}
                reply: "answered by openai"
            responses: {}
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            let expected = mode.wire == .anthropic ? "answered on /v1/messages" : "answered by openai"
            #expect(try client.chat(Chat("hi"), mode).text == expected)
            var withQuery = Chat("hi")
            withQuery.query = "?beta=true"
            #expect(try client.chat(withQuery, mode).text == expected, "the endpoint is the path without the query")
        }
        let onlyAnthropic = try Self.script("""
            rules:
              - name: claude
                match: {provider: anthropic, endpoint: /v1/messages}
                reply: "claude"
            responses: {}
            """)
        try withServer(script: onlyAnthropic) { server in
            let result = try server.client().chat(Chat("hi"), mode)
            #expect(result.rule == (mode.wire == .anthropic ? "rule claude" : "default"))
        }
    }

    // MARK: - Reply kinds

    @Test(arguments: Mode.all)
    func sequencesStickOrCycleAcrossRequests(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: steps
                match: {prompt: step}
                replies: [one, two, three]
              - name: loop
                match: {prompt: loop}
                replies: [a, b]
                sequence: cycle
              - name: explicit-stick
                match: {prompt: stick}
                replies: [x, y]
                sequence: stick
            responses: {}
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            var steps: [String?] = []
            var loops: [String?] = []
            for _ in 0..<4 {
                steps.append(try client.chat("step", mode).text)
                loops.append(try client.chat("loop", mode).text)
            }
            #expect(steps == ["one", "two", "three", "three"])
            #expect(loops == ["a", "b", "a", "b"])
            let other = try server.client()
            #expect(try other.chat("step", mode).text == "three", "the sequence is the rule's, not the connection's")
            #expect(try other.chat("loop", mode).text == "a")
            #expect(try other.chat("loop", mode).rule == "rule loop")
            #expect(try (0..<3).map { _ in try other.chat("stick", mode).text } == ["x", "y", "y"])
        }
    }

    struct ErrorCase: Sendable, CustomTestStringConvertible {
        var prompt: String
        var status: Int
        var openAIType: String
        var anthropicType: String
        var message: String
        var code: String?
        var testDescription: String { prompt }
    }

    static let errorScript = """
        rules:
          - name: limited
            match: {prompt: e429}
            error: {status: 429, message: "Slow down.", code: rate_limit, retry_after: 7}
          - name: overloaded
            match: {prompt: e529}
            error:
              status: 529
              message: "Overloaded"
              type: overloaded_error
              headers: {X-RateLimit-Remaining-Requests: 0, x-should-retry: "false"}
          - name: unavailable
            match: {prompt: e503}
            error: {status: 503}
          - name: broken
            match: {prompt: e500}
            error: {status: 500, message: "boom"}
          - name: unauthorized
            match: {prompt: e401}
            error: {status: 401, message: "bad key"}
          - name: forbidden
            match: {prompt: e403}
            error: {status: 403, message: "no"}
          - name: missing
            match: {prompt: e404}
            error: {status: 404, message: "gone"}
          - name: large
            match: {prompt: e413}
            error: {status: 413, message: "too big"}
          - name: invalid
            match: {prompt: e400}
            error: {status: 400, message: "bad", type: custom_type}
        responses: {}
        """

    @Test(arguments: Mode.all, [
        ErrorCase(prompt: "e429", status: 429, openAIType: "rate_limit_exceeded", anthropicType: "rate_limit_error",
                  message: "Slow down.", code: "rate_limit"),
        ErrorCase(prompt: "e529", status: 529, openAIType: "overloaded_error", anthropicType: "overloaded_error", message: "Overloaded"),
        ErrorCase(prompt: "e503", status: 503, openAIType: "service_unavailable", anthropicType: "overloaded_error",
                  message: "Service Unavailable"),
        ErrorCase(prompt: "e500", status: 500, openAIType: "server_error", anthropicType: "api_error", message: "boom"),
        ErrorCase(prompt: "e401", status: 401, openAIType: "authentication_error", anthropicType: "authentication_error", message: "bad key"),
        ErrorCase(prompt: "e403", status: 403, openAIType: "permission_error", anthropicType: "permission_error", message: "no"),
        ErrorCase(prompt: "e404", status: 404, openAIType: "invalid_request_error", anthropicType: "not_found_error", message: "gone"),
        ErrorCase(prompt: "e413", status: 413, openAIType: "invalid_request_error", anthropicType: "request_too_large", message: "too big"),
        ErrorCase(prompt: "e400", status: 400, openAIType: "custom_type", anthropicType: "custom_type", message: "bad"),
    ])
    func scriptedErrorsTakeTheProvidersShape(mode: Mode, example: ErrorCase) throws {
        try withServer(script: Self.script(Self.errorScript)) { server in
            let client = try server.client()
            let result = try client.chat(example.prompt, mode)
            #expect(result.status == example.status)
            #expect(result.errorType == (mode.wire == .openai ? example.openAIType : example.anthropicType))
            #expect(result.errorMessage == example.message)
            if mode.wire == .openai { #expect(result.errorCode == example.code) }
            #expect(result.response.header("retry-after") == (example.prompt == "e429" ? "7" : nil))
            #expect(result.response.header("x-ratelimit-remaining-requests") == (example.prompt == "e529" ? "0" : nil))
            #expect(result.response.header("x-should-retry") == (example.prompt == "e529" ? "false" : nil))
            #expect(result.rule?.hasPrefix("rule ") == true, "an error reply names its rule too")
            #expect(result.miss == nil)
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200, "the connection stays usable after a scripted error")
        }
    }

    @Test(arguments: Mode.all)
    func templates(mode: Mode) throws {
        let script = try Self.script(#"""
            rules:
              - name: echo
                match:
                  prompt: {prefix: "echo "}
                reply: "You said [{{prompt}}] to {{ model }} on turn {{turn}} (call {{count}})"
              - name: capture
                match:
                  prompt: {regex: '^(\w+) loves (\w+)(!)?$'}
                reply: "{{2}} is loved by {{1}}{{3}}.{{4}}"
            responses: {}
            """#)
        try withServer(script: script) { server in
            let client = try server.client()
            let tricky = #"echo "quoted" \ back\slash"# + "\nnew line, tab\t, é, 😀"
            var chat = Chat(tricky, model: "my-model")
            chat.earlierTurns = ["one", "two"]
            #expect(try client.chat(chat, mode).text == "You said [\(tricky)] to my-model on turn 3 (call 1)",
                    "the prompt round-trips through JSON escaping and streaming")
            #expect(try client.chat(Chat("echo again", model: "m2"), mode).text == "You said [echo again] to m2 on turn 1 (call 2)")
            #expect(try client.chat("Alice loves Bob!", mode).text == "Bob is loved by Alice!.",
                    "a capture group beyond the regex's is empty")
            #expect(try client.chat("Carol loves Dave", mode).text == "Dave is loved by Carol.", "a group that did not take part is empty")
        }
    }

    // MARK: - Order and diagnostics

    @Test(arguments: Mode.all)
    func firstMatchWinsThenResponsesThenDefault(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: specific
                match: {prompt: "status"}
                reply: "from the first rule"
              - match:
                  prompt: {contains: "stat"}
                reply: "from the unnamed second rule"
            responses:
              "status": "from responses"
              "hello": "Hello from responses"
            defaults:
              unknown_response: "from the default"
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            let first = try client.chat("status", mode)
            #expect(first.text == "from the first rule")
            #expect(first.rule == "rule specific")
            #expect(first.miss == nil)
            let second = try client.chat("statistics", mode)
            #expect(second.text == "from the unnamed second rule")
            #expect(second.rule == "rule rules[1]")
            let responses = try client.chat("hello", mode)
            #expect(responses.text == "Hello from responses")
            #expect(responses.rule == "responses")
            #expect(responses.miss == nil)
            let fallback = try client.chat("anything else", mode)
            #expect(fallback.text == "from the default")
            #expect(fallback.rule == "default")
            #expect(fallback.miss != nil)
        }
    }

    static let missScript = """
        rules:
          - name: weather
            match:
              prompt: {contains: weather}
              model: haiku
            reply: "sunny"
          - name: greeting
            match: {prompt: hello, provider: anthropic, tools: true}
            reply: "hi"
        responses:
          known: "a response"
        """

    @Test(arguments: Mode.all)
    func aMissNamesTheClosestRuleAndWhy(mode: Mode) throws {
        try withServer(script: Self.script(Self.missScript)) { server in
            let client = try server.client()
            let weather = try client.chat(Chat("what's the weather", model: "gpt-4o"), mode)
            #expect(weather.rule == "default")
            #expect(weather.text == Script.builtInDefaultReply)
            #expect(weather.miss == "closest rule 'weather' (line 2, 1 of 2 conditions met): model 'gpt-4o' is not one of haiku; "
                + #"prompt "what's the weather" is not a key of 'responses'"#)

            let hello = try client.chat(Chat("hello"), mode)
            #expect(hello.miss == (mode.wire == .anthropic
                ? "closest rule 'greeting' (line 7, 2 of 3 conditions met): the request offers no tools; "
                : "closest rule 'greeting' (line 7, 1 of 3 conditions met): provider openai is not anthropic; ")
                + #"prompt "hello" is not a key of 'responses'"#)

            let accented = try client.chat(Chat("café?", model: "gpt-4o"), mode)
            #expect(accented.miss == (mode.wire == .anthropic
                ? #"closest rule 'greeting' (line 7, 1 of 3 conditions met): prompt "caf\u{e9}?" is not exactly "hello"; "#
                : #"closest rule 'weather' (line 2, 0 of 2 conditions met): prompt "caf\u{e9}?" is not containing "weather"; "#)
                + #"prompt "caf\u{e9}?" is not a key of 'responses'"#, "non-ASCII is escaped so every client reads the same header")

            let known = try client.chat(Chat("known"), mode)
            #expect(known.rule == "responses")
            #expect(known.miss == nil)
            #expect(try client.chat(Chat("weather today", model: "claude-3-haiku"), mode).miss == nil)
        }
    }

    @Test(arguments: Mode.all)
    func onMissErrorIsA404InTheProvidersShape(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: only
                match: {prompt: "yes"}
                reply: "ok"
            responses:
              maybe: "perhaps"
            settings:
              on_miss: error
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            let miss = try client.chat("no", mode)
            let why = #"closest rule 'only' (line 2, 0 of 1 conditions met): prompt "no" is not exactly "yes"; prompt "no" is not a key of 'responses'"#
            #expect(miss.status == 404)
            #expect(miss.errorType == (mode.wire == .openai ? "invalid_request_error" : "not_found_error"))
            #expect(miss.errorMessage == "No rule or response matches this request: \(why).")
            if mode.wire == .openai { #expect(miss.errorCode == "no_match") }
            #expect(miss.rule == "default")
            #expect(miss.miss == why)
            #expect(try client.chat("yes", mode).text == "ok", "hits still answer, on the same connection")
            #expect(try client.chat("maybe", mode).text == "perhaps")
        }
    }

    /// Rule names are free text from the script; the header that carries them must stay one
    /// well-formed header line, escaped like `x-mockllm-miss`.
    @Test(arguments: Mode.all)
    func theRuleHeaderIsSafeForAnyRuleName(mode: Mode) throws {
        let script = try Self.script(#"""
            rules:
              - name: "météo"
                match: {prompt: weather}
                reply: "sunny"
              - name: "two\r\nx-injected: yes"
                match: {prompt: inject}
                reply: "no injection"
            responses: {}
            """#)
        try withServer(script: script) { server in
            let client = try server.client()
            #expect(try client.chat("weather", mode).rule == #"rule m\u{e9}t\u{e9}o"#)
            let injected = try client.chat("inject", mode)
            #expect(injected.text == "no injection")
            #expect(injected.response.header("x-injected") == nil)
            #expect(injected.rule == "rule two  x-injected: yes")
        }
    }

    // MARK: - Pacing headers

    @Test(arguments: Mode.streaming, [
        ("word", ["Hello,", " wide", " world!"]),
        ("token", ["Hello", ",", " wide", " world", "!"]),
        ("characters:5", ["Hello", ", wid", "e wor", "ld!"]),
        ("character", "Hello, wide world!".map(String.init)),
    ])
    func chunkingHeaderCutsTheStream(mode: Mode, example: (chunking: String, events: [String])) throws {
        let script = try Self.script("rules:\n  - reply: \"Hello, wide world!\"\n")
        try withServer(script: script) { server in
            let result = try server.client().chat("hi", mode, headers: [("x-mockllm-chunking", example.chunking)])
            #expect(result.events == example.events)
            #expect(result.text == "Hello, wide world!")
        }
    }

    @Test(arguments: Mode.all)
    func aRulesPacingAppliesAndHeadersOverrideIt(mode: Mode) throws {
        let script = try Self.script("""
            rules:
              - name: slow-words
                match: {prompt: slow}
                reply: "one two three"
                pacing: {chunking: word, ttft_ms: 150}
            responses:
              fast: "one two"
            """)
        try withServer(script: script) { server in
            let client = try server.client()
            let start = Date()
            let slow = try client.chat("slow", mode)
            #expect(Date().timeIntervalSince(start) >= 0.15, "the rule's time to first token")
            #expect(slow.text == "one two three")
            let characters = try client.chat("slow", mode, headers: [("x-mockllm-chunking", "character"), ("x-mockllm-ttft-ms", "0")])
            #expect(characters.text == "one two three")
            if mode.stream {
                #expect(slow.events == ["one", " two", " three"])
                #expect(characters.events.count == 13, "the header overrides the rule")
                #expect(try client.chat("fast", mode).events == ["o", "n", "e", " ", "t", "w", "o"], "other replies keep the default")
            }
        }
    }

    @Test(arguments: Mode.all, [
        ("x-mockllm-chunking", "paragraph", "x-mockllm-chunking must be character, word, token or characters:N, got 'paragraph'."),
        ("x-mockllm-chunking", "characters:0", "x-mockllm-chunking must be character, word, token or characters:N, got 'characters:0'."),
        ("x-mockllm-ttft-ms", "-5", "x-mockllm-ttft-ms must be a number of milliseconds from 0 to 86400000, got '-5'."),
        ("x-mockllm-itl-ms", "soon", "x-mockllm-itl-ms must be a number of milliseconds from 0 to 86400000, got 'soon'."),
        ("x-mockllm-prefill-ms-per-1k", "1e9", "x-mockllm-prefill-ms-per-1k must be a number of milliseconds from 0 to 86400000, got '1e9'."),
        ("x-mockllm-tokens-per-second", "0", "x-mockllm-tokens-per-second must be a number greater than 0, got '0'."),
        ("x-mockllm-seed", "-1", "x-mockllm-seed must be a whole number, got '-1'."),
    ])
    func anInvalidPacingHeaderIsA400InTheProvidersShape(mode: Mode, example: (name: String, value: String, message: String)) throws {
        let script = try Self.script("rules:\n  - reply: \"fine\"\n")
        try withServer(script: script) { server in
            let client = try server.client()
            let result = try client.chat("hi", mode, headers: [(example.name, example.value)])
            #expect(result.status == 400)
            #expect(result.errorType == "invalid_request_error")
            #expect(result.errorMessage == example.message)
            #expect(try client.chat("hi", mode).text == "fine", "the connection stays usable")
        }
    }

    @Test(arguments: Mode.all)
    func aRequestRefusedForItsPacingHeaderUsesUpNoReply(mode: Mode) throws {
        let script = try Self.script("rules:\n  - name: steps\n    replies: [one, \"two ({{count}})\"]\n")
        try withServer(script: script) { server in
            let client = try server.client()
            #expect(try client.chat("hi", mode, headers: [("x-mockllm-chunking", "nope")]).status == 400)
            #expect(try client.chat("hi", mode).text == "one")
            #expect(try client.chat("hi", mode, headers: [("x-mockllm-seed", "x")]).status == 400)
            #expect(try client.chat("hi", mode).text == "two (2)")
        }
    }

    /// Lower bounds only.
    @Test(arguments: Mode.all, [
        [("x-mockllm-itl-ms", "50")],
        [("x-mockllm-tokens-per-second", "20"), ("x-mockllm-chunking", "word")],
        [("x-mockllm-prefill-ms-per-1k", "50000"), ("x-mockllm-seed", "7")],
    ])
    func timingHeadersSlowTheReplyDown(mode: Mode, headers: [(String, String)]) throws {
        // 9 characters (8 gaps of 50 ms), or 5 one-token words at 20 tokens/s (4 gaps of 50 ms), or
        // at least 5 prompt tokens at 50 s per 1,000: 200 ms or more in every case.
        let script = try Self.script("rules:\n  - reply: \"a b c d e\"\n")
        try withServer(script: script) { server in
            let client = try server.client()
            let start = Date()
            let result = try client.chat("hi", mode, headers: headers)
            #expect(Date().timeIntervalSince(start) >= 0.2)
            #expect(result.text == "a b c d e")
        }
    }

    /// Accepted but extreme values: a tiny token rate, or a long prefill times a long prompt,
    /// once overflowed the delay arithmetic and brought the whole server down (the long prompt
    /// stays inside the model's 128k-token context window, which is enforced).
    @Test(arguments: Mode.all)
    func extremePacingHeadersNeverBringTheServerDown(mode: Mode) throws {
        let script = try Self.script("rules:\n  - reply: \"ab cd\"\n")
        try withServer(script: script) { server in
            let slowTokens = Chat("hi", headers: [("x-mockllm-tokens-per-second", "1e-12")])
            let longPrefill = Chat(String(repeating: "a ", count: 100_000), headers: [("x-mockllm-prefill-ms-per-1k", "86399999")])
            var waiting: [RawClient] = []
            for chat in [slowTokens, longPrefill] {
                let client = try server.client()
                try client.send(chat.request(mode))
                if mode.stream {
                    #expect(try client.readHead().status == 200, "the stream starts; its next event is due in a day")
                }
                let health = try server.client()
                try health.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                #expect(try health.readResponse().status == 200)
                waiting.append(client)
            }
            #expect(try server.client().chat("hi", mode).text == "ab cd")
        }
    }

    /// Only lower bounds: the machine is shared, so nothing may be asserted about how late.
    @Test(arguments: Mode.all)
    func aTTFTHeaderDelaysTheFirstContentEvent(mode: Mode) throws {
        let script = try Self.script("rules:\n  - reply: \"pong\"\n")
        try withServer(script: script) { server in
            let client = try server.client()
            let start = Date()
            let chat = Chat("ping", headers: [("x-mockllm-ttft-ms", "200")])
            guard mode.stream else {
                let result = try client.chat(chat, mode)
                #expect(Date().timeIntervalSince(start) >= 0.2, "a complete reply waits as long as its stream would")
                #expect(result.text == "pong")
                return
            }
            try client.send(chat.request(mode))
            #expect(try client.readHead().status == 200)
            var framing = 0
            var firstContent: TimeInterval?
            while let chunk = try client.readChunk() {
                if isContentEvent(chunk, mode.wire) {
                    if firstContent == nil { firstContent = Date().timeIntervalSince(start) }
                } else if firstContent == nil {
                    framing += 1
                }
            }
            #expect(framing >= 1, "the frame events come first")
            #expect(try #require(firstContent) >= 0.2)
        }
    }
}
