import MockLLMCore
import Yams

/// The script's `models:` section: models added to those the served providers declare, or
/// aliases and limits given to theirs.
///
/// ```yaml
/// models:
///   - id: my-finetune            # required
///     provider: openai           # whose wire shape it belongs to (default: the first provider, openai)
///     aliases: [ft, finetune]
///     display_name: My finetune
///     context_window: 32000
///     max_output_tokens: 4096
///   - id: gpt-4o                 # a provider's model: adds an alias
///     aliases: [fast]
///   - id: llama                  # a model on a serving engine...
///     engine: h100
///   - id: sql-lora               # ...and a LoRA adapter of it (vLLM's --lora-modules)
///     parent: llama
///     lora_path: /adapters/sql   # `root` in /v1/models (default: the id)
/// ```
enum ModelsSection {
    static let keys = ["id", "provider", "aliases", "display_name", "context_window", "max_output_tokens", "pacing", "engine",
                       "parent", "lora_path"]

    /// - Parameter engines: the names of the script's `engines:` an entry's `engine:` may name.
    static func read(_ node: Node, providers: [String]?, engines: [String] = [], reader: inout ScriptReader) -> [ModelAddition] {
        guard case .sequence(let entries) = node else {
            reader.error("'models' must be a list of models, found \(reader.describe(node))", at: node)
            return []
        }
        var additions: [ModelAddition] = []
        var claimed: [String: String] = [:]  // alias or id -> the model that claimed it in this section
        var parents: [(index: Int, node: Node, what: String)] = []  // adapters, checked once every entry is read
        for (i, entry) in entries.enumerated() {
            let what = "models[\(i)]"
            guard let mapping = reader.mapping(entry, "'\(what)'") else { continue }
            reader.checkKeys(mapping, known: keys, in: "'\(what)'")
            guard let idNode = mapping["id"] else {
                reader.error("'\(what)' needs an 'id'", at: entry)
                continue
            }
            guard let id = reader.text(idNode, "'\(what).id'") else { continue }
            var addition = ModelAddition(id: id)
            if let node = mapping["provider"], let provider = reader.text(node, "'\(what).provider'") {
                if let providers, !providers.contains(provider) {
                    var message = "unknown provider '\(provider)' in '\(what).provider' (known: \(providers.joined(separator: ", ")))"
                    if let suggestion = ScriptReader.closest(to: provider, in: providers) { message += "; did you mean '\(suggestion)'?" }
                    reader.error(message, at: node)
                } else {
                    addition.provider = provider
                }
            }
            if let node = mapping["aliases"] {
                addition.aliases = readAliases(node, what: what, reader: &reader)
            }
            if let node = mapping["display_name"] { addition.displayName = reader.text(node, "'\(what).display_name'") }
            if let node = mapping["context_window"] { addition.contextWindow = positive(node, "'\(what).context_window'", &reader) }
            if let node = mapping["pacing"] { addition.pacing = PacingSection.read(node, "'\(what).pacing'", reader: &reader) }
            if let node = mapping["engine"], let engine = reader.text(node, "'\(what).engine'") {
                if engines.contains(engine) {
                    addition.engine = engine
                } else {
                    var message = engines.isEmpty
                        ? "unknown engine '\(engine)' in '\(what).engine': the script has no 'engines' section"
                        : "unknown engine '\(engine)' in '\(what).engine' (known: \(engines.sorted().joined(separator: ", ")))"
                    if let suggestion = ScriptReader.closest(to: engine, in: engines) { message += "; did you mean '\(suggestion)'?" }
                    reader.error(message, at: node)
                }
            }
            if let node = mapping["parent"], let parent = reader.text(node, "'\(what).parent'") {
                addition.parent = parent
                if mapping["engine"] != nil {
                    reader.error("'\(what)' is a LoRA adapter: it runs on its parent's engine, so it takes no 'engine'", at: mapping["engine"])
                }
                parents.append((additions.count, node, what))
            }
            if let node = mapping["lora_path"], let path = reader.text(node, "'\(what).lora_path'") {
                if mapping["parent"] == nil {
                    reader.error("'\(what).lora_path' is an adapter's path: '\(what)' needs a 'parent' (the base model)", at: node)
                }
                addition.loraPath = path
            }
            if let node = mapping["max_output_tokens"] {
                addition.maxOutputTokens = positive(node, "'\(what).max_output_tokens'", &reader)
            }
            for name in [id] + addition.aliases {
                if let owner = claimed[name], owner != id {
                    reader.error("'\(name)' is already a name of model '\(owner)' in 'models'", at: entry)
                }
                claimed[name] = id
            }
            additions.append(addition)
        }
        // An adapter's parent is a model of this section that runs on an engine (vLLM serves
        // adapters only with the base model it runs); the adapter takes its engine and provider.
        for (index, node, what) in parents {
            let name = additions[index].parent!
            guard let base = additions.first(where: { $0.id == name || $0.aliases.contains(name) }) else {
                var message = "unknown parent '\(name)' in '\(what).parent': it must be a model of 'models' with an 'engine'"
                if let suggestion = ScriptReader.closest(to: name, in: additions.map(\.id)) { message += "; did you mean '\(suggestion)'?" }
                reader.error(message, at: node)
                continue
            }
            guard base.parent == nil else {
                reader.error("'\(what).parent' names '\(name)', itself an adapter: a parent must be a base model", at: node)
                continue
            }
            guard let engine = base.engine else {
                reader.error("'\(what).parent' names '\(name)', which has no 'engine': LoRA adapters need their base model on a serving engine", at: node)
                continue
            }
            additions[index].parent = base.id
            additions[index].engine = engine
            if additions[index].provider == nil { additions[index].provider = base.provider }
        }
        return additions
    }

    private static func readAliases(_ node: Node, what: String, reader: inout ScriptReader) -> [String] {
        guard case .sequence(let items) = node else {
            reader.error("'\(what).aliases' must be a list of names, found \(reader.describe(node))", at: node)
            return []
        }
        return items.compactMap { reader.text($0, "an alias in '\(what).aliases'") }
    }

    private static func positive(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> Int? {
        guard let value = reader.number(node, what) else { return nil }
        guard value >= 1, value == value.rounded(), value < 1e12 else {
            reader.error("\(what) must be a whole number of tokens, 1 or more, found \(value.plainDecimal)", at: node)
            return nil
        }
        return Int(value)
    }
}
