import Foundation
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Script loading")
struct ScriptLoaderTests {
    func load(_ yaml: String) throws(ScriptLoadError) -> ScriptLoader.Loaded {
        try ScriptLoader.parse(yaml: yaml, file: "test.yml")
    }

    func errors(_ yaml: String) -> [ScriptDiagnostic] {
        do {
            _ = try load(yaml)
            return []
        } catch {
            return error.errors
        }
    }

    @Test func loadsTheOriginalFormat() throws {
        let loaded = try load("""
            responses:
              "what colour is the sky?": "Blue."
              hello: Hi
            defaults:
              unknown_response: "No idea."
            settings:
              lag_enabled: true
              lag_factor: 20
            """)
        #expect(loaded.script.responses == ["what colour is the sky?": "Blue.", "hello": "Hi"])
        #expect(loaded.script.defaultReply == "No idea.")
        #expect(loaded.script.pacing == .seedLag(factor: 20))
        #expect(loaded.warnings.isEmpty)
    }

    @Test func usesTheOriginalsDefaults() throws {
        let script = try load("responses: {}").script
        #expect(script.defaultReply == "I don't know the answer to that.")
        #expect(script.pacing == .immediate)
        #expect(try load("responses: {}\nsettings: {lag_enabled: true}").script.pacing == .seedLag(factor: 10))
    }

    @Test func matchesExactlyAndTreatsDefaultAsAnOrdinaryKey() throws {
        let script = try load("responses:\n  default: D\n  Hello: H").script
        #expect(script.reply(forPrompt: "Hello").text == "H")
        #expect(script.reply(forPrompt: "hello").text == Script.builtInDefaultReply)
        #expect(script.reply(forPrompt: "Hello ").text == Script.builtInDefaultReply)
        #expect(script.reply(forPrompt: "anything").text == Script.builtInDefaultReply)
        #expect(script.reply(forPrompt: "default").text == "D")
    }

    @Test func scalarRepliesKeepTheirText() throws {
        let script = try load("responses:\n  two: 2\n  yes: true\n  multi: |\n    a\n    b\n").script
        #expect(script.responses["two"] == "2")
        #expect(script.responses["yes"] == "true")
        #expect(script.responses["multi"] == "a\nb\n")
    }

    @Test(arguments: [
        ("", "empty"),
        ("- a\n- b", "must contain a dictionary"),
        ("defaults: {}", "must contain 'responses'"),
        ("responses: [a]", "'responses' must be a mapping"),
        ("responses:\n  a: [1]", "must be text"),
        ("responses:\n  a: ~", "must be text"),
        ("responses: {}\nsettings: {lag_factor: 0}", "greater than 0"),
        ("responses: {}\nsettings: {lag_factor: -1}", "greater than 0"),
        ("responses: {}\nsettings: {lag_factor: fast}", "must be a number"),
        ("responses: {}\nsettings: {lag_enabled: maybe}", "true or false"),
        ("responses: {a: 1\n", "invalid YAML"),
    ])
    func rejectsInvalidScripts(yaml: String, expected: String) {
        let found = errors(yaml)
        #expect(!found.isEmpty)
        #expect(found.contains { $0.message.contains(expected) }, "\(found)")
    }

    @Test func locatesEveryProblem() {
        let found = errors("""
            responses:
              ok: fine
              bad: [1, 2]
            settings:
              lag_enabled: sometimes
              lag_factor: 0
            """)
        #expect(found.count == 3)
        #expect(found.map(\.line) == [3, 5, 6])
        #expect(found.allSatisfy { $0.file == "test.yml" && $0.column > 1 })
        #expect(found[0].description.hasPrefix("test.yml:3:"))
    }

    /// `settings.session_limit_ms` and `go_away_ms`: realtime sessions' end, each bad value
    /// located.
    @Test func aSessionLimitIsReadAndBadOnesLocated() throws {
        let limit = try load("responses: {a: b}\nsettings: {session_limit_ms: 2500, go_away_ms: 500}").script.sessionLimit
        #expect(limit == SessionLimit(milliseconds: 2500, goAwayMilliseconds: 500))
        #expect(try load("responses: {a: b}\nsettings: {session_limit_ms: 2500}").script.summary.contains("realtime sessions end after 2.5 s"))
        #expect(try load("responses: {a: b}\nsettings: {session_limit_ms: 600000}").script.sessionLimit?.goAwayMilliseconds == 60_000)
        #expect(try load("responses: {a: b}").script.sessionLimit == nil)
        let found = errors("""
            responses: {a: b}
            settings:
              session_limit_ms: 0
              go_away_ms: -1
            """)
        #expect(found.map(\.line) == [3, 4])
        #expect(found.first?.description.contains("'settings.session_limit_ms' must be a number of milliseconds greater than 0") == true)
        let alone = errors("responses: {a: b}\nsettings: {go_away_ms: 1000}")
        #expect(alone.first?.description.contains("needs 'settings.session_limit_ms'") == true, "\(alone)")
    }

    @Test func warnsAboutUnknownKeysWithASuggestion() throws {
        let loaded = try load("responses: {}\nsetings: {}\n")
        #expect(loaded.warnings.count == 1)
        #expect(loaded.warnings[0].message == "unknown key 'setings' in the top level (did you mean 'settings'?)")
        #expect(loaded.warnings[0].line == 2)
    }

    @Test func reportsAMissingFileAsSuch() {
        #expect {
            try ScriptLoader.load(path: "/nonexistent/responses.yml")
        } throws: { error in
            (error as? ScriptLoadError)?.kind == .missingFile
        }
    }

    @Test func theEmbeddedScriptIsTheBundledExample() throws {
        let bundled = repositoryRoot.appendingPathComponent("config/responses.yml")
        let text = try String(contentsOf: bundled, encoding: .utf8)
        #expect(EmbeddedScript.yaml + "\n" == text, "Sources/MockLLMScript/EmbeddedScript.swift must hold config/responses.yml verbatim")
        let fromFile = try ScriptLoader.load(path: bundled.path).script
        #expect(EmbeddedScript.load(providers: providerCatalog).responses == fromFile.responses)
    }
}
