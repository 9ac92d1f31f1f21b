import MockLLMCore

/// The durations Ollama reports on a reply's final object, simulated from the reply's own
/// schedule (never measured, so the same seed gives the same numbers):
///
/// - `load_duration`: 1 ms, a model already in memory;
/// - `prompt_eval_duration`: the wait before the first output (time to first token, prefill
///   included), at least 1 µs per prompt token;
/// - `eval_duration`: the waits after it, at least 1 µs per generated token, so
///   `eval_count / eval_duration` is a rate even with no pacing;
/// - `total_duration`: their sum.
///
/// Like Go's `omitempty`, a zero count or duration is left out.
struct OllamaTiming {
    static let loadDuration: UInt64 = 1_000_000
    static let nanosecondsPerTokenAtLeast: UInt64 = 1_000

    /// The delay before the first output, and the sum of those after it.
    private(set) var first: UInt64 = 0
    private(set) var rest: UInt64 = 0
    private var started = false

    /// Counts `delay` (the next event's), and returns it.
    @discardableResult
    mutating func add(_ delay: UInt64) -> UInt64 {
        if started { rest &+= delay } else { first &+= delay }
        started = true
        return delay
    }

    /// Since the stream started.
    var elapsed: UInt64 { first &+ rest }

    struct Metrics: Equatable {
        var total: UInt64
        var load: UInt64
        var promptEvalCount: Int
        var promptEval: UInt64
        var evalCount: Int
        var eval: UInt64

        /// `,"total_duration":N,...` in Go's field order, zeros left out.
        func write(into out: inout ByteBuffer) {
            Self.member("total_duration", total, into: &out)
            Self.member("load_duration", load, into: &out)
            Self.member("prompt_eval_count", UInt64(max(0, promptEvalCount)), into: &out)
            Self.member("prompt_eval_duration", promptEval, into: &out)
            Self.member("eval_count", UInt64(max(0, evalCount)), into: &out)
            Self.member("eval_duration", eval, into: &out)
        }

        private static func member(_ name: StaticString, _ value: UInt64, into out: inout ByteBuffer) {
            guard value > 0 else { return }
            out.append(ascii: ",\"")
            out.append(ascii: name)
            out.append(ascii: "\":")
            out.append(decimal: value)
        }
    }

    func metrics(promptTokens: Int, evalTokens: Int) -> Metrics {
        let promptEval = max(first, UInt64(max(0, promptTokens)) &* Self.nanosecondsPerTokenAtLeast)
        let eval = max(rest, UInt64(max(0, evalTokens)) &* Self.nanosecondsPerTokenAtLeast)
        return Metrics(total: Self.loadDuration &+ promptEval &+ eval, load: Self.loadDuration, promptEvalCount: promptTokens,
                       promptEval: promptEval, evalCount: evalTokens, eval: eval)
    }

    /// `created_at` as Go writes a time (RFC 3339 with nanoseconds, trailing zeros dropped):
    /// `2026-12-04T18:52:14.0205Z`, or `2026-12-04T18:52:14Z` on a whole second.
    static func timestamp(seconds: Int, plus nanoseconds: UInt64) -> String {
        let whole = seconds + Int(nanoseconds / 1_000_000_000)
        var fraction = nanoseconds % 1_000_000_000
        var text = RFC3339.format(unixSeconds: whole)
        guard fraction > 0 else { return text }
        var digits = 9
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        let decimals = String(fraction)
        text.removeLast()  // "Z"
        return text + "." + String(repeating: "0", count: digits - decimals.count) + decimals + "Z"
    }
}
