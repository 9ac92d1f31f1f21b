import Foundation
import MockLLMCore
import MockLLMSimulation
import Yams

/// The script's `engines:` section: named serving-engine profiles a `models:` entry runs on
/// (`engine: NAME`).
///
/// ```yaml
/// engines:
///   h100:
///     profile: default            # a built-in profile, or a profile file relative to the script
///     max_num_seqs: 128           # any profile key overrides it
///     step_time: {base_ms: 7}
///     max_loras: 2                # LoRA adapter slots (vLLM's --max-loras)
///     lora_load_ms: 25            # a step that loads an adapter takes this much longer
///     front_end_ms: 0.4           # the API server's own work per request, one at a time
///     kv_events: {endpoint: "tcp://*:5557", topic: kv-events}   # vLLM's KV-cache events
/// ```
enum EnginesSection {
    /// The profiles by name, and the `kv_events:` of the entries that have one.
    static func read(_ node: Node, directory: String, reader: inout ScriptReader)
        -> (profiles: [String: EngineProfile], events: [String: KVEventsConfig])
    {
        guard let mapping = reader.mapping(node, "'engines'") else { return ([:], [:]) }
        var engines: [String: EngineProfile] = [:]
        var events: [String: KVEventsConfig] = [:]
        for (key, value) in mapping {
            guard let name = reader.text(key, "an engine's name in 'engines'") else { continue }
            let what = "'engines.\(name)'"
            guard let entry = reader.mapping(value, what) else { continue }
            reader.checkKeys(entry, known: ["profile", "kv_events"] + EngineProfileReader.keys, in: what)
            if let node = entry["kv_events"], let config = kvEvents(node, what: ScriptReader.path(what, "kv_events"), reader: &reader) {
                events[name] = config
            }
            var profile = BuiltinEngineProfiles.base
            if let node = entry["profile"], let reference = reader.text(node, ScriptReader.path(what, "profile")) {
                guard let base = EngineProfileReader.resolve(reference, directory: directory, at: node, reader: &reader) else {
                    continue
                }
                profile = base
            }
            guard let read = EngineProfileReader.apply(entry, to: profile, what: what, at: value, reader: &reader) else { continue }
            engines[name] = read
        }
        return (engines, events)
    }

    /// An entry's `kv_events:`: vLLM's `--kv-events-config` fields as a mapping, events enabled
    /// unless `enable_kv_cache_events: false` says otherwise.
    static func kvEvents(_ node: Node, what: String, reader: inout ScriptReader) -> KVEventsConfig? {
        guard let mapping = reader.mapping(node, what) else { return nil }
        var config = KVEventsConfig()
        config.enabled = true
        for (key, value) in mapping {
            guard let field = reader.text(key, "a key of \(what)") else { continue }
            let read: KVEventsConfig.Value
            if value.null != nil {
                read = .null
            } else if case .scalar(let scalar) = value {
                switch field {
                case "enable_kv_cache_events": read = value.bool.map { .bool($0) } ?? .other(reader.describe(value))
                case "buffer_steps", "hwm", "max_queue_size": read = value.int.map { .integer($0) } ?? .other(reader.describe(value))
                default: read = .string(scalar.string)
                }
            } else {
                read = .other(reader.describe(value))
            }
            if let problem = config.set(field, read, context: what) { reader.error(problem.message, at: value) }
        }
        if let problem = config.finish(context: what) {
            reader.error(problem.message, at: node)
            return nil
        }
        return config
    }
}

