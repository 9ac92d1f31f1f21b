import MockLLMCore
import MockLLMSimulation
import Yams

/// A `pacing:` block (top level, in a model, in a rule):
///
/// ```yaml
/// pacing:
///   ttft_ms: 300                    # time to first token
///   itl_ms: 25                      # between chunks; or tokens_per_second: 40
///   jitter: {distribution: normal, stddev_ms: 5}   # constant | uniform (spread_ms) | normal (stddev_ms) | lognormal (sigma)
///   prefill_ms_per_1k_tokens: 40    # added to the first token's wait per 1,000 prompt tokens
///   chunking: word                  # character (default) | word | token | {characters: 4}
///   seed: 42                        # same seed, same schedule
///   speech_wpm: 150                 # realtime audio: the voice's words per minute
/// ```
package enum PacingSection {
    static let keys = ["ttft_ms", "itl_ms", "tokens_per_second", "jitter", "prefill_ms_per_1k_tokens", "chunking", "seed", "speech_wpm"]

    static func read(_ node: Node, _ what: String, reader: inout ScriptReader) -> PacingSpec? {
        guard let mapping = reader.mapping(node, what) else { return nil }
        reader.checkKeys(mapping, known: keys, in: what)
        var spec = PacingSpec()
        if let n = mapping["ttft_ms"] { spec.timeToFirstToken = milliseconds(n, ScriptReader.path(what, "ttft_ms"), &reader) }
        if let n = mapping["itl_ms"] { spec.interChunk = milliseconds(n, ScriptReader.path(what, "itl_ms"), &reader) }
        if let n = mapping["tokens_per_second"], let rate = reader.number(n, ScriptReader.path(what, "tokens_per_second")) {
            if rate > 0 { spec.tokensPerSecond = rate } else { reader.error("\(ScriptReader.path(what, "tokens_per_second")) must be greater than 0", at: n) }
        }
        if mapping["itl_ms"] != nil && mapping["tokens_per_second"] != nil {
            reader.error("\(what) sets both itl_ms and tokens_per_second; choose one", at: node)
        }
        if let n = mapping["speech_wpm"], let rate = reader.number(n, ScriptReader.path(what, "speech_wpm")) {
            if rate > 0, rate <= 10_000 { spec.speechWordsPerMinute = rate } else {
                reader.error("\(ScriptReader.path(what, "speech_wpm")) must be more than 0 and at most 10000 words per minute", at: n)
            }
        }
        if let n = mapping["prefill_ms_per_1k_tokens"] {
            spec.prefillPerThousandTokens = milliseconds(n, ScriptReader.path(what, "prefill_ms_per_1k_tokens"), &reader)
        }
        if let n = mapping["jitter"] { spec.jitter = jitter(n, ScriptReader.path(what, "jitter"), &reader) }
        if let n = mapping["chunking"] { spec.chunking = chunking(n, ScriptReader.path(what, "chunking"), &reader) }
        if let n = mapping["seed"], let value = reader.number(n, ScriptReader.path(what, "seed")) {
            if value >= 0, value == value.rounded(), value < 9e15 { spec.seed = UInt64(value) } else {
                reader.error("\(ScriptReader.path(what, "seed")) must be a whole number, 0 or more", at: n)
            }
        }
        return spec
    }

    /// A duration in milliseconds (fractions allowed), as nanoseconds.
    static func milliseconds(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> UInt64? {
        guard let value = reader.number(node, what) else { return nil }
        guard value >= 0, value < 86_400_000 else {
            reader.error("\(what) must be between 0 and 86400000 milliseconds, found \(value.plainDecimal)", at: node)
            return nil
        }
        return UInt64((value * 1_000_000).rounded())
    }

    private static func jitter(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> Jitter? {
        if case .scalar = node, node.string == "constant" || node.string == "none" { return .constant }
        guard let mapping = reader.mapping(node, what) else { return nil }
        reader.checkKeys(mapping, known: ["distribution", "spread_ms", "stddev_ms", "sigma"], in: what)
        guard let d = mapping["distribution"], let name = reader.text(d, ScriptReader.path(what, "distribution")) else {
            reader.error("\(what) needs a distribution: constant, uniform, normal or lognormal", at: node)
            return nil
        }
        func required(_ key: String) -> Node? {
            guard let n = mapping[key] else {
                reader.error("\(what) with distribution \(name) needs \(key)", at: node)
                return nil
            }
            return n
        }
        switch name {
        case "constant", "none":
            return .constant
        case "uniform":
            return required("spread_ms").flatMap { milliseconds($0, ScriptReader.path(what, "spread_ms"), &reader) }.map { .uniform(spread: $0) }
        case "normal":
            return required("stddev_ms").flatMap { milliseconds($0, ScriptReader.path(what, "stddev_ms"), &reader) }.map { .normal(stddev: $0) }
        case "lognormal":
            guard let n = required("sigma"), let sigma = reader.number(n, ScriptReader.path(what, "sigma")) else { return nil }
            guard sigma >= 0, sigma <= 5 else {
                reader.error("\(ScriptReader.path(what, "sigma")) must be between 0 and 5", at: n)
                return nil
            }
            return .lognormal(sigma: sigma)
        default:
            var message = "unknown distribution '\(name)' in \(what) (constant, uniform, normal, lognormal)"
            if let guess = ScriptReader.closest(to: name, in: ["constant", "uniform", "normal", "lognormal"]) {
                message += "; did you mean '\(guess)'?"
            }
            reader.error(message, at: d)
            return nil
        }
    }

    static func chunking(_ node: Node, _ what: String, _ reader: inout ScriptReader) -> Chunking? {
        if case .mapping(let mapping) = node {
            reader.checkKeys(mapping, known: ["characters"], in: what)
            guard let n = mapping["characters"], let count = reader.number(n, ScriptReader.path(what, "characters")),
                  count >= 1, count == count.rounded(), count <= 1_000_000 else {
                reader.error("\(what) as a mapping must be {characters: N} with N a whole number, 1 or more", at: node)
                return nil
            }
            return .characters(Int(count))
        }
        guard let name = reader.text(node, what) else { return nil }
        if let parsed = parse(chunking: name) { return parsed }
        reader.error("unknown chunking '\(name)' in \(what) (character, word, token, or {characters: N})", at: node)
        return nil
    }

    /// `character`, `word`, `token` or `characters:N` (the form headers use).
    package static func parse(chunking text: String) -> Chunking? {
        switch text {
        case "character", "char": return .character
        case "word": return .word
        case "token": return .token
        default:
            guard text.hasPrefix("characters:"), let n = Int(text.dropFirst("characters:".count)), n >= 1 else { return nil }
            return .characters(n)
        }
    }
}
