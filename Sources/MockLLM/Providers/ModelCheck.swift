/// What `settings.strict_models` says about a request's model and `max_tokens`; each provider
/// words the refusal the way its real API does.
enum ModelCheck: Equatable {
    case accepted
    case unknownModel
    /// `max_tokens` above what the model can produce.
    case tooManyTokens(limit: Int)

    static func check(model: String, maxTokens: Int?, script: Script) -> ModelCheck {
        guard script.strictModels else { return .accepted }
        guard let info = script.models.resolve(model) else { return .unknownModel }
        if let maxTokens, maxTokens > info.maxOutputTokens { return .tooManyTokens(limit: info.maxOutputTokens) }
        return .accepted
    }
}
