import MockLLMCore
import MockLLMScript

/// When a realtime session ends, as the real services end theirs: `settings.session_limit_ms`
/// (with `settings.go_away_ms`), or the handshake's `x-mockllm-session-limit-ms` for that
/// connection alone. The clock starts when the 101 is written.
struct SessionLifetime: Equatable {
    /// From the opening to the end, nanoseconds.
    var limit: UInt64
    /// Gemini Live's `goAway` goes out this long before the end (at most `limit`).
    var warning: UInt64

    static let header = "x-mockllm-session-limit-ms"

    /// nil when the session lasts as long as its client keeps it; throws for a bad header.
    static func resolve(_ headers: RequestHeaders, script: Script) throws(PacingOverrides.Invalid) -> SessionLifetime? {
        var limit = script.sessionLimit
        if let text = headers[header] {
            guard let ms = Double(text), ms > 0, ms <= SessionLimit.maximumMilliseconds else {
                throw PacingOverrides.Invalid(message: "\(header) must be a number of milliseconds greater than 0 and at most 86400000, got '\(text)'.")
            }
            limit = SessionLimit(milliseconds: ms, goAwayMilliseconds: limit?.goAwayMilliseconds ?? SessionLimit.defaultGoAwayMilliseconds)
        }
        guard let limit else { return nil }
        let total = UInt64((limit.milliseconds * 1_000_000).rounded())
        return SessionLifetime(limit: total, warning: min(total, UInt64((limit.goAwayMilliseconds * 1_000_000).rounded())))
    }

    /// The limit in OpenAI's words: `60 minutes`, else seconds (`90 seconds`, `2.5 seconds`).
    var spoken: String {
        let ms = (Double(limit) / 1_000_000).rounded()
        if ms >= 60_000, ms.truncatingRemainder(dividingBy: 60_000) == 0 {
            let minutes = Int(ms / 60_000)
            return minutes == 1 ? "1 minute" : "\(minutes) minutes"
        }
        return (ms / 1000).plainDecimal + (ms == 1000 ? " second" : " seconds")
    }

    /// `warning` as a protobuf `Duration` in JSON (`60s`, `1.500s`), as `goAway.timeLeft` carries it.
    static func duration(_ nanoseconds: UInt64) -> String {
        let ms = (nanoseconds + 500_000) / 1_000_000
        let fraction = ms % 1000
        guard fraction != 0 else { return "\(ms / 1000)s" }
        let digits = String(fraction)
        return "\(ms / 1000)." + String(repeating: "0", count: 3 - digits.count) + digits + "s"
    }
}
