#if canImport(Glibc)
import Glibc
#endif

/// Random variation of a delay, from a named distribution. Samples never go below zero.
package enum Jitter: Sendable, Equatable {
    /// No variation.
    case constant
    /// delay ± up to `spread` ns, uniformly.
    case uniform(spread: UInt64)
    /// delay + N(0, stddev) ns.
    case normal(stddev: UInt64)
    /// delay × e^(N(0, σ) − σ²/2): multiplicative, skewed to the right like real latencies,
    /// with the same mean as the delay.
    case lognormal(sigma: Double)

    package func apply(to delay: UInt64, using random: inout SeededRandom) -> UInt64 {
        switch self {
        case .constant:
            return delay
        case .uniform(let spread):
            return clamp(Double(delay) + (random.nextUnit() * 2 - 1) * Double(spread))
        case .normal(let stddev):
            return clamp(Double(delay) + Self.standardNormal(&random) * Double(stddev))
        case .lognormal(let sigma):
            let factor = exp(Self.standardNormal(&random) * sigma - sigma * sigma / 2)
            return clamp(Double(delay) * factor)
        }
    }

    /// Negative samples wait nothing; large ones are held at `Pacing.maximumDelay`.
    private func clamp(_ value: Double) -> UInt64 {
        Pacing.nanoseconds(value / 1e9)
    }

    /// Box-Muller.
    static func standardNormal(_ random: inout SeededRandom) -> Double {
        let u1 = max(random.nextUnit(), .leastNonzeroMagnitude)
        let u2 = random.nextUnit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
