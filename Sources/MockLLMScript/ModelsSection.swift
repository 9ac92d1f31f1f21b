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
/// ```
enum ModelsSection {
    static let keys = ["id", "provider", "aliases", "display_name", "context_window", "max_output_tokens", "pacing", "engine"]

    /// - Parameter engines: the names of the script's `engines:` an entry's `engine:` may name.
    static func read(_ node: Node, providers: [String]?, engines: [String] = [], reader: inout ScriptReader) -> [ModelAddition] {
        guard case .sequence(let entries) = node else {
            reader.error("'models' must be a list of models, found \(reader.describe(node))", at: node)
            return []
        }
        var additions: [ModelAddition] = []
        var claimed: [String: String] = [:]  // alias or id -> the model that claimed it in this section
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
