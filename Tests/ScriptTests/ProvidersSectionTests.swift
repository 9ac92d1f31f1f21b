@testable import MockLLMCore
@testable import MockLLMScript
import Testing

@Suite("Declared providers")
struct ProvidersSectionTests {
    static let builtIn = ["openai", "anthropic", "ollama", "gemini"]

    func load(_ yaml: String) throws(ScriptLoadError) -> ScriptLoader.Loaded {
        try ScriptLoader.parse(yaml: yaml, file: "p.yml", providers: ProviderCatalog(names: Self.builtIn))
    }

    func errors(_ yaml: String) -> [String] {
        do {
            _ = try load(yaml)
            return []
        } catch {
            return error.errors.map { "\($0.line): \($0.message)" }
        }
    }

    static let mycompany = """
        responses:
          hello: Hi there
        providers:
          - name: mycompany
            version: 2.0.0
            description: MyCompany LLM Provider
            models: [mycompany-model-1, mycompany-model-2]
            endpoints:
              - path: /v1/mycompany/chat
                prompt: $.messages[-1].content
                model: $.model
                stream: $.stream
                reply: '{"response": {{text}}}'
                stream_chunk: "data: {{chunk}}\\n\\n"
                stream_end: "data: [DONE]\\n\\n"
        models:
          - id: mc-3
            provider: mycompany
        """

    @Test func aScriptRenamedKeepsItsDeclaredProviders() throws {
        let script = try load(Self.mycompany).script.describedAs("<embedded>")
        #expect(script.origin == "<embedded>")
        #expect(script.providers.map(\.name) == ["mycompany"])
    }

    @Test func readsAProviderWithItsEndpointsModelsAndTemplates() throws {
        let loaded = try load(Self.mycompany)
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        let provider = try #require(loaded.script.providers.first)
        #expect(provider.name == "mycompany" && provider.version == "2.0.0" && provider.description == "MyCompany LLM Provider")
        #expect(provider.models == ["mycompany-model-1", "mycompany-model-2"])
        let endpoint = try #require(provider.endpoints.first)
        #expect(endpoint.method == "POST" && endpoint.path == "/v1/mycompany/chat")
        #expect(endpoint.prompt == (try JSONPath("$.messages[-1].content")))
        #expect(endpoint.model == (try JSONPath("$.model")) && endpoint.maxTokens == nil)
        #expect(endpoint.contentType == "application/json" && endpoint.streamContentType == "text/event-stream")
        var out = ByteBuffer()
        endpoint.reply.render(into: &out) { $0 == "text" ? .string("a \"b\"") : .null }
        #expect(out.description == #"{"response": "a \"b\""}"#)
        #expect(endpoint.streamChunk?.uses("chunk") == true && endpoint.streamStart == nil)
        // Its models join the registry as its own; `models:` may name it as a provider.
        #expect(loaded.script.models.resolve("mycompany-model-2")?.provider == "mycompany")
        #expect(loaded.script.models.resolve("mc-3")?.provider == "mycompany")
        #expect(loaded.script.summary.contains("1 declared provider"))
    }

    @Test func rawPlaceholdersWriteTextAsItIs() throws {
        let template = try BodyTemplate("{{text.raw}}|{{created}}|{{code}}|{{code.raw}}", names: ["text", "created", "code"])
        var out = ByteBuffer()
        template.render(into: &out) { name in
            switch name {
            case "text": .string("say \"hi\"")
            case "created": .number(17)
            default: .null
            }
        }
        #expect(out.description == #"say "hi"|17|null|"#)
    }

    @Test(arguments: [
        ("providers: {a: 1}", "1: 'providers' must be a list of providers, found a mapping"),
        ("providers:\n  - endpoints: []", "2: 'providers[0]' needs a 'name'"),
        ("providers:\n  - name: Open AI\n    endpoints: []", "2: 'providers[0].name' must be lower-case letters, digits, '-' or '_', found 'Open AI'"),
        ("providers:\n  - name: openai\n    endpoints: []", "2: 'providers[0].name': 'openai' is a built-in provider"),
        ("providers:\n  - name: x", "2: 'providers[0]' needs 'endpoints', a list of at least one endpoint"),
        ("providers:\n  - name: x\n    endpoints:\n      - prompt: $.p\n        reply: '{}'", "4: 'providers[0].endpoints[0]' needs a 'path'"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: v1/x\n        prompt: $.p\n        reply: '{}'",
         "4: 'providers[0].endpoints[0].path' must start with '/' and hold no query, found 'v1/x'"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: /health\n        prompt: $.p\n        reply: '{}'",
         "4: 'providers[0].endpoints[0].path': /health is the server's own endpoint"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: /x\n        reply: '{}'",
         "4: 'providers[0].endpoints[0]' needs 'prompt', the JSON path of the prompt in the request body (e.g. $.prompt)"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: /x\n        prompt: messages\n        reply: '{}'",
         "5: 'providers[0].endpoints[0].prompt' is not a JSON path (a path starts with '$' (the body), at character 1 of 'messages')"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: /x\n        prompt: $.p\n        reply: '{{answer}}'",
         "6: 'providers[0].endpoints[0].reply': unknown placeholder '{{answer}}' (known: text, model, id, created, prompt_tokens, completion_tokens, total_tokens, finish_reason, prompt)"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: /x\n        prompt: $.p\n        reply: '{{text'",
         "6: 'providers[0].endpoints[0].reply': '{{' is not closed with '}}'"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: /x\n        method: DELETE\n        prompt: $.p\n        reply: '{}'",
         "5: 'providers[0].endpoints[0].method' must be POST, PUT or GET, found 'DELETE'"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: /x\n        prompt: $.p\n        reply: '{}'\n      - path: /x\n        prompt: $.q\n        reply: '{}'",
         "7: 'providers[0].endpoints[1]': POST /x is declared twice"),
        ("providers:\n  - name: x\n    endpoints:\n      - path: /x\n        prompt: $.p\n        reply: '{}'\n        stream_end: done",
         "4: 'providers[0].endpoints[0]' has 'stream_start' or 'stream_end' but no 'stream_chunk'"),
        ("providers:\n  - name: x\n    error: '{{reason}}'\n    endpoints:\n      - path: /x\n        prompt: $.p\n        reply: '{}'",
         "3: 'providers[0].error': unknown placeholder '{{reason}}' (known: status, message, type, code, param)"),
    ])
    func everyMistakeIsReportedOnItsLine(yaml: String, message: String) {
        #expect(errors("responses: {}\n" + yaml).contains { $0 == bumped(message) }, "\(errors("responses: {}\n" + yaml))")
    }

    /// The message's line, one lower: each case's YAML follows a `responses:` line.
    func bumped(_ message: String) -> String {
        let colon = message.firstIndex(of: ":")!
        return "\(Int(message[..<colon])! + 1)\(message[colon...])"
    }

    @Test func aModelsEntryMayNameADeclaredProviderButNotAnUnknownOne() {
        #expect(errors("""
            responses: {}
            models:
              - id: m
                provider: nobody
            """).contains { $0.hasPrefix("4: unknown provider 'nobody'") })
    }
}
