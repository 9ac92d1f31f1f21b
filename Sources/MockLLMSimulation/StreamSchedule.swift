/// The delays of one stream's chunks, drawn lazily as the stream is produced.
package struct StreamSchedule: Sendable {
    private let pacing: Pacing
    private let promptTokens: Int
    private var random: SeededRandom
    private var started = false
    /// Added before the first chunk (a scripted slow first token).
    private let firstChunkDelay: UInt64

    package init(pacing: Pacing, promptTokens: Int, random: SeededRandom, firstChunkDelay: UInt64 = 0) {
        self.pacing = pacing
        self.promptTokens = promptTokens
        self.random = random
        self.firstChunkDelay = firstChunkDelay
    }

    /// Nanoseconds to wait before `chunk` (after the previous chunk, or after the stream's
    /// frame events for the first one).
    package mutating func delay(before chunk: Substring) -> UInt64 {
        let extra = started ? 0 : firstChunkDelay
        let paced = pacedDelay(before: chunk)
        return paced > UInt64.max - extra ? UInt64.max : paced + extra
    }

    private mutating func pacedDelay(before chunk: Substring) -> UInt64 {
        defer { started = true }
        switch pacing.model {
        case .immediate:
            return 0
        case .seedLag(let factor):
            return Pacing.nanoseconds(1 / (factor * 10) * (0.5 + random.nextUnit()))
        case .profile(let profile):
            let base: UInt64
            if !started {
                let (prefill, overflow) = profile.prefillPerThousandTokens.multipliedReportingOverflow(by: UInt64(promptTokens))
                base = profile.timeToFirstToken &+ (overflow ? Pacing.maximumDelay : min(prefill / 1000, Pacing.maximumDelay))
            } else {
                switch profile.interval {
                case .perChunk(let ns):
                    base = ns
                case .tokensPerSecond(let rate):
                    base = Pacing.nanoseconds(Double(max(1, TokenEstimator.count(String(chunk)))) / rate)
                }
            }
            return profile.jitter.apply(to: base, using: &random)
        }
    }
}
