/// The answers the server gives: an immutable, shareable snapshot of a `responses.yml`.
///
/// A reload builds a new `Script` and swaps it in; a request or stream keeps the snapshot it
/// started with. A class, so that handing the snapshot to each request costs one reference.
public final class Script: Sendable {
    /// The reply when nothing matches and the file sets no `defaults.unknown_response`.
    public static let builtInDefaultReply = "I don't know the answer to that."

    /// Exact prompt to reply: the original's `responses:` map (case- and whitespace-sensitive).
    public let responses: [String: String]
    /// `defaults.unknown_response`.
    public let defaultReply: String
    /// `settings.lag_enabled` / `settings.lag_factor`.
    public let pacing: Pacing
    /// Where the script came from, for logs: a path, or a description of the embedded default.
    public let origin: String
    /// The built-in models plus the script's `models:` section.
    public let models: ModelRegistry
    /// `settings.strict_models`: unknown models and `max_tokens` above a model's limit are errors.
    public let strictModels: Bool
    /// The replies with their token counts, counted once at load rather than per request.
    private let counted: [String: ScriptReply]
    private let countedDefault: ScriptReply

    /// The same script, described as coming from `origin`.
    public func describedAs(_ origin: String) -> Script {
        Script(responses: responses, defaultReply: defaultReply, pacing: pacing, origin: origin,
               models: models, strictModels: strictModels)
    }

    public init(
        responses: [String: String] = [:], defaultReply: String = Script.builtInDefaultReply,
        pacing: Pacing = .immediate, origin: String = "inline",
        models: ModelRegistry = ModelRegistry(ModelRegistry.defaults), strictModels: Bool = false
    ) {
        self.responses = responses
        self.defaultReply = defaultReply
        self.pacing = pacing
        self.origin = origin
        self.models = models
        self.strictModels = strictModels
        counted = responses.mapValues(ScriptReply.init)
        countedDefault = ScriptReply(defaultReply)
    }

    /// The reply for the prompt (the last user message's text).
    public func reply(forPrompt prompt: String) -> ScriptReply {
        counted[prompt] ?? countedDefault
    }

    /// One line for logs: what this script defines.
    public var summary: String {
        let lag: String
        switch pacing {
        case .immediate: lag = "lag off"
        case .seedLag(let factor): lag = "lag factor \(factor.formatted)"
        }
        let added = models.models.count - ModelRegistry.defaults.count
        let extra = added > 0 ? ", \(added) model\(added == 1 ? "" : "s") added" : ""
        return "\(responses.count) response\(responses.count == 1 ? "" : "s"), \(lag)\(extra)\(strictModels ? ", strict models" : "")"
    }
}

/// A reply's text and its estimated token count.
public struct ScriptReply: Sendable, Equatable {
    public let text: String
    public let tokenCount: Int

    public init(_ text: String) {
        self.text = text
        tokenCount = TokenEstimator.count(text)
    }
}

extension Double {
    /// `10` rather than `10.0` for whole numbers.
    var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
