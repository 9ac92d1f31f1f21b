import MockLLMSimulation

/// A model the mock knows: which provider's protocol it belongs to, its aliases and limits.
package struct ModelInfo: Sendable, Equatable {
    package var id: String
    /// The provider whose wire shape serves it where several could (`openai`, `anthropic`, ...).
    package var provider: String
    package var aliases: [String]
    package var displayName: String
    /// Prompt plus reply, in tokens.
    package var contextWindow: Int
    package var maxOutputTokens: Int
    /// Unix seconds: OpenAI's `created`, Anthropic's `created_at`.
    package var created: Int
    /// The script's `pacing:` for this model.
    package var pacing: PacingSpec?
    /// The `engines:` entry this model runs on (`engine:` in its `models:` entry), if any.
    package var engine: String?
    /// A LoRA adapter's base model (`parent:`), which runs on the same engine; nil for a model.
    package var parent: String?
    /// An adapter's path (`lora_path:`, vLLM's `root` in `/v1/models`).
    package var loraPath: String?

    /// - Parameter provider: "" in a provider's own list (`ProviderMetadata` fills in its name).
    package init(
        id: String, provider: String = "", aliases: [String] = [], displayName: String? = nil,
        contextWindow: Int, maxOutputTokens: Int, created: Int
    ) {
        self.id = id
        self.provider = provider
        self.aliases = aliases
        self.displayName = displayName ?? id
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.created = created
    }
}

/// The models of a script: those the served providers declare plus the script's `models:`
/// section. A request naming a model or an alias is resolved here; replies still echo the name
/// the client sent.
package struct ModelRegistry: Sendable {
    package let models: [ModelInfo]
    private let index: [String: Int]
    /// Whether any model has its own pacing (most scripts: none, and the lookup is skipped).
    let hasPacing: Bool
    /// How many models the script's `models:` section added (new ids, not changes to known ones).
    package let added: Int

    package init(_ models: [ModelInfo], added: Int = 0) {
        self.models = models
        self.added = added
        var index: [String: Int] = [:]
        for (i, model) in models.enumerated() {
            for alias in model.aliases where index[alias] == nil { index[alias] = i }
        }
        for (i, model) in models.enumerated() { index[model.id] = i }  // an id beats an alias
        self.index = index
        hasPacing = models.contains { $0.pacing != nil }
    }

    /// `base` with `additions` applied: a new id is appended (as `defaultProvider`'s when it
    /// names none); an existing id (or alias) gets the addition's aliases and any limits it sets.
    package init(_ base: [ModelInfo], adding additions: [ModelAddition], defaultProvider: String) {
        var models = base
        for addition in additions {
            if let i = models.firstIndex(where: { $0.id == addition.id || $0.aliases.contains(addition.id) }) {
                models[i].aliases += addition.aliases.filter { !models[i].aliases.contains($0) }
                if let v = addition.provider { models[i].provider = v }
                if let v = addition.displayName { models[i].displayName = v }
                if let v = addition.contextWindow { models[i].contextWindow = v }
                if let v = addition.maxOutputTokens { models[i].maxOutputTokens = v }
                if let v = addition.pacing { models[i].pacing = v }
                if let v = addition.engine { models[i].engine = v }
                if let v = addition.parent { models[i].parent = v }
                if let v = addition.loraPath { models[i].loraPath = v }
            } else {
                models.append(ModelInfo(
                    id: addition.id, provider: addition.provider ?? defaultProvider, aliases: addition.aliases,
                    displayName: addition.displayName, contextWindow: addition.contextWindow ?? 128_000,
                    maxOutputTokens: addition.maxOutputTokens ?? 16_384, created: ModelRegistry.scriptModelCreated))
                models[models.count - 1].pacing = addition.pacing
                models[models.count - 1].engine = addition.engine
                models[models.count - 1].parent = addition.parent
                models[models.count - 1].loraPath = addition.loraPath
            }
        }
        self.init(models, added: models.count - base.count)
    }

    /// The model named `name`, by id or alias.
    package func resolve(_ name: String) -> ModelInfo? {
        index[name].map { models[$0] }
    }

    package func models(of provider: String) -> [ModelInfo] {
        models.filter { $0.provider == provider }
    }

    /// `created` for models added by a script: 2026-01-01T00:00:00Z, fixed so listings are stable.
    package static let scriptModelCreated = 1_767_225_600
}

/// One entry of a script's `models:` section.
package struct ModelAddition: Sendable, Equatable {
    package var id: String
    package var provider: String?
    package var aliases: [String]
    package var displayName: String?
    package var contextWindow: Int?
    package var maxOutputTokens: Int?
    package var pacing: PacingSpec?
    package var engine: String?
    package var parent: String?
    package var loraPath: String?

    package init(
        id: String, provider: String? = nil, aliases: [String] = [], displayName: String? = nil,
        contextWindow: Int? = nil, maxOutputTokens: Int? = nil
    ) {
        self.id = id
        self.provider = provider
        self.aliases = aliases
        self.displayName = displayName
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
    }
}

/// The providers a script is read for: their names, in table order (what a rule's, a fault's or
/// a `models:` entry's `provider:` may name; a model the section adds without one is the
/// first's), and the models they declare, which the section extends.
package struct ProviderCatalog: Sendable, ExpressibleByArrayLiteral {
    package var names: [String]
    package var models: [ModelInfo]

    package init(names: [String], models: [ModelInfo] = []) {
        self.names = names
        self.models = models
    }

    /// Names only: no model is declared.
    package init(arrayLiteral names: String...) {
        self.init(names: names)
    }
}
