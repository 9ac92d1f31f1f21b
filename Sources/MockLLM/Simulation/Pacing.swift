/// When a reply's bytes go out.
///
/// Today this is the original mockllm's lag simulation, kept to its exact formulas
/// (COMPAT.md): with `lag_factor` f,
/// - a non-stream reply waits `characters / (f * 10)` seconds, with no jitter;
/// - a stream waits `base * U(0.5, 1.5)` before each chunk, `base = 1 / (f * 10)` seconds;
///   the role event goes out at once and the finish events follow the last chunk at once.
public enum Pacing: Sendable, Equatable {
    /// Everything at once.
    case immediate
    /// The original's lag (`settings.lag_enabled` with `settings.lag_factor`, which is > 0).
    case seedLag(factor: Double)

    /// Delay before a complete (non-stream) reply of `characterCount` Unicode scalars, in ns.
    public func replyDelay(characterCount: Int) -> UInt64 {
        switch self {
        case .immediate:
            return 0
        case .seedLag(let factor):
            return Self.nanoseconds(Double(characterCount) / (factor * 10))
        }
    }

    /// Delay before one streamed chunk, in ns.
    public func chunkDelay(using random: inout SeededRandom) -> UInt64 {
        switch self {
        case .immediate:
            return 0
        case .seedLag(let factor):
            let base = 1 / (factor * 10)
            return Self.nanoseconds(base * (0.5 + random.nextUnit()))
        }
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        seconds <= 0 ? 0 : UInt64((seconds * 1e9).rounded())
    }
}
