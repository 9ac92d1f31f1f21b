import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// What Ollama shows of a model beyond the registry's limits: its GGUF details, size,
/// capabilities, prompt template and stop parameters. The built-in models have their real
/// figures; a script's own `provider: ollama` models get plausible ones derived from the name.
/// Names resolve as Ollama resolves them: `llama3.2` is `llama3.2:latest`. Embedding models
/// (capability `embedding`) have their real vector length as `embeddingLength`; `/api/embed`
/// gives every model vectors of that length.
struct OllamaCatalog {
    enum Template {
        case llama3, chatml, gemma, mistral
        /// An embedding model's: the prompt as it is.
        case prompt
    }

    var family: String
    var parameterSize: String
    var parameterCount: Int
    var quantization: String
    var size: Int
    var embeddingLength: Int
    var blockCount: Int
    var capabilities: [String]
    var template: Template

    static let known: [String: OllamaCatalog] = [
        "llama3.2:latest": OllamaCatalog(
            family: "llama", parameterSize: "3.2B", parameterCount: 3_212_749_888, quantization: "Q4_K_M", size: 2_019_393_189,
            embeddingLength: 3072, blockCount: 28, capabilities: ["completion", "tools"], template: .llama3),
        "llama3.1:8b": OllamaCatalog(
            family: "llama", parameterSize: "8.0B", parameterCount: 8_030_261_248, quantization: "Q4_K_M", size: 4_920_753_328,
            embeddingLength: 4096, blockCount: 32, capabilities: ["completion", "tools"], template: .llama3),
        "qwen2.5:latest": OllamaCatalog(
            family: "qwen2", parameterSize: "7.6B", parameterCount: 7_615_616_512, quantization: "Q4_K_M", size: 4_683_087_332,
            embeddingLength: 3584, blockCount: 28, capabilities: ["completion", "tools"], template: .chatml),
        "mistral:latest": OllamaCatalog(
            family: "llama", parameterSize: "7.2B", parameterCount: 7_248_023_552, quantization: "Q4_K_M", size: 4_113_301_824,
            embeddingLength: 4096, blockCount: 32, capabilities: ["completion", "tools"], template: .mistral),
        "gemma3:latest": OllamaCatalog(
            family: "gemma3", parameterSize: "4.3B", parameterCount: 4_299_915_632, quantization: "Q4_K_M", size: 3_338_801_804,
            embeddingLength: 2560, blockCount: 34, capabilities: ["completion", "vision"], template: .gemma),
        "nomic-embed-text:latest": OllamaCatalog(
            family: "nomic-bert", parameterSize: "137M", parameterCount: 136_727_040, quantization: "F16", size: 274_302_450,
            embeddingLength: 768, blockCount: 12, capabilities: ["embedding"], template: .prompt),
        "mxbai-embed-large:latest": OllamaCatalog(
            family: "bert", parameterSize: "334M", parameterCount: 334_090_240, quantization: "F16", size: 669_615_493,
            embeddingLength: 1024, blockCount: 24, capabilities: ["embedding"], template: .prompt),
        "all-minilm:latest": OllamaCatalog(
            family: "bert", parameterSize: "23M", parameterCount: 22_565_376, quantization: "F16", size: 45_960_996,
            embeddingLength: 384, blockCount: 6, capabilities: ["embedding"], template: .prompt),
    ]

    /// The entry for `model`: its own, an embedding model's under another tag
    /// (`nomic-embed-text:v1.5`), or one made up from its name (family: the name before its tag
    /// and version digits; 7B, Q4_K_M; a size from its digest).
    static func entry(for model: ModelInfo) -> OllamaCatalog {
        if let known = known[model.id] { return known }
        let base = model.id.split(separator: ":").first.map(String.init) ?? model.id
        if let embedding = known[base + ":latest"], embedding.capabilities == ["embedding"] { return embedding }
        let family = String(base.split(separator: "/").last ?? Substring(base)).prefix { $0.isLetter }.lowercased()
        let size = 4_000_000_000 + Int(SHA256.hash(Array(model.id.utf8)).prefix(3).reduce(0) { $0 << 8 | Int($1) })
        return OllamaCatalog(
            family: family.isEmpty ? "llama" : family, parameterSize: "7B", parameterCount: 7_000_000_000, quantization: "Q4_K_M",
            size: size, embeddingLength: 4096, blockCount: 32, capabilities: ["completion", "tools"], template: .chatml)
    }

