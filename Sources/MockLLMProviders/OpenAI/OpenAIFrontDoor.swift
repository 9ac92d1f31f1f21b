import MockLLMCore
import MockLLMScript

/// A provider that serves OpenAI's protocol behind a door of its own: OpenAI itself, or a
/// cloud that hosts the same models (Azure OpenAI). The OpenAI handlers are generic over it,
/// so one decoding, one reply and one stream serve every door; the door decides only what
/// differs: which model a request is served as (and whether it may be), the envelope of its
/// errors (`Provider.errorReply`), its rate-limit wording, and the annotations its replies add.
protocol OpenAIFrontDoor: Provider {
    /// The model a request naming `model` in its body is served as, checked and admitted, with
    /// headers its reply carries; or the refusal. Called before the script answers, so a refused
    /// request does not use up a sequence's reply.
    /// - Parameters:
    ///   - maxTokens: the request's limit on what it generates (`max_tokens`, `max_output_tokens`).
    ///   - promptTokens: the prompt's estimated tokens, worked out only when a door counts them.
    static func admit(
        model: String, maxTokens: Int?, for operation: OpenAIOperation, promptTokens: () -> Int, context: inout ProviderContext
    ) throws(Refusal) -> OpenAIAdmission

    /// The model of a request whose body names none, from its path (an Azure deployment's
    /// name); nil where the body must name it (OpenAI's own paths).
    static func impliedModel(_ context: ProviderContext) -> String?

    /// What this door's replies add to OpenAI's objects; `.none` for OpenAI itself.
    static var annotations: OpenAIAnnotations { get }

    /// What starts the choice of a stream's finish event when a content filter stopped the
    /// output for `category` (members each followed by a comma, as `OpenAIAnnotations`'s).
    static func filteredChoice(category: String) -> [UInt8]
}

/// What a request served behind an `OpenAIFrontDoor` asks for.
enum OpenAIOperation: Sendable {
    case chatCompletion, completion, response, embeddings

    /// The parameter that limits what it generates, as refusals name it.
    var maxTokensField: String {
        switch self {
        case .chatCompletion, .completion: "max_tokens"
        case .response: "max_output_tokens"
        case .embeddings: "input"
        }
    }

    /// What that parameter counts, as refusals name it (the Responses API's "output tokens").
    var limitedTokens: String { self == .response ? "output" : "completion" }
}

/// A request's admission through an `OpenAIFrontDoor`.
struct OpenAIAdmission {
    /// The model the reply names and the script is asked for.
    var model: String
    /// Headers the reply carries (a deployment's remaining limits).
    var headers = HTTPFields()
}

extension ChatPlan {
    /// Adds the headers of the request's admission to the reply's.
    mutating func carry(_ admission: OpenAIAdmission) {
        for field in admission.headers { rateLimitHeaders.append(name: field.name, value: field.value) }
    }
}

/// JSON members a front door adds to OpenAI's reply objects, already written: Azure's content
/// filter results. Every field is the bytes of one or more members, each followed by a comma,
/// so that they go in front of a member OpenAI writes; empty adds nothing.
struct OpenAIAnnotations: Sendable {
    /// Written at the start of a `chat.completion` object (Azure: `"prompt_filter_results":[...],`).
    var object: [UInt8] = []
    /// Written at the start of a choice that carries text (Azure: `"content_filter_results":{...},`).
    var choice: [UInt8] = []
    /// Written at the start of a stream chunk's choice without text: the role and finish chunks
    /// (Azure: `"content_filter_results":{},`).
    var emptyChoice: [UInt8] = []
    /// A whole event sent before a stream's first chunk (Azure: the chunk with empty `choices`
    /// and `prompt_filter_results`).
    var streamPreamble: [UInt8] = []

    static let none = OpenAIAnnotations()
}

extension OpenAIChat: OpenAIFrontDoor {
    static func impliedModel(_ context: ProviderContext) -> String? { nil }

    /// The model the body names, checked with `settings.strict_models` (embeddings: any name
    /// gets vectors, as the original served them).
    static func admit(
        model: String, maxTokens: Int?, for operation: OpenAIOperation, promptTokens: () -> Int, context: inout ProviderContext
    ) throws(Refusal) -> OpenAIAdmission {
        if operation != .embeddings {
            try checkModel(model: model, maxTokens: maxTokens, field: operation.maxTokensField, tokens: operation.limitedTokens,
                           context: context)
        }
        return OpenAIAdmission(model: model)
    }

    static var annotations: OpenAIAnnotations { .none }

    /// OpenAI's filtered chunk says only `finish_reason: content_filter`.
    static func filteredChoice(category: String) -> [UInt8] { [] }
}
