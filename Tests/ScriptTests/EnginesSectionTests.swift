import Foundation
@testable import MockLLMCore
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Script: engines, engine: on a model, settings.time_scale")
struct EnginesSectionTests {
    func load(_ yaml: String, file: String = "test.yml") throws(ScriptLoadError) -> ScriptLoader.Loaded {
        try ScriptLoader.parse(yaml: yaml, file: file, providers: ["openai"])
    }

    func problems(_ yaml: String, file: String = "test.yml") -> [ScriptDiagnostic] {
        do {
            let loaded = try load(yaml, file: file)
            return loaded.warnings
        } catch {
            return error.diagnostics
        }
    }

    /// A directory with `files` in it, removed afterwards.
    func withDirectory(_ files: [String: String], _ body: (String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("engines-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, text) in files {
            try text.write(toFile: (directory as NSString).appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try body(directory)
    }

    @Test func aBuiltinProfileWithOverrides() throws {
        let script = try load("""
            responses: {hi: hello}
            engines:
              small:
                profile: default
                max_num_seqs: 8
                kv_cache_tokens: 20000
                max_waiting: 100
                preemption: wait
                prefix_caching: false
                kv_admission: reserve_output
                prefill: whole
                step_time: {base_ms: 7.5}
            models:
              - id: tiny
                engine: small
            settings:
              time_scale: 0.1
            """).script
        var expected = BuiltinEngineProfiles.base
        expected.maxNumSeqs = 8
        expected.kvCacheTokens = 20000
        expected.maxWaiting = 100
        expected.preemption = .wait
        expected.prefixCaching = false
        expected.kvAdmission = .reserveOutput
        expected.prefill = .whole
        expected.cost.baseMs = 7.5
        #expect(script.engines == ["small": expected])
        #expect(script.models.resolve("tiny")?.engine == "small")
        #expect(script.timeScale == 0.1)
    }

    @Test func withoutEnginesNothingChanges() throws {
        let script = try load("responses: {hi: hello}").script
        #expect(script.engines.isEmpty && script.timeScale == 1)
    }

    @Test func anEntryWithoutProfileStartsFromTheDefault() throws {
        let script = try load("responses: {hi: hello}\nengines: {plain: {}}").script
        #expect(script.engines["plain"] == BuiltinEngineProfiles.base)
    }

    @Test func aProfileFileRelativeToTheScript() throws {
        try withDirectory(["fitted.yml": """
            max_num_seqs: 64
            kv_cache_tokens: 100000
            step_time:
              base_ms: 5
              per_sequence_ms: 0.01
              per_prefill_token_ms: 0.02
              per_context_token_ms: 0.00001
            """]) { directory in
            let script = try load("""
                responses: {hi: hello}
                engines:
                  fitted: {profile: fitted.yml, max_num_seqs: 32}
                """, file: (directory as NSString).appendingPathComponent("script.yml")).script
            let profile = try #require(script.engines["fitted"])
            #expect(profile.maxNumSeqs == 32 && profile.kvCacheTokens == 100_000)
            #expect(profile.cost == EngineCostModel(baseMs: 5, perSequenceMs: 0.01, perPrefillTokenMs: 0.02, perContextTokenMs: 0.00001))
        }
    }

    @Test func problemsInAProfileFileAreLocatedInIt() throws {
        try withDirectory(["bad.yml": "max_num_seqs: 64\nblock_size: 0\n"]) { directory in
            let found = problems("""
                responses: {hi: hello}
                engines:
                  e: {profile: bad.yml}
                """, file: (directory as NSString).appendingPathComponent("script.yml"))
            let inFile = try #require(found.first { $0.file.hasSuffix("bad.yml") })
            #expect(inFile.line == 2 && inFile.column == 13)
            #expect(inFile.message.contains("'block_size' must be a whole number from 1 to 4096, found 0"))
            #expect(found.contains { $0.file.hasSuffix("script.yml") && $0.line == 3 })
        }
    }

    @Test func everyBadValueIsRefusedWithItsPlaceAndRange() {
        let cases: [(String, String)] = [
            ("max_num_seqs: 0", "'engines.e.max_num_seqs' must be a whole number from 1 to 1000000, found 0"),
            ("max_num_seqs: 2.5", "'engines.e.max_num_seqs' must be a whole number from 1 to 1000000, found 2.5"),
            ("max_num_batched_tokens: many", "'engines.e.max_num_batched_tokens' must be a number, found 'many'"),
            ("kv_cache_tokens: -5", "'engines.e.kv_cache_tokens' must be a whole number from 1 to 1000000000000, found -5"),
            ("block_size: 5000", "'engines.e.block_size' must be a whole number from 1 to 4096, found 5000"),
            ("max_waiting: 0", "'engines.e.max_waiting' must be a whole number from 1 to 1000000000, found 0"),
            ("preemption: swap", "'engines.e.preemption' must be recompute or wait, found 'swap'"),
            ("prefix_caching: maybe", "'engines.e.prefix_caching' must be true or false, found 'maybe'"),
            ("kv_admission: eager", "'engines.e.kv_admission' must be on_demand or reserve_output, found 'eager'"),
            ("prefill: split", "'engines.e.prefill' must be chunked or whole, found 'split'"),
            ("step_time: {base_ms: -1}", "'engines.e.step_time.base_ms' must be a number of milliseconds from 0 to 1000000, found -1"),
            ("step_time: {per_prefill_context_token_ms: -2}", "'engines.e.step_time.per_prefill_context_token_ms' must be a number of milliseconds from 0 to 1000000, found -2"),
            ("step_time: {memory_ms: 2000000}", "'engines.e.step_time.memory_ms' must be a number of milliseconds from 0 to 1000000, found 2000000"),
            ("step_time: 5", "'engines.e.step_time' must be a mapping, found '5'"),
            ("max_loras: 0", "'engines.e.max_loras' must be a whole number from 1 to 4096, found 0"),
            ("lora_load_ms: -3", "'engines.e.lora_load_ms' must be a number of milliseconds from 0 to 1000000, found -3"),
            ("front_end_ms: 70000", "'engines.e.front_end_ms' must be a number of milliseconds from 0 to 60000, found 70000"),
            ("front_end_ms: fast", "'engines.e.front_end_ms' must be a number, found 'fast'"),
            ("profile: defualt", "profile 'defualt' is neither a built-in profile (default, llama-3-70b-4xh100-fp8-nim, llama-3-8b-1xh100-fp8-nim, llama-3-8b-1xa100-fp16-nim) nor a file (did you mean 'default'?)"),
        ]
        for (entry, message) in cases.dropLast(1) {
            let found = problems("responses: {hi: hello}\nengines:\n  e:\n    \(entry)\n")
            #expect(found.map(\.message) == [message], "\(entry)")
            #expect(found.first?.line == 4, "\(entry)")
        }
        let tooMany = problems("responses: {hi: hello}\nengines:\n  e:\n    max_num_seqs: 9000\n")
        #expect(tooMany.map(\.message) == ["'engines.e': max_num_batched_tokens (8192) must be >= max_num_seqs (9000)"])
        let typo = problems("responses: {hi: hello}\nengines:\n  e:\n    profile: defualt\n")
        #expect(typo.map(\.message) == [cases.last!.1])
        #expect(typo.first?.line == 4 && typo.first?.column == 14)
    }

    @Test func unknownKeysAreSuggested() throws {
        let loaded = try load("""
            responses: {hi: hello}
            engines:
              e:
                max_num_seq: 8
                step_time: {bas_ms: 1}
            """)
        #expect(loaded.warnings.map(\.message) == [
            "unknown key 'max_num_seq' in 'engines.e' (did you mean 'max_num_seqs'?)",
            "unknown key 'bas_ms' in 'engines.e.step_time' (did you mean 'base_ms'?)",
        ])
    }

    @Test func aModelOnAnUnknownEngineIsRefusedWithASuggestion() {
        let found = problems("""
            responses: {hi: hello}
            engines: {h100: {}}
            models:
              - id: m
                engine: h10
            """)
        #expect(found.map(\.message) == ["unknown engine 'h10' in 'models[0].engine' (known: h100); did you mean 'h100'?"])
        #expect(found.first?.line == 5 && found.first?.column == 13)
        let none = problems("responses: {hi: hello}\nmodels:\n  - {id: m, engine: x}\n")
        #expect(none.map(\.message) == ["unknown engine 'x' in 'models[0].engine': the script has no 'engines' section"])
    }

    /// `parent:` makes a model a LoRA adapter of a base model with an engine: it runs on that
    /// engine, with the base model's provider, `lora_path` as its root; slots and load time are
    /// the engine's.
    @Test func adaptersRunOnTheirParentsEngine() throws {
        let script = try load("""
            responses: {hi: hello}
            engines:
              gpu: {max_loras: 2, lora_load_ms: 40}
            models:
              - id: sql-lora
                parent: base
                lora_path: /adapters/sql
              - id: base
                engine: gpu
              - {id: chat-lora, parent: base}
            """).script
        #expect(script.engines["gpu"]?.maxLoras == 2)
        #expect(script.engines["gpu"]?.loraLoadMs == 40)
        let sql = try #require(script.models.resolve("sql-lora"))
        #expect(sql.parent == "base" && sql.engine == "gpu" && sql.loraPath == "/adapters/sql" && sql.provider == "openai")
        let chat = try #require(script.models.resolve("chat-lora"))
        #expect(chat.parent == "base" && chat.engine == "gpu" && chat.loraPath == nil)
        #expect(script.models.resolve("base")?.parent == nil)
    }

    @Test func aBadParentIsRefusedWhereItIs() {
        let cases: [(String, String, Int)] = [
            ("  - {id: a, parent: bse}\n  - {id: base, engine: gpu}\n",
             "unknown parent 'bse' in 'models[0].parent': it must be a model of 'models' with an 'engine'; did you mean 'base'?", 4),
            ("  - {id: a, parent: base}\n  - {id: base}\n",
             "'models[0].parent' names 'base', which has no 'engine': LoRA adapters need their base model on a serving engine", 4),
            ("  - {id: base, engine: gpu}\n  - {id: a, parent: base}\n  - {id: b, parent: a}\n",
             "'models[2].parent' names 'a', itself an adapter: a parent must be a base model", 6),
            ("  - {id: base, engine: gpu}\n  - {id: a, parent: base, engine: gpu}\n",
             "'models[1]' is a LoRA adapter: it runs on its parent's engine, so it takes no 'engine'", 5),
            ("  - {id: base, engine: gpu}\n  - {id: a, lora_path: /x}\n",
             "'models[1].lora_path' is an adapter's path: 'models[1]' needs a 'parent' (the base model)", 5),
        ]
        for (models, message, line) in cases {
            let found = problems("responses: {hi: hello}\nengines: {gpu: {}}\nmodels:\n" + models)
            #expect(found.map(\.message) == [message], "\(models)")
            #expect(found.first?.line == line, "\(models)")
        }
    }

    @Test func timeScaleMustBePositive() {
        for value in ["0", "-1", "fast"] {
            let found = problems("responses: {hi: hello}\nsettings:\n  time_scale: \(value)\n")
            #expect(found.count == 1 && found[0].line == 3 && found[0].column == 15, "\(value)")
            #expect(found.first?.message.contains("time_scale") == true)
        }
    }

    @Test func aProfileRoundTripsThroughItsYAML() throws {
        var profile = BuiltinEngineProfiles.base
        profile.maxWaiting = 12
        profile.preemption = .wait
        profile.kvAdmission = .reserveOutput
        profile.prefill = .whole
        profile.maxLoras = 3
        profile.loraLoadMs = 12.5
        profile.frontEndMs = 0.875
        profile.cost = EngineCostModel(baseMs: 6.123456789, perSequenceMs: 0.0123, perPrefillTokenMs: 3.3e-2,
                                       perContextTokenMs: 1.234567890123e-05, perPrefillContextTokenMs: 4.5e-7,
                                       perLongestContextTokenMs: 0.000321)
        let text = EngineProfileReader.yaml(profile)
        #expect(!text.contains("e-") && !text.contains("memory_ms"))
        #expect(text.contains("\nfront_end_ms: 0.875\n") && text.contains("\n  per_longest_context_token_ms: 0.000321\n"))
        try withDirectory(["p.yml": text]) { directory in
            let read = try EngineProfileReader.load("p.yml", directory: directory)
            #expect(read == profile)
        }
        // A roofline's memory term is written and read back; left out, it stays unset (a sum).
        profile.cost.memoryMs = 2.75
        let roofline = EngineProfileReader.yaml(profile)
        #expect(roofline.contains("  memory_ms: 2.75\n"))
        try withDirectory(["p.yml": roofline]) { directory in
            let read = try EngineProfileReader.load("p.yml", directory: directory)
            #expect(read == profile)
        }
        #expect(EngineProfileReader.plainDecimal(2e-05) == "0.00002")
        #expect(EngineProfileReader.plainDecimal(1.5e20) == "150000000000000000000")
        #expect(EngineProfileReader.plainDecimal(6) == "6")
        #expect(EngineProfileReader.plainDecimal(-0.25) == "-0.25")
    }

    @Test func builtinProfilesAreValid() {
        #expect(BuiltinEngineProfiles.table.allSatisfy { $0.profile.problem == nil })
        #expect(BuiltinEngineProfiles.names.first == "default")
    }

    @Test func relativeProfilesStartFromTheScriptsDirectory() {
        #expect(ScriptLoader.directory(of: "/a/b/script.yml") == "/a/b")
        #expect(ScriptLoader.directory(of: "/script.yml") == "/")
        #expect(ScriptLoader.directory(of: "dir/script.yml") == "dir")
        let cwd = FileManager.default.currentDirectoryPath
        #expect(ScriptLoader.directory(of: "script.yml") == cwd)
        #expect(ScriptLoader.directory(of: "") == cwd)
        #expect(ScriptLoader.directory(of: "<embedded>") == cwd)
    }

    @Test func anEntrysKVEventsAreVLLMsFieldsEnabledByTheirPresence() throws {
        let script = try load("""
            responses: {hi: hello}
            engines:
              a: {kv_events: {endpoint: "tcp://*:5560", topic: kv-a, replay_endpoint: "tcp://*:5570", buffer_steps: 50}}
              b: {kv_events: {enable_kv_cache_events: false}}
              c: {max_num_seqs: 4}
            """).script
        let a = try #require(script.engineEvents["a"])
        #expect(a.publishes && a.publisher == "zmq" && a.endpoint == "tcp://*:5560" && a.topic == "kv-a")
        #expect(a.replayEndpoint == "tcp://*:5570" && a.bufferSteps == 50 && a.hwm == 100_000)
        #expect(script.engineEvents["b"]?.publishes == false)
        #expect(script.engineEvents["c"] == nil)
    }

    @Test func badKVEventsAreLocatedErrors() {
        let found = problems("""
            responses: {hi: hello}
            engines:
              a: {kv_events: {endpoint: "ipc:///tmp/kv", hwm: -1, port: 3}}
              b: {kv_events: [1]}
            """)
        let messages = found.map(\.message)
        #expect(messages.contains { $0.contains("'engines.a.kv_events': hwm must be a positive integer") })
        #expect(messages.contains { $0.contains("unknown field port") })
        #expect(messages.contains { $0.contains("only tcp:// endpoints") })
        #expect(messages.contains { $0.contains("'engines.b.kv_events'") })
        #expect(found.allSatisfy { $0.severity == .error && $0.line > 0 })
    }
}
