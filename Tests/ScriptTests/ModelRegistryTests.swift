@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Model registry")
struct ModelRegistryTests {
    func load(_ yaml: String) throws(ScriptLoadError) -> Script {
        try ScriptLoader.parse(yaml: yaml, file: "m.yml", providers: providerCatalog).script
    }

    @Test func resolvesTheOriginalsDefaultsAndAliases() {
        let registry = ModelRegistry(providerCatalog.models)
        #expect(registry.resolve("turbo")?.id == "gpt-3.5-turbo")
        #expect(registry.resolve("gpt-4-0613")?.id == "gpt-4")
        #expect(registry.resolve("opus")?.id == "claude-3-opus-20240229")
        #expect(registry.resolve("claude-3-haiku")?.contextWindow == 200_000)
        #expect(registry.resolve("gpt-3.5-turbo")?.contextWindow == 4_096)
        #expect(registry.resolve("nope") == nil)
        #expect(registry.models(of: "anthropic").allSatisfy { $0.id.hasPrefix("claude") })
    }

    /// The vendors' models are the providers' to declare: the script layer knows none of its own.
    /// A provider that serves another's models (Vertex AI's) declares none and names that one.
    @Test func eachProviderDeclaresItsOwnModels() {
        #expect(Script().models.models.isEmpty)
        for provider in providerTable {
            if let vendor = provider.metadata.servesModelsOf {
                #expect(provider.metadata.models.isEmpty && ModelRegistry.builtIn.models(of: vendor).count > 0, "\(provider.metadata.name)")
                continue
            }
            #expect(!provider.metadata.models.isEmpty, "\(provider.metadata.name)")
            #expect(provider.metadata.models.allSatisfy { $0.provider == provider.metadata.name })
        }
        #expect(providerCatalog.models.map(\.provider) == providerTable.flatMap { p in p.metadata.models.map { _ in p.metadata.name } })
        #expect(ModelRegistry.builtIn.models.count == providerCatalog.models.count)
    }

    @Test func aModelAddedWithoutAProviderIsTheFirstServedProvidersOne() throws {
        let catalog = ProviderCatalog(names: ["anthropic", "openai"], models: providerCatalog.models)
        let script = try ScriptLoader.parse(yaml: "responses: {}\nmodels: [{id: mine}]", file: "m.yml", providers: catalog).script
        #expect(script.models.resolve("mine")?.provider == "anthropic")
        #expect(try load("responses: {}\nmodels: [{id: mine}]").models.resolve("mine")?.provider == "openai")
    }

    @Test func aScriptAddsModelsAndAliases() throws {
        let script = try load("""
            responses: {}
            models:
              - id: my-finetune
                provider: anthropic
                aliases: [ft]
                display_name: My finetune
                max_output_tokens: 1000
              - id: gpt-4o
                aliases: [fast]
            """)
        #expect(script.models.resolve("ft")?.id == "my-finetune")
        #expect(script.models.resolve("ft")?.provider == "anthropic")
        #expect(script.models.resolve("ft")?.maxOutputTokens == 1000)
        #expect(script.models.resolve("fast")?.id == "gpt-4o")
        #expect(script.models.models.count == providerCatalog.models.count + 1)
        #expect(script.models.added == 1)
    }

    @Test(arguments: [
        ("models: {a: b}", "must be a list"),
        ("models: [{provider: openai}]", "needs an 'id'"),
        ("models: [{id: x, provider: anthropc}]", "did you mean 'anthropic'"),
        ("models: [{id: x, max_output_tokens: 0}]", "whole number of tokens"),
        ("models: [{id: x, aliases: y}]", "must be a list of names"),
        ("models: [{id: x, aliases: [y]}, {id: z, aliases: [y]}]", "already a name of model 'x'"),
        ("settings: {strict_models: sometimes}", "true or false"),
    ])
    func rejectsBadModelEntries(_ extra: String, _ expected: String) {
        do {
            _ = try load("responses: {}\n" + extra)
            Issue.record("expected an error for \(extra)")
        } catch {
            #expect(error.errors.contains { $0.message.contains(expected) }, "\(error.errors)")
        }
    }

    @Test func strictModelsIsASetting() throws {
        #expect(try load("responses: {}\nsettings: {strict_models: true}").strictModels)
        #expect(try !load("responses: {}").strictModels)
    }
}
