import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// Per-request pacing overrides, for load tests that vary latency without touching the script:
///
/// | header | meaning |
/// |---|---|
/// | `x-mockllm-ttft-ms` | time to first token |
/// | `x-mockllm-itl-ms` | time between chunks |
/// | `x-mockllm-tokens-per-second` | chunk spacing from their estimated tokens |
/// | `x-mockllm-prefill-ms-per-1k` | extra first-token time per 1,000 prompt tokens |
/// | `x-mockllm-chunking` | `character`, `word`, `token` or `characters:N` |
/// | `x-mockllm-seed` | fixes the jitter |
enum PacingOverrides {
    /// Every override header starts with this.
    static let prefix = "x-mockllm-"

    struct Invalid: Error {
        var message: String
    }

    static func spec(from headers: RequestHeaders) throws(Invalid) -> PacingSpec? {
        var spec = PacingSpec()
        if let v = headers["x-mockllm-ttft-ms"] { spec.timeToFirstToken = try milliseconds(v, "x-mockllm-ttft-ms") }
        if let v = headers["x-mockllm-itl-ms"] { spec.interChunk = try milliseconds(v, "x-mockllm-itl-ms") }
        if let v = headers["x-mockllm-prefill-ms-per-1k"] { spec.prefillPerThousandTokens = try milliseconds(v, "x-mockllm-prefill-ms-per-1k") }
        if let v = headers["x-mockllm-tokens-per-second"] {
            guard let rate = Double(v), rate > 0, rate.isFinite else {
                throw Invalid(message: "x-mockllm-tokens-per-second must be a number greater than 0, got '\(v)'.")
            }
            spec.tokensPerSecond = rate
        }
        if let v = headers["x-mockllm-chunking"] {
            guard let chunking = PacingSection.parse(chunking: v) else {
                throw Invalid(message: "x-mockllm-chunking must be character, word, token or characters:N, got '\(v)'.")
            }
            spec.chunking = chunking
        }
        if let v = headers["x-mockllm-seed"] {
            guard let seed = UInt64(v) else { throw Invalid(message: "x-mockllm-seed must be a whole number, got '\(v)'.") }
            spec.seed = seed
        }
        return spec.isEmpty ? nil : spec
    }

    private static func milliseconds(_ text: String, _ name: String) throws(Invalid) -> UInt64 {
        guard let ms = Double(text), ms >= 0, ms < 86_400_000 else {
            throw Invalid(message: "\(name) must be a number of milliseconds from 0 to 86400000, got '\(text)'.")
        }
        return UInt64((ms * 1_000_000).rounded())
    }
}
