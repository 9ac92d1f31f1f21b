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

    package init(
        id: String, provider: String, aliases: [String] = [], displayName: String? = nil,
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

/// The models of a script: the built-in defaults plus the script's `models:` section.
/// A request naming a model or an alias is resolved here; replies still echo the name the
/// client sent.
package struct ModelRegistry: Sendable {
    package let models: [ModelInfo]
    private let index: [String: Int]
    /// Whether any model has its own pacing (most scripts: none, and the lookup is skipped).
    let hasPacing: Bool

    package init(_ models: [ModelInfo]) {
        self.models = models
        var index: [String: Int] = [:]
        for (i, model) in models.enumerated() {
            for alias in model.aliases where index[alias] == nil { index[alias] = i }
        }
        for (i, model) in models.enumerated() { index[model.id] = i }  // an id beats an alias
        self.index = index
        hasPacing = models.contains { $0.pacing != nil }
    }

    /// The defaults with `additions` applied: a new id is appended; an existing id (or alias)
    /// gets the addition's aliases and any limits it sets.
    package init(defaultsWith additions: [ModelAddition]) {
        var models = ModelRegistry.defaults
        for addition in additions {
            if let i = models.firstIndex(where: { $0.id == addition.id || $0.aliases.contains(addition.id) }) {
                models[i].aliases += addition.aliases.filter { !models[i].aliases.contains($0) }
                if let v = addition.provider { models[i].provider = v }
                if let v = addition.displayName { models[i].displayName = v }
                if let v = addition.contextWindow { models[i].contextWindow = v }
                if let v = addition.maxOutputTokens { models[i].maxOutputTokens = v }
                if let v = addition.pacing { models[i].pacing = v }
            } else {
                models.append(ModelInfo(
                    id: addition.id, provider: addition.provider ?? "openai", aliases: addition.aliases,
                    displayName: addition.displayName, contextWindow: addition.contextWindow ?? 128_000,
                    maxOutputTokens: addition.maxOutputTokens ?? 16_384, created: ModelRegistry.scriptModelCreated))
                models[models.count - 1].pacing = addition.pacing
            }
        }
        self.init(models)
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

extension ModelRegistry {
    /// The original mockllm's registry (names, aliases, context windows), plus current models.
    package static let defaults: [ModelInfo] = [
        ModelInfo(id: "gpt-3.5-turbo", provider: "openai", aliases: ["gpt-3.5", "turbo"], displayName: "GPT-3.5 Turbo",
                  contextWindow: 4_096, maxOutputTokens: 4_096, created: 1_677_610_602),
        ModelInfo(id: "gpt-4", provider: "openai", aliases: ["gpt-4-0613"], displayName: "GPT-4",
                  contextWindow: 8_192, maxOutputTokens: 8_192, created: 1_687_882_411),
        ModelInfo(id: "gpt-4-turbo", provider: "openai", aliases: ["gpt-4-turbo-preview", "gpt-4-1106"], displayName: "GPT-4 Turbo",
                  contextWindow: 128_000, maxOutputTokens: 4_096, created: 1_712_361_441),
        ModelInfo(id: "gpt-4o", provider: "openai", displayName: "GPT-4o",
                  contextWindow: 128_000, maxOutputTokens: 16_384, created: 1_715_367_049),
        ModelInfo(id: "gpt-4o-mini", provider: "openai", displayName: "GPT-4o mini",
                  contextWindow: 128_000, maxOutputTokens: 16_384, created: 1_721_172_741),
        ModelInfo(id: "gpt-4.1", provider: "openai", displayName: "GPT-4.1",
                  contextWindow: 1_047_576, maxOutputTokens: 32_768, created: 1_744_316_542),
        ModelInfo(id: "gpt-4.1-mini", provider: "openai", displayName: "GPT-4.1 mini",
                  contextWindow: 1_047_576, maxOutputTokens: 32_768, created: 1_744_318_173),
        ModelInfo(id: "claude-3-sonnet-20240229", provider: "anthropic", aliases: ["claude-3-sonnet", "sonnet"],
                  displayName: "Claude 3 Sonnet", contextWindow: 200_000, maxOutputTokens: 4_096, created: 1_709_164_800),
        ModelInfo(id: "claude-3-opus-20240229", provider: "anthropic", aliases: ["claude-3-opus", "opus"],
                  displayName: "Claude 3 Opus", contextWindow: 200_000, maxOutputTokens: 4_096, created: 1_709_164_800),
        ModelInfo(id: "claude-3-haiku-20240307", provider: "anthropic", aliases: ["claude-3-haiku", "haiku"],
                  displayName: "Claude 3 Haiku", contextWindow: 200_000, maxOutputTokens: 4_096, created: 1_709_769_600),
        ModelInfo(id: "claude-2.1", provider: "anthropic", displayName: "Claude 2.1",
                  contextWindow: 200_000, maxOutputTokens: 4_096, created: 1_700_524_800),
        ModelInfo(id: "claude-2.0", provider: "anthropic", displayName: "Claude 2.0",
                  contextWindow: 100_000, maxOutputTokens: 4_096, created: 1_689_033_600),
        ModelInfo(id: "claude-sonnet-4-5-20250929", provider: "anthropic", aliases: ["claude-sonnet-4-5"],
                  displayName: "Claude Sonnet 4.5", contextWindow: 200_000, maxOutputTokens: 64_000, created: 1_759_104_000),
        ModelInfo(id: "claude-haiku-4-5-20251001", provider: "anthropic", aliases: ["claude-haiku-4-5"],
                  displayName: "Claude Haiku 4.5", contextWindow: 200_000, maxOutputTokens: 64_000, created: 1_759_276_800),
        // Ollama's: ids with their tags; a name without a tag means `:latest`, as Ollama resolves it.
        ModelInfo(id: "llama3.2:latest", provider: "ollama", aliases: ["llama3.2"], displayName: "Llama 3.2 3B",
                  contextWindow: 131_072, maxOutputTokens: 131_072, created: 1_727_222_400),
        ModelInfo(id: "llama3.1:8b", provider: "ollama", displayName: "Llama 3.1 8B",
                  contextWindow: 131_072, maxOutputTokens: 131_072, created: 1_721_692_800),
        ModelInfo(id: "qwen2.5:latest", provider: "ollama", aliases: ["qwen2.5"], displayName: "Qwen2.5 7B",
                  contextWindow: 32_768, maxOutputTokens: 32_768, created: 1_726_704_000),
        ModelInfo(id: "mistral:latest", provider: "ollama", aliases: ["mistral"], displayName: "Mistral 7B",
                  contextWindow: 32_768, maxOutputTokens: 32_768, created: 1_716_336_000),
        ModelInfo(id: "gemma3:latest", provider: "ollama", aliases: ["gemma3"], displayName: "Gemma 3 4B",
                  contextWindow: 131_072, maxOutputTokens: 131_072, created: 1_741_737_600),
        // Ollama's embedding models (`/api/embed`): the context is what one input may hold.
        ModelInfo(id: "nomic-embed-text:latest", provider: "ollama", aliases: ["nomic-embed-text"], displayName: "Nomic Embed Text v1.5",
                  contextWindow: 2_048, maxOutputTokens: 2_048, created: 1_707_955_200),
        ModelInfo(id: "mxbai-embed-large:latest", provider: "ollama", aliases: ["mxbai-embed-large"], displayName: "mxbai-embed-large 335M",
                  contextWindow: 512, maxOutputTokens: 512, created: 1_709_856_000),
        // Gemini: the context window is the input token limit.
        ModelInfo(id: "gemini-2.5-pro", provider: "gemini", aliases: ["gemini-pro-latest"], displayName: "Gemini 2.5 Pro",
                  contextWindow: 1_048_576, maxOutputTokens: 65_536, created: 1_750_118_400),
        ModelInfo(id: "gemini-2.5-flash", provider: "gemini", aliases: ["gemini-flash-latest"], displayName: "Gemini 2.5 Flash",
                  contextWindow: 1_048_576, maxOutputTokens: 65_536, created: 1_750_118_400),
        ModelInfo(id: "gemini-2.5-flash-lite", provider: "gemini", aliases: ["gemini-flash-lite-latest"], displayName: "Gemini 2.5 Flash-Lite",
                  contextWindow: 1_048_576, maxOutputTokens: 65_536, created: 1_753_142_400),
        ModelInfo(id: "gemini-2.0-flash", provider: "gemini", aliases: ["gemini-2.0-flash-001"], displayName: "Gemini 2.0 Flash",
                  contextWindow: 1_048_576, maxOutputTokens: 8_192, created: 1_738_713_600),
        ModelInfo(id: "gemini-1.5-pro", provider: "gemini", aliases: ["gemini-1.5-pro-latest", "gemini-1.5-pro-002"], displayName: "Gemini 1.5 Pro",
                  contextWindow: 2_097_152, maxOutputTokens: 8_192, created: 1_727_136_000),
        // Gemini's embedding models (`embedContent`, `batchEmbedContents`), listed as Google lists them.
        ModelInfo(id: "gemini-embedding-001", provider: "gemini", displayName: "Gemini Embedding 001",
                  contextWindow: 2_048, maxOutputTokens: 1, created: 1_752_451_200),
        ModelInfo(id: "text-embedding-004", provider: "gemini", displayName: "Text Embedding 004",
                  contextWindow: 2_048, maxOutputTokens: 1, created: 1_712_620_800),
    ]
}