    /// The registry's Ollama model named `name`, by id or alias, or with `:latest` added to a
    /// name without a tag.
    static func resolve(_ name: String, in registry: ModelRegistry) -> ModelInfo? {
        if let model = registry.resolve(name), model.provider == Ollama.metadata.name { return model }
        if !name.contains(":"), let model = registry.resolve(name + ":latest"), model.provider == Ollama.metadata.name { return model }
        return nil
    }

    /// The model `name` is, for endpoints that answer any name: the registry's, or with
    /// `settings.strict_models` nil, else one made up with the name's tag (`:latest` when it has
    /// none) and a 32,768-token context.
    static func model(named name: String, in script: Script) -> ModelInfo? {
        if let known = resolve(name, in: script.models) { return known }
        guard !script.strictModels else { return nil }
        return ModelInfo(id: name.contains(":") ? name : name + ":latest", provider: Ollama.metadata.name,
                         contextWindow: 32_768, maxOutputTokens: 32_768, created: ModelRegistry.scriptModelCreated)
    }

    /// The model's digest: SHA-256 of its name, as hex.
    static func digest(of model: ModelInfo) -> String { SHA256.hex(model.id) }

    /// `modified_at`: the model's `created` second plus a fraction from its digest, as Go writes
    /// a file's modification time.
    static func modifiedAt(_ model: ModelInfo) -> String {
        let fraction = SHA256.hash(Array(model.id.utf8)).prefix(4).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } % 1_000_000_000
        return OllamaTiming.timestamp(seconds: model.created, plus: fraction)
    }

    /// `"details":{...}`; `context_length` only where the listing has it.
    func writeDetails(contextLength: Int?, into out: inout ByteBuffer) {
        out.append(ascii: "{\"parent_model\":\"\",\"format\":\"gguf\",\"family\":")
        out.append(jsonString: family)
        out.append(ascii: ",\"families\":[")
        out.append(jsonString: family)
        out.append(ascii: "],\"parameter_size\":")
        out.append(jsonString: parameterSize)
        out.append(ascii: ",\"quantization_level\":")
        out.append(jsonString: quantization)
        if let contextLength {
            out.append(ascii: ",\"context_length\":")
            out.append(decimal: contextLength)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// The prompt template, as `ollama show --template` prints it.
    var templateText: String {
        switch template {
        case .llama3:
            "{{ if .System }}<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>{{ end }}"
                + "{{ if .Prompt }}<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>{{ end }}"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>"
        case .chatml:
            "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}"
                + "{{ if .Prompt }}<|im_start|>user\n{{ .Prompt }}<|im_end|>\n{{ end }}<|im_start|>assistant\n{{ .Response }}<|im_end|>\n"
        case .gemma:
            "{{ if .System }}<start_of_turn>user\n{{ .System }}\n{{ end }}"
                + "{{ if .Prompt }}<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n{{ end }}<start_of_turn>model\n{{ .Response }}<end_of_turn>\n"
        case .mistral:
            "[INST] {{ if .System }}{{ .System }} {{ end }}{{ .Prompt }}[/INST] {{ .Response }}"
        case .prompt:
            "{{ .Prompt }}"
        }
    }

    /// The template's stop parameters.
    var stops: [String] {
        switch template {
        case .llama3: ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]
        case .chatml: ["<|im_start|>", "<|im_end|>"]
        case .gemma: ["<end_of_turn>"]
        case .mistral: ["[INST]", "[/INST]"]
        case .prompt: []
        }
    }
}
