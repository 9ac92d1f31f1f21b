/// A partial pacing: what one `pacing:` block (global, per model, per rule) or one request's
/// override headers set. Layers are applied in order, each overriding only what it sets.
public struct PacingSpec: Sendable, Equatable {
    public var timeToFirstToken: UInt64?
    public var interChunk: UInt64?
    public var tokensPerSecond: Double?
    public var jitter: Jitter?
    public var prefillPerThousandTokens: UInt64?
    public var chunking: Chunking?
    public var seed: UInt64?
    /// `speech_wpm`: a realtime voice's speaking rate.
    public var speechWordsPerMinute: Double?

    public init(
        timeToFirstToken: UInt64? = nil, interChunk: UInt64? = nil, tokensPerSecond: Double? = nil,
        jitter: Jitter? = nil, prefillPerThousandTokens: UInt64? = nil, chunking: Chunking? = nil, seed: UInt64? = nil
    ) {
        self.timeToFirstToken = timeToFirstToken
        self.interChunk = interChunk
        self.tokensPerSecond = tokensPerSecond
        self.jitter = jitter
        self.prefillPerThousandTokens = prefillPerThousandTokens
        self.chunking = chunking
        self.seed = seed
    }

    public var isEmpty: Bool { self == PacingSpec() }

    /// Whether it sets any timing (which switches the pacing to a latency profile).
    var setsTiming: Bool {
        timeToFirstToken != nil || interChunk != nil || tokensPerSecond != nil || jitter != nil || prefillPerThousandTokens != nil
    }

    /// `base` with this layer's settings on top. Timing settings turn the original's lag (or no
    /// pacing) into a profile starting from zero; on a profile they replace only what they set.
    public func applied(to base: Pacing) -> Pacing {
        var pacing = base
        if let chunking { pacing.chunking = chunking }
        if let seed { pacing.seed = seed }
        if let speechWordsPerMinute { pacing.speechWordsPerMinute = speechWordsPerMinute }
        guard setsTiming else { return pacing }
        var profile: Pacing.Profile
        if case .profile(let existing) = base.model { profile = existing } else { profile = Pacing.Profile() }
        if let timeToFirstToken { profile.timeToFirstToken = timeToFirstToken }
        if let prefillPerThousandTokens { profile.prefillPerThousandTokens = prefillPerThousandTokens }
        if let interChunk { profile.interval = .perChunk(interChunk) }
        if let tokensPerSecond { profile.interval = .tokensPerSecond(tokensPerSecond) }
        if let jitter { profile.jitter = jitter }
        pacing.model = .profile(profile)
        return pacing
    }
}
