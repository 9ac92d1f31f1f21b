/// The answers the server gives: an immutable, shareable snapshot of a `responses.yml`.
///
/// A reload builds a new `Script` and swaps it in; a request or stream keeps the snapshot it
/// started with.
public struct Script: Sendable {
    /// The reply when nothing matches and the file sets no `defaults.unknown_response`.
    public static let builtInDefaultReply = "I don't know the answer to that."

    /// Exact prompt to reply: the original's `responses:` map (case- and whitespace-sensitive).
    public var responses: [String: String]
    /// `defaults.unknown_response`.
    public var defaultReply: String
    /// `settings.lag_enabled` / `settings.lag_factor`.
    public var pacing: Pacing
    /// Where the script came from, for logs: a path, or a description of the embedded default.
    public var origin: String

    public init(
        responses: [String: String] = [:], defaultReply: String = Script.builtInDefaultReply,
        pacing: Pacing = .immediate, origin: String = "inline"
    ) {
        self.responses = responses
        self.defaultReply = defaultReply
        self.pacing = pacing
        self.origin = origin
    }

    /// The reply text for the prompt (the last user message's text).
    public func reply(forPrompt prompt: String) -> String {
        responses[prompt] ?? defaultReply
    }

    /// One line for logs: what this script defines.
    public var summary: String {
        let lag: String
        switch pacing {
        case .immediate: lag = "lag off"
        case .seedLag(let factor): lag = "lag factor \(factor.formatted)"
        }
        return "\(responses.count) response\(responses.count == 1 ? "" : "s"), \(lag)"
    }
}

extension Double {
    /// `10` rather than `10.0` for whole numbers.
    var formatted: String {
        self == rounded() && abs(self) < 1e15 ? String(Int(self)) : String(self)
    }
}
