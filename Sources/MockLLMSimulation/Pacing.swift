/// When a reply's bytes go out, and in what pieces.
///
/// Two timing models:
/// - the original mockllm's lag (`settings.lag_enabled` / `lag_factor` f), kept to its exact
///   formulas (docs/MIGRATING.md, "Lag"): a non-stream reply waits `characters / (f * 10)` s with no jitter;
///   a stream waits `base * U(0.5, 1.5)` before each chunk, `base = 1 / (f * 10)` s;
/// - a latency profile (the script's `pacing:` blocks): time to first token, plus prefill time
///   per 1,000 prompt tokens, then an inter-chunk interval, fixed or from tokens per second,
///   each with optional jitter from a named distribution.
/// In both, the frame events (OpenAI's role event, Anthropic's message_start...) go out at
/// once and the closing events follow the last chunk at once. A non-stream reply waits as long
/// as its stream would have taken to finish.
public struct Pacing: Sendable, Equatable {
    public enum Model: Sendable, Equatable {
        case immediate
        case seedLag(factor: Double)
        case profile(Profile)
    }

    public struct Profile: Sendable, Equatable {
        /// Before the first chunk, in ns.
        public var timeToFirstToken: UInt64 = 0
        /// Added to the first chunk's wait per 1,000 prompt tokens, in ns.
        public var prefillPerThousandTokens: UInt64 = 0
        public var interval: Interval = .perChunk(0)
        public var jitter: Jitter = .constant

        public init(timeToFirstToken: UInt64 = 0, prefillPerThousandTokens: UInt64 = 0,
                    interval: Interval = .perChunk(0), jitter: Jitter = .constant) {
            self.timeToFirstToken = timeToFirstToken
            self.prefillPerThousandTokens = prefillPerThousandTokens
            self.interval = interval
            self.jitter = jitter
        }
    }

    /// Time between chunks after the first.
    public enum Interval: Sendable, Equatable {
        /// This many ns before each chunk.
        case perChunk(UInt64)
        /// A chunk of n estimated tokens waits n / rate seconds.
        case tokensPerSecond(Double)
    }

    public var model: Model
    public var chunking: Chunking
    /// Fixes the jitter: every stream with this pacing gets the same schedule.
    public var seed: UInt64?
    /// How fast a realtime voice speaks (`speech_wpm`): a reply's audio lasts its words at this
    /// rate (`SpeechAudio`).
    public var speechWordsPerMinute: Double

    /// A talker's usual rate, 150 words a minute.
    public static let defaultSpeechWordsPerMinute: Double = 150

    public init(model: Model, chunking: Chunking = .character, seed: UInt64? = nil,
                speechWordsPerMinute: Double = Pacing.defaultSpeechWordsPerMinute) {
        self.model = model
        self.chunking = chunking
        self.seed = seed
        self.speechWordsPerMinute = speechWordsPerMinute
    }

    public static let immediate = Pacing(model: .immediate)

    public static func seedLag(factor: Double) -> Pacing {
        Pacing(model: .seedLag(factor: factor))
    }

    public static func profile(_ profile: Profile, chunking: Chunking = .character, seed: UInt64? = nil) -> Pacing {
        Pacing(model: .profile(profile), chunking: chunking, seed: seed)
    }

    public var isImmediate: Bool { model == .immediate }

    /// The random source for one reply: fixed by `seed` when there is one.
    public func random(from source: inout SeededRandom) -> SeededRandom {
        seed.map { SeededRandom(seed: $0) } ?? source.fork()
    }

    /// How long a complete (non-stream) reply of `text` waits before it is sent, in ns.
    public func replyDelay(text: String, promptTokens: Int, random: SeededRandom) -> UInt64 {
        switch model {
        case .immediate:
            return 0
        case .seedLag(let factor):
            return Self.nanoseconds(Double(text.unicodeScalars.count) / (factor * 10))
        case .profile:
            var schedule = StreamSchedule(pacing: self, promptTokens: promptTokens, random: random)
            var chunks = TextChunks(text, chunking: chunking)
            var total: UInt64 = 0
            while let chunk = chunks.next() { total &+= schedule.delay(before: chunk) }
            return total
        }
    }

    /// The longest single wait, one day (the most any setting accepts): a product of accepted
    /// values (a tiny token rate, a long prefill times a long prompt) is held there, not overflowed.
    public static let maximumDelay: UInt64 = 86_400_000_000_000

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        if seconds.isNaN || seconds <= 0 { return 0 }
        return seconds >= 86_400 ? maximumDelay : UInt64((seconds * 1e9).rounded())
    }
}
