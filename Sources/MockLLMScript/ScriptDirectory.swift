import Foundation
import MockLLMCore
import Yams

/// A directory of scripts loaded as one (`--responses DIR`, a directory of fixtures): every
/// `*.yml` and `*.yaml` directly in it (not in subdirectories, not hidden), in name order.
///
/// `rules:` (fixtures included) and `responses:` may be in any of the files: rules keep the
/// files' order, then their order within each file. The sections that configure the whole
/// server (`settings`, `defaults`, `pacing`, `models`, `faults`, `quotas`, `providers`,
/// `engines`) must all be in one file; a second file with one is an error naming both places,
/// as are a prompt of `responses:` or a rule name found in two files.
extension ScriptLoader {
    static let configurationKeys = ["settings", "defaults", "pacing", "models", "faults", "quotas", "providers", "engines"]

    /// The script files of a directory, sorted.
    package static func scriptFiles(in directory: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        return names.filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yml") || $0.hasSuffix(".yaml")) }
            .sorted()
            .map { base + $0 }
            .filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            }
    }

    static func loadDirectory(_ directory: String, providers catalog: ProviderCatalog?) throws(ScriptLoadError) -> Loaded {
        let files = scriptFiles(in: directory)
        guard !files.isEmpty else {
            throw ScriptLoadError(.invalid, [ScriptDiagnostic(.error, file: directory, line: 1, column: 1,
                                                              message: "the directory has no .yml or .yaml file")])
        }
        var texts: [(file: String, text: String)] = []
        var diagnostics: [ScriptDiagnostic] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                diagnostics.append(ScriptDiagnostic(.error, file: file, line: 1, column: 1, message: "cannot read the file"))
                continue
            }
            guard let text = String(validating: data, as: UTF8.self) else {
                diagnostics.append(ScriptDiagnostic(.error, file: file, line: 1, column: 1, message: "the file is not valid UTF-8"))
                continue
            }
            texts.append((file, text))
        }
        // Which file configures the server: at most one.
        var configuration: (file: String, key: String, mark: Mark?)?
        var configurationFile: String?
        var responseKeys: [String: (file: String, line: Int)] = [:]
        for (file, text) in texts {
            guard case .mapping(let top)? = try? Yams.compose(yaml: text) else { continue }
            for (keyNode, _) in top {
                guard let key = keyNode.string, configurationKeys.contains(key) else { continue }
                if let first = configuration, first.file != file {
                    diagnostics.append(ScriptDiagnostic(
                        .error, file: file, line: keyNode.mark?.line ?? 1, column: keyNode.mark?.column ?? 1,
                        message: "'\(key)' is here and '\(first.key)' in \(first.file):\(first.mark?.line ?? 1):\(first.mark?.column ?? 1): "
                            + "in a directory, \(configurationKeys.joined(separator: ", ")) must all be in one file"))
                } else if configuration == nil {
                    configuration = (file, key, keyNode.mark)
                    configurationFile = file
                }
            }
            if case .mapping(let responses)? = top["responses"] {
                for (keyNode, _) in responses {
                    guard let prompt = keyNode.string else { continue }
                    if let first = responseKeys[prompt], first.file != file {
                        diagnostics.append(ScriptDiagnostic(
                            .error, file: file, line: keyNode.mark?.line ?? 1, column: keyNode.mark?.column ?? 1,
                            message: "the prompt '\(prompt)' of 'responses' is also in \(first.file):\(first.line)"))
                    } else {
                        responseKeys[prompt] = (file, keyNode.mark?.line ?? 1)
                    }
                }
            }
        }
        // The configuring file first: the others' rules may name the providers it declares.
        let ordered = texts.filter { $0.file == configurationFile } + texts.filter { $0.file != configurationFile }
        var loaded: [String: Loaded] = [:]
        var others = catalog
        for (file, text) in ordered {
            do {
                let one = try parse(yaml: text, file: file, providers: others)
                loaded[file] = one
                if file == configurationFile, let catalog {
                    others = ProviderCatalog(names: catalog.names + one.script.providers.map(\.name), models: catalog.models)
                }
            } catch {
                diagnostics += error.diagnostics
            }
        }
        var names: [String: (file: String, line: Int)] = [:]
        for (file, _) in texts {
            guard let script = loaded[file]?.script else { continue }
            let named = script.rules.map { ($0.name, $0.line) } + (script.fixtures?.fixtures.map { ($0.name, $0.line) } ?? [])
            for (name, line) in named where !name.hasPrefix("rules[") {
                if let first = names[name], first.file != file {
                    diagnostics.append(ScriptDiagnostic(.error, file: file, line: line, column: 1,
                                                        message: "two rules are named '\(name)': here and in \(first.file):\(first.line)"))
                } else {
                    names[name] = (file, line)
                }
            }
        }
        if diagnostics.contains(where: { $0.severity == .error }) {
            throw ScriptLoadError(.invalid, diagnostics + loaded.values.flatMap(\.warnings))
        }
        let scripts = texts.compactMap { loaded[$0.file]?.script }
        let base = configurationFile.flatMap { loaded[$0]?.script } ?? scripts[0]
        var responses: [String: String] = [:]
        for script in scripts { responses.merge(script.responses) { first, _ in first } }
        let script = Script(
            responses: responses, defaultReply: base.defaultReply, rules: scripts.flatMap(\.rules), pacing: base.pacing,
            onMiss: base.onMiss, origin: directory, models: base.models, strictModels: base.strictModels, autoTools: base.autoTools,
            faults: base.faults, scenario: base.scenario, quota: base.quota, providers: base.providers, engines: base.engines, engineEvents: base.engineEvents,
            timeScale: base.timeScale, fixtures: scripts.flatMap { $0.fixtures?.fixtures ?? [] }, record: base.record,
            deployments: base.deployments)
        var hasher = Hasher()
        for (file, text) in texts {
            hasher.combine(file)
            hasher.combine(text)
        }
        return Loaded(script: script, warnings: texts.flatMap { loaded[$0.file]?.warnings ?? [] }, fingerprint: hasher.finalize())
    }
}
