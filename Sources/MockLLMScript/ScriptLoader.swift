import Foundation
import MockLLMCore
import MockLLMSimulation
import Yams

/// Loads a `responses.yml` into a `Script`, validating everything and locating every problem.
///
/// The original's format loads unchanged:
/// ```yaml
/// responses:                 # exact prompt -> reply
///   "hello": "Hello! How can I help you today?"
/// defaults:
///   unknown_response: "I don't know the answer to that. This is a mock response."
/// settings:
///   lag_enabled: true        # default false
///   lag_factor: 10           # default 10, must be > 0; higher is faster
/// ```
package enum ScriptLoader {
    package struct Loaded: Sendable {
        package var script: Script
        /// Problems that do not stop the script from loading (unknown keys, ...).
        package var warnings: [ScriptDiagnostic]
        /// Identifies the file's text within this process, so a reload of unchanged text can be skipped.
        package var fingerprint: Int

        package init(script: Script, warnings: [ScriptDiagnostic], fingerprint: Int) {
            self.script = script
            self.warnings = warnings
            self.fingerprint = fingerprint
        }
    }

    static let topLevelKeys = ["responses", "rules", "defaults", "settings", "pacing", "models", "faults", "quotas", "providers", "engines", "deployments"]

    /// - Parameter providers: the providers served, whose names a rule, a fault or a `models:`
    ///   entry may name and whose models the `models:` section extends (nil: names not checked, no models).
    package static func load(path: String, providers: ProviderCatalog? = nil) throws(ScriptLoadError) -> Loaded {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ScriptLoadError(.missingFile, [ScriptDiagnostic(.error, file: path, line: 1, column: 1, message: "file does not exist")])
        }
        if isDirectory.boolValue { return try loadDirectory(path, providers: providers) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ScriptLoadError(.unreadable, [ScriptDiagnostic(.error, file: path, line: 1, column: 1, message: "cannot read the file")])
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw ScriptLoadError(.invalid, [ScriptDiagnostic(.error, file: path, line: 1, column: 1, message: "the file is not valid UTF-8")])
        }
        return try parse(yaml: text, file: path, providers: providers)
    }

    private static func parse(yaml: String, file: String, providers: ProviderCatalog?, scope: Bool) throws(ScriptLoadError) -> Loaded {
        var reader = ScriptReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            reader.report(.error, Self.message(for: error), at: Self.mark(for: error, in: yaml))
            throw ScriptLoadError(.invalid, reader.diagnostics)
        }
        guard let root else {
            reader.report(.error, "the file is empty: expected a mapping with a 'responses' key", at: nil)
            throw ScriptLoadError(.invalid, reader.diagnostics)
        }
        let script = read(root, file: file, providers: providers, scope: scope, reader: &reader)
        if reader.hasErrors { throw ScriptLoadError(.invalid, reader.diagnostics) }
        return Loaded(script: script, warnings: reader.diagnostics, fingerprint: yaml.hashValue)
    }

    /// The keys a test scope's script (`PUT /_mockllm/tests/ID/script`) may have: what can be
    /// counted per scope. The others are the server's (settings, models, pacing, engines,
    /// declared providers, defaults) and are refused where they are.
    package static let scopeKeys = ["rules", "responses", "faults", "quotas"]

    /// Reads a test scope's script: like `parse`, but only `scopeKeys` at the top level, and
    /// neither `responses` nor `rules` is required.
    package static func parseScope(yaml: String, file: String, providers: ProviderCatalog? = nil) throws(ScriptLoadError) -> Loaded {
        try parse(yaml: yaml, file: file, providers: providers, scope: true)
    }

    package static func parse(yaml: String, file: String, providers: ProviderCatalog? = nil) throws(ScriptLoadError) -> Loaded {
        try parse(yaml: yaml, file: file, providers: providers, scope: false)
    }

    private static func read(_ root: Node, file: String, providers catalog: ProviderCatalog?, scope: Bool,
                             reader: inout ScriptReader) -> Script {
        guard case .mapping(let top) = root else {
            reader.error("YAML file must contain a dictionary (a mapping at the top level), found \(reader.describe(root))", at: root)
            return Script(origin: file)
        }
        if scope {
            for (key, _) in top {
                guard let name = key.string, !scopeKeys.contains(name) else { continue }
                let known = topLevelKeys.contains(name) ? "'\(name)' is the server's and cannot be set per test scope"
                    : "unknown key '\(name)'"
                reader.error("\(known): a test scope's script accepts \(scopeKeys.joined(separator: ", "))", at: key)
            }
        } else {
            reader.checkKeys(top, known: topLevelKeys, in: "the top level")
        }
        // Declared providers first: the rest of the script may name them.
        let declared = top["providers"].map { ProvidersSection.read($0, builtIn: catalog?.names, reader: &reader) } ?? []
        let providers = catalog.map { $0.names + declared.map(\.name) }
        var responses: [String: String] = [:]
        if let node = top["responses"] {
            if let mapping = reader.mapping(node, "'responses'") {
                responses = readResponses(mapping, reader: &reader)
            }
        } else if top["rules"] == nil && !scope {
            reader.error("YAML file must contain 'responses' key (or 'rules')", at: root)
        }
        var fixtures: [Fixture] = []
        let rules = top["rules"].map { RulesSection.read($0, providers: providers, fixtures: &fixtures, reader: &reader) } ?? []
        var defaultReply = Script.builtInDefaultReply
        if let node = top["defaults"], let defaults = reader.mapping(node, "'defaults'") {
            reader.checkKeys(defaults, known: ["unknown_response"], in: "'defaults'")
            if let value = defaults["unknown_response"], let text = reader.text(value, "'defaults.unknown_response'") {
                defaultReply = text
            }
        }
        var settings = Settings()
        if let node = top["settings"], let mapping = reader.mapping(node, "'settings'") {
            settings = readSettings(mapping, reader: &reader)
        }
        let (engines, engineEvents) = top["engines"].map { EnginesSection.read($0, directory: directory(of: file), reader: &reader) }
            ?? ([:], [:])
        var additions = declared.flatMap { provider in provider.models.map { ModelAddition(id: $0, provider: provider.name) } }
        if let node = top["models"] {
            additions += ModelsSection.read(node, providers: providers, engines: Array(engines.keys), reader: &reader)
        }
        let faults = top["faults"].map { FaultsSection.read($0, providers: providers, reader: &reader) } ?? []
        if let wanted = settings.scenario, !faults.contains(where: { $0.scenario == wanted }) {
            reader.warning("'settings.scenario' is '\(wanted)', which no fault names", at: top["settings"])
        }
        var pacing = settings.pacing
        if let node = top["pacing"], let spec = PacingSection.read(node, "'pacing'", reader: &reader) {
            pacing = spec.applied(to: pacing)
        }
        return Script(responses: responses, defaultReply: defaultReply, rules: rules, pacing: pacing, onMiss: settings.onMiss,
                      origin: file,
                      models: ModelRegistry(catalog?.models ?? [], adding: additions, defaultProvider: providers?.first ?? ""),
                      strictModels: settings.strictModels,
                      autoTools: settings.autoTools, faults: faults, scenario: ScenarioSwitch(settings.scenario),
                      quota: top["quotas"].flatMap { QuotasSection.read($0, reader: &reader) }, providers: declared,
                      engines: engines, engineEvents: engineEvents, timeScale: settings.timeScale,
                      sessionLimit: settings.sessionLimit, fixtures: fixtures, record: settings.record,
                      deployments: top["deployments"].map { DeploymentsSection.read($0, reader: &reader) } ?? [:])
    }

    /// The directory a script's relative paths (an engine's profile file) start from: the
    /// file's own, or the working directory for a script that is not a file ("<embedded>", "").
    static func directory(of file: String) -> String {
        guard !file.hasPrefix("<"), let slash = file.lastIndex(of: "/") else { return FileManager.default.currentDirectoryPath }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }

    private static func readResponses(_ mapping: Node.Mapping, reader: inout ScriptReader) -> [String: String] {
        var responses: [String: String] = [:]
        for (key, value) in mapping {
            guard let prompt = reader.text(key, "a prompt in 'responses'") else { continue }
            guard let reply = reader.text(value, "the reply to '\(prompt)'") else { continue }
            responses[prompt] = reply
        }
        return responses
    }

    private struct Settings {
        var pacing = Pacing.immediate
        var strictModels = false
        var onMiss = MissPolicy.default
        var autoTools = false
        var scenario: String?
        var timeScale = 1.0
        var sessionLimit: SessionLimit?
        var record = RecordSettings()
    }

    private static func readSettings(_ settings: Node.Mapping, reader: inout ScriptReader) -> Settings {
        reader.checkKeys(settings, known: ["lag_enabled", "lag_factor", "strict_models", "on_miss", "auto_tools", "scenario", "time_scale", "strict", "record",
                                             "session_limit_ms", "go_away_ms"], in: "'settings'")
        var enabled = false
        var factor = 10.0
        if let node = settings["lag_enabled"], let value = reader.bool(node, "'settings.lag_enabled'") {
            enabled = value
        }
        if let node = settings["lag_factor"], let value = reader.number(node, "'settings.lag_factor'") {
            if value > 0 {
                factor = value
            } else {
                reader.error("'settings.lag_factor' must be greater than 0 (higher is faster), found \(value.plainDecimal)", at: node)
            }
        }
        var strict = false
        if let node = settings["strict_models"], let value = reader.bool(node, "'settings.strict_models'") {
            strict = value
        }
        var onMiss = MissPolicy.default
        if let node = settings["on_miss"], let text = reader.text(node, "'settings.on_miss'") {
            if let policy = MissPolicy(rawValue: text) { onMiss = policy } else {
                reader.error("'settings.on_miss' must be default, error or strict, found '\(text)'", at: node)
            }
        }
        var autoTools = false
        if let node = settings["auto_tools"], let value = reader.bool(node, "'settings.auto_tools'") {
            autoTools = value
        }
        let scenario = settings["scenario"].flatMap { reader.text($0, "'settings.scenario'") }
        var timeScale = 1.0
        if let node = settings["time_scale"], let value = reader.number(node, "'settings.time_scale'") {
            if value > 0 && value <= Script.maximumTimeScale {
                timeScale = value
            } else {
                reader.error("'settings.time_scale' must be a number greater than 0 and at most 1000000 (1: real time, "
                             + "0.1: ten times faster), found \(value.plainDecimal)", at: node)
            }
        }
        var sessionLimit: SessionLimit?
        if let node = settings["session_limit_ms"], let value = reader.number(node, "'settings.session_limit_ms'") {
            if value > 0 && value <= SessionLimit.maximumMilliseconds {
                sessionLimit = SessionLimit(milliseconds: value)
            } else {
                reader.error("'settings.session_limit_ms' must be a number of milliseconds greater than 0 and at most 86400000, "
                             + "found \(value.plainDecimal)", at: node)
            }
        }
        if let node = settings["go_away_ms"], let value = reader.number(node, "'settings.go_away_ms'") {
            if !(value >= 0 && value <= SessionLimit.maximumMilliseconds) {
                reader.error("'settings.go_away_ms' must be a number of milliseconds from 0 to 86400000, found \(value.plainDecimal)", at: node)
            } else if settings["session_limit_ms"] == nil {
                reader.error("'settings.go_away_ms' needs 'settings.session_limit_ms': the goAway warns of the session's end", at: node)
            } else {
                sessionLimit?.goAwayMilliseconds = value
            }
        }
        var onMissPolicy = onMiss
        if let node = settings["strict"], reader.bool(node, "'settings.strict'") == true { onMissPolicy = .strict }
        let record = settings["record"].map { FixtureSection.settings($0, reader: &reader) } ?? RecordSettings()
        return Settings(pacing: enabled ? .seedLag(factor: factor) : .immediate, strictModels: strict, onMiss: onMissPolicy,
                        autoTools: autoTools, scenario: scenario, timeScale: timeScale, sessionLimit: sessionLimit, record: record)
    }

    private static func message(for error: Error) -> String {
        guard let yamlError = error as? YamlError else { return "invalid YAML: \(error)" }
        switch yamlError {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
             .composer(let context, let problem, _, _):
            let prefix = context.map { "\($0.text) " } ?? ""
            return "invalid YAML: \(prefix)\(problem)"
        case .duplicatedKeysInMapping(let duplicates, _):
            return "invalid YAML: duplicate key \(duplicates.sorted().map { "'\($0)'" }.joined(separator: ", "))"
        case .reader(let problem, _, _, _):
            return "invalid YAML: \(problem)"
        default:
            return "invalid YAML: \(yamlError)"
        }
    }

    private static func mark(for error: Error, in yaml: String) -> Mark? {
        guard let yamlError = error as? YamlError else { return nil }
        switch yamlError {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark
        case .duplicatedKeysInMapping(_, let context):
            return context.mark
        default:
            return nil
        }
    }
}
