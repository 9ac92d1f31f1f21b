import MockLLM
import MockLLMCore
import MockLLMProviders
import MockLLMScript
import MockLLMSimulation
import Testing

/// Loading script text in the script tests: the loaded script (no warnings expected), or the
/// located diagnostics, for both providers' names.
package protocol ScriptLoading {
    /// The file name the diagnostics carry.
    static var scriptFile: String { get }
}

extension ScriptLoading {
    package func load(_ yaml: String) throws(ScriptLoadError) -> ScriptLoader.Loaded {
        try ScriptLoader.parse(yaml: yaml, file: Self.scriptFile, providers: ProviderCatalog(names: ["openai", "anthropic"], models: providerCatalog.models))
    }

    package func script(_ yaml: String) throws -> Script {
        let loaded = try load(yaml)
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        return loaded.script
    }

    package func diagnostics(_ yaml: String) -> [ScriptDiagnostic] {
        do {
            return try load(yaml).warnings
        } catch {
            return error.diagnostics
        }
    }
}
