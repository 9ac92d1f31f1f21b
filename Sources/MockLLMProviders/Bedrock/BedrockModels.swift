#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MockLLMCore
import MockLLMScript

/// Bedrock's model ids, and what family's body `InvokeModel` takes for each.
extension Bedrock {
    /// The request and response bodies of `InvokeModel` for a model: its vendor's own format.
    enum Family: Equatable {
        /// Anthropic Messages with `anthropic_version: bedrock-2023-05-31` (`anthropic.`).
        case anthropic
        /// `prompt`, `max_gen_len` -> `generation`, token counts, `stop_reason` (`meta.`).
        case llama
        /// `inputText`, `textGenerationConfig` -> `results` (`amazon.titan-text`).
        case titan
        /// `schemaVersion: messages-v1`, `messages`, `inferenceConfig` -> Converse's shape (`amazon.nova`).
        case nova
        /// `prompt`, `max_tokens` -> `outputs` (`mistral.`).
        case mistral

        /// The family of a model id (with or without a cross-region prefix); nil for a model whose
        /// body the mock does not speak (Converse still serves it).
        init?(model: String) {
            let id = Bedrock.foundationModel(model)
            if id.hasPrefix("anthropic.") { self = .anthropic }
            else if id.hasPrefix("meta.") { self = .llama }
            else if id.hasPrefix("amazon.titan-text") || id.hasPrefix("amazon.titan-tg1") { self = .titan }
            else if id.hasPrefix("amazon.nova") { self = .nova }
            else if id.hasPrefix("mistral.") { self = .mistral }
            else { return nil }
        }
    }

    /// Cross-region inference profiles put a geography before the model id.
    static let regionPrefixes = ["us.", "eu.", "apac.", "us-gov.", "global."]

    /// The model id a path names: percent-decoded (`%3A` is `:`, SDKs escape it), and of an ARN
    /// (`arn:aws:bedrock:us-east-1::foundation-model/ID`, an inference profile's) the last part.
    static func modelID(fromPath raw: String) -> String {
        // On the bytes: `String.contains` and `hasPrefix` are character-wise (and Foundation's),
        // and even `utf8.contains` walks the view an index at a time; memchr and memcmp.
        var raw = raw
        let escaped = raw.withUTF8 { !$0.isEmpty && memchr($0.baseAddress!, Int32(UInt8(ascii: "%")), $0.count) != nil }
        var decoded = escaped ? QueryParameters.percentDecoded(Substring(raw), plusIsSpace: false) : raw
        let arn = decoded.withUTF8 { $0.count >= 4 && memcmp($0.baseAddress!, "arn:", 4) == 0 }
        guard arn, let slash = decoded.lastIndex(of: "/") else { return decoded }
        return String(decoded[decoded.index(after: slash)...])
    }

    /// The foundation model of an id, without its cross-region prefix.
    static func foundationModel(_ id: String) -> Substring {
        for prefix in regionPrefixes where id.hasPrefix(prefix) { return id.dropFirst(prefix.count) }
        return Substring(id)
    }

    /// Bedrock's models the registry starts from, each with its cross-region profile ids as
    /// aliases, so `us.anthropic.claude-...` resolves with no declaration.
    static let defaultModels: [ModelInfo] = [
        model("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", context: 200_000, output: 8_192, created: 1_718_841_600),
        model("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", context: 200_000, output: 8_192, created: 1_729_555_200),
        model("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", context: 200_000, output: 4_096, created: 1_709_769_600),
        model("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", context: 200_000, output: 64_000, created: 1_759_104_000),
        model("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", context: 200_000, output: 64_000, created: 1_759_276_800),
        model("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", context: 8_192, output: 2_048, created: 1_713_744_000),
        model("meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct", context: 8_192, output: 2_048, created: 1_713_744_000),
        model("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", context: 128_000, output: 2_048, created: 1_721_692_800),
        model("amazon.nova-micro-v1:0", "Nova Micro", context: 128_000, output: 5_000, created: 1_733_184_000),
        model("amazon.nova-lite-v1:0", "Nova Lite", context: 300_000, output: 5_000, created: 1_733_184_000),
        model("amazon.nova-pro-v1:0", "Nova Pro", context: 300_000, output: 5_000, created: 1_733_184_000),
        model("amazon.titan-text-express-v1", "Titan Text G1 - Express", context: 8_192, output: 8_192, created: 1_701_302_400),
        model("amazon.titan-text-lite-v1", "Titan Text G1 - Lite", context: 4_096, output: 4_096, created: 1_701_302_400),
        model("mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", context: 32_000, output: 8_192, created: 1_709_078_400),
        model("mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", context: 32_000, output: 4_096, created: 1_709_078_400),
        model("mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", context: 32_000, output: 8_192, created: 1_709_078_400),
    ]

    private static func model(_ id: String, _ name: String, context: Int, output: Int, created: Int) -> ModelInfo {
        ModelInfo(id: id, aliases: regionPrefixes.map { $0 + id }, displayName: name, contextWindow: context,
                  maxOutputTokens: output, created: created)
    }
}
