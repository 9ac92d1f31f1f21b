import MockLLMScript

/// What `settings.strict_models` says about a request's model and `max_tokens`; each provider
/// words the refusal the way its real API does.
enum ModelCheck: Equatable {
    case accepted
    case unknownModel
    /// `max_tokens` above what the model can produce.
    case tooManyTokens(limit: Int)

    /// - Parameter provider: the provider answering; a model of another provider is unknown to it,
    ///   as `gpt-4o` is to Anthropic's API.
    static func check(model: String, maxTokens: Int?, provider: String, script: Script) -> ModelCheck {
        guard script.strictModels else { return .accepted }
        guard let info = script.models.resolve(model), info.provider == provider else { return .unknownModel }
        if let maxTokens, maxTokens > info.maxOutputTokens { return .tooManyTokens(limit: info.maxOutputTokens) }
        return .accepted
    }
}