/// Reads and writes an engine profile's YAML (docs/LOAD-SIMULATION.md, "Profile files"): the
/// keys of an `engines:` entry, or a file of its own for `mockllm engine simulate --profile`.
package enum EngineProfileReader {
    static let keys = ["max_num_seqs", "max_num_batched_tokens", "kv_cache_tokens", "block_size", "max_waiting",
                       "preemption", "prefix_caching", "kv_admission", "prefill", "scheduling_policy", "step_time", "max_loras",
                       "lora_load_ms", "front_end_ms"]
    static let costKeys = ["base_ms", "per_sequence_ms", "per_prefill_token_ms", "per_context_token_ms"]
    /// Optional: a prefill's context tokens priced apart (`EngineCostModel.perPrefillContextTokenMs`).
    static let prefillContextKey = "per_prefill_context_token_ms"
    /// Optional: the memory-bound floor that makes the step a roofline (`EngineCostModel.memoryMs`).
    static let memoryKey = "memory_ms"
    /// Optional: the longest decoding sequence's context priced once per step
    /// (`EngineCostModel.perLongestContextTokenMs`).
    static let longestContextKey = "per_longest_context_token_ms"

    /// A profile file (or a built-in profile's name): keys it leaves out are the built-in
    /// `default` profile's. Problems are located in the file.
    package static func load(_ reference: String, directory: String = FileManager.default.currentDirectoryPath)
        throws(ScriptLoadError) -> EngineProfile
    {
        var reader = ScriptReader(file: reference)
        let profile = resolve(reference, directory: directory, at: nil, reader: &reader)
        guard let profile, !reader.hasErrors else { throw ScriptLoadError(.invalid, reader.diagnostics) }
        return profile
    }

    /// A built-in profile by name, else the profile file at `reference` (relative to `directory`).
    static func resolve(_ reference: String, directory: String, at node: Node?, reader: inout ScriptReader) -> EngineProfile? {
        if let builtin = BuiltinEngineProfiles.profile(named: reference) { return builtin }
        let path = reference.hasPrefix("/") ? reference : (directory.hasSuffix("/") ? directory : directory + "/") + reference
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            var message = "profile '\(reference)' is neither a built-in profile (\(BuiltinEngineProfiles.names.joined(separator: ", "))) nor a file"
            if let suggestion = ScriptReader.closest(to: reference, in: BuiltinEngineProfiles.names) {
                message += " (did you mean '\(suggestion)'?)"
            }
            reader.error(message, at: node)
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(validating: data, as: UTF8.self) else {
            reader.error("cannot read the profile file '\(path)'", at: node)
            return nil
        }
        var fileReader = ScriptReader(file: path)
        let profile = parse(yaml: text, reader: &fileReader)
        reader.absorb(fileReader.diagnostics)
        if fileReader.hasErrors, node != nil {
            reader.error("the profile file '\(reference)' has errors (above)", at: node)
        }
        return fileReader.hasErrors ? nil : profile
    }

    /// A profile file's text: a mapping of the profile keys.
    static func parse(yaml: String, reader: inout ScriptReader) -> EngineProfile? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            reader.report(.error, "invalid YAML: \(error)", at: nil)
            return nil
        }
        guard let root else {
            reader.report(.error, "the profile file is empty: expected a mapping of \(keys.joined(separator: ", "))", at: nil)
            return nil
        }
        guard let mapping = reader.mapping(root, "an engine profile") else { return nil }
        reader.checkKeys(mapping, known: keys, in: "the engine profile")
        return apply(mapping, to: BuiltinEngineProfiles.base, what: "", at: root, reader: &reader)
    }

    /// `profile` with the keys of `mapping` applied, every value checked against its range.
    static func apply(_ mapping: Node.Mapping, to profile: EngineProfile, what: String, at node: Node,
                      reader: inout ScriptReader) -> EngineProfile?
    {
        var profile = profile
        let errors = reader.diagnostics.count { $0.severity == .error }
        func name(_ key: String) -> String { what.isEmpty ? "'\(key)'" : ScriptReader.path(what, key) }
        func whole(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let n = mapping[key] else { return nil }
            guard let value = reader.number(n, name(key)) else { return nil }
            guard value == value.rounded(), value >= Double(range.lowerBound), value <= Double(range.upperBound) else {
                reader.error("\(name(key)) must be a whole number from \(range.lowerBound) to \(range.upperBound), found \(value.plainDecimal)", at: n)
                return nil
            }
            return Int(value)
        }
        if let v = whole("max_num_seqs", 1...1_000_000) { profile.maxNumSeqs = v }
        if let v = whole("max_num_batched_tokens", 1...100_000_000) { profile.maxNumBatchedTokens = v }
        if let v = whole("kv_cache_tokens", 1...1_000_000_000_000) { profile.kvCacheTokens = v }
        if let v = whole("block_size", 1...4096) { profile.blockSize = v }
        if let v = whole("max_loras", 1...4096) { profile.maxLoras = v }
        if let n = mapping["lora_load_ms"], let value = reader.number(n, name("lora_load_ms")) {
            if value >= 0, value <= 1_000_000 {
                profile.loraLoadMs = value
            } else {
                reader.error("\(name("lora_load_ms")) must be a number of milliseconds from 0 to 1000000, found \(value.plainDecimal)", at: n)
            }
        }
        if let n = mapping["front_end_ms"], let value = reader.number(n, name("front_end_ms")) {
            if value >= 0, value <= 60_000 {
                profile.frontEndMs = value
            } else {
                reader.error("\(name("front_end_ms")) must be a number of milliseconds from 0 to 60000, found \(value.plainDecimal)", at: n)
            }
        }
        if let n = mapping["max_waiting"] {
            if n.null != nil {
                profile.maxWaiting = nil   // unbounded
            } else if let v = whole("max_waiting", 1...1_000_000_000) {
                profile.maxWaiting = v
            }
        }
        if let n = mapping["preemption"], let text = reader.text(n, name("preemption")) {
            if let mode = EnginePreemption(rawValue: text) {
                profile.preemption = mode
            } else {
                reader.error("\(name("preemption")) must be recompute or wait, found '\(text)'", at: n)
            }
        }
        if let n = mapping["prefix_caching"], let value = reader.bool(n, name("prefix_caching")) {
            profile.prefixCaching = value
        }
        if let n = mapping["kv_admission"], let text = reader.text(n, name("kv_admission")) {
            if let mode = EngineKVAdmission(rawValue: text) {
                profile.kvAdmission = mode
            } else {
                reader.error("\(name("kv_admission")) must be on_demand or reserve_output, found '\(text)'", at: n)
            }
        }
        if let n = mapping["prefill"], let text = reader.text(n, name("prefill")) {
            if let mode = EnginePrefill(rawValue: text) {
                profile.prefill = mode
            } else {
                reader.error("\(name("prefill")) must be chunked or whole, found '\(text)'", at: n)
            }
        }
        if let n = mapping["scheduling_policy"], let text = reader.text(n, name("scheduling_policy")) {
            if let policy = EngineSchedulingPolicy(rawValue: text) {
                profile.schedulingPolicy = policy
            } else {
                reader.error("\(name("scheduling_policy")) must be fcfs or priority, found '\(text)'", at: n)
            }
        }
        if let n = mapping["step_time"], let cost = reader.mapping(n, name("step_time")) {
            let what = name("step_time")
            reader.checkKeys(cost, known: costKeys + [prefillContextKey, memoryKey, longestContextKey], in: what)
            var coefficients = profile.cost.coefficients
            for (i, key) in costKeys.enumerated() {
                guard let c = cost[key], let value = reader.number(c, ScriptReader.path(what, key)) else { continue }
                guard value >= 0, value <= 1_000_000 else {
                    reader.error("\(ScriptReader.path(what, key)) must be a number of milliseconds from 0 to 1000000, found \(value.plainDecimal)", at: c)
                    continue
                }
                coefficients[i] = value
            }
            // The optional terms: left out, the base profile's (nil there: the contract's model).
            func optional(_ key: String, _ current: Double?) -> Double? {
                guard let c = cost[key], let value = reader.number(c, ScriptReader.path(what, key)) else { return current }
                guard value >= 0, value <= 1_000_000 else {
                    reader.error("\(ScriptReader.path(what, key)) must be a number of milliseconds from 0 to 1000000, found \(value.plainDecimal)", at: c)
                    return current
                }
                return value
            }
            profile.cost = EngineCostModel(baseMs: coefficients[0], perSequenceMs: coefficients[1],
                                           perPrefillTokenMs: coefficients[2], perContextTokenMs: coefficients[3],
                                           perPrefillContextTokenMs: optional(prefillContextKey, profile.cost.perPrefillContextTokenMs),
                                           memoryMs: optional(memoryKey, profile.cost.memoryMs),
                                           perLongestContextTokenMs: optional(longestContextKey, profile.cost.perLongestContextTokenMs))
        }
        guard reader.diagnostics.count(where: { $0.severity == .error }) == errors else { return nil }
        if let problem = profile.problem {
            reader.error(what.isEmpty ? "the engine profile: \(problem)" : "\(what): \(problem)", at: node)
            return nil
        }
        return profile
    }

    /// The profile as a file `load` reads back to the same profile; `number` writes each
    /// coefficient (default: all its digits).
    package static func yaml(_ profile: EngineProfile, number: (Double) -> String = plainDecimal) -> String {
        var lines = [
            "max_num_seqs: \(profile.maxNumSeqs)",
            "max_num_batched_tokens: \(profile.maxNumBatchedTokens)",
            "kv_cache_tokens: \(profile.kvCacheTokens)",
            "block_size: \(profile.blockSize)",
        ]
        if let maxWaiting = profile.maxWaiting { lines.append("max_waiting: \(maxWaiting)") }
        lines += [
            "preemption: \(profile.preemption.rawValue)",
            "prefix_caching: \(profile.prefixCaching)",
            "kv_admission: \(profile.kvAdmission.rawValue)",
            "prefill: \(profile.prefill.rawValue)",
        ]
        if profile.schedulingPolicy != .fcfs { lines.append("scheduling_policy: \(profile.schedulingPolicy.rawValue)") }
        // The LoRA keys only when set: most profiles serve no adapter.
        if profile.maxLoras != 1 { lines.append("max_loras: \(profile.maxLoras)") }
        if profile.loraLoadMs != 0 { lines.append("lora_load_ms: \(number(profile.loraLoadMs))") }
        if profile.frontEndMs != 0 { lines.append("front_end_ms: \(number(profile.frontEndMs))") }
        lines += stepTimeLines(profile.cost, number: number)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `step_time:` mapping of a cost model, as lines.
    package static func stepTimeLines(_ cost: EngineCostModel, number: (Double) -> String = plainDecimal) -> [String] {
        var lines = [
            "step_time:",
            "  base_ms: \(number(cost.baseMs))",
            "  per_sequence_ms: \(number(cost.perSequenceMs))",
            "  per_prefill_token_ms: \(number(cost.perPrefillTokenMs))",
            "  per_context_token_ms: \(number(cost.perContextTokenMs))",
        ]
        if let value = cost.perPrefillContextTokenMs { lines.append("  \(prefillContextKey): \(number(value))") }
        if let value = cost.memoryMs { lines.append("  \(memoryKey): \(number(value))") }
        if let value = cost.perLongestContextTokenMs { lines.append("  \(longestContextKey): \(number(value))") }
        return lines
    }

    /// A number in plain decimal notation, all its digits (Swift's shortest round-trip form,
    /// without the exponent YAML 1.1 would not read as a number: 2e-05 becomes 0.00002).
    static func plainDecimal(_ value: Double) -> String {
        let text = String(value)
        guard let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }), let exponent = Int(text[text.index(after: e)...]) else {
            return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
        }
        var mantissa = String(text[..<e])
        let negative = mantissa.hasPrefix("-")
        if negative { mantissa.removeFirst() }
        let parts = mantissa.split(separator: ".", omittingEmptySubsequences: false)
        let whole = String(parts[0])
        let fraction = parts.count > 1 ? String(parts[1]) : ""
        var digits = whole + fraction
        var point = whole.count + exponent   // where the decimal point goes in `digits`
        if point <= 0 {
            digits = String(repeating: "0", count: 1 - point) + digits
            point = 1
        } else if point > digits.count {
            digits += String(repeating: "0", count: point - digits.count)
        }
        var result = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        while result.hasSuffix("0") { result.removeLast() }
        if result.hasSuffix(".") { result.removeLast() }
        return (negative ? "-" : "") + result
    }
}
