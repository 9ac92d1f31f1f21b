import MockLLMCore
import MockLLMScript

/// OpenAI's rate-limit headers and quota refusal: the default of `Provider.appendRateLimitHeaders`
/// and `Provider.quotaRefusal`, and the pieces other APIs' wording shares.
enum RateLimitHeaders {
    /// OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (reset as `1s`, `6m0s`, `20ms`).
    static func append(_ standing: Quota.Standing, to headers: inout HTTPFields) {
        let reset = duration(standing.resetNanoseconds)
        for (kind, limit, remaining) in counts(standing) {
            headers.append(name: "x-ratelimit-limit-\(kind)", value: String(limit))
            headers.append(name: "x-ratelimit-remaining-\(kind)", value: String(remaining))
            headers.append(name: "x-ratelimit-reset-\(kind)", value: reset)
        }
    }

    /// OpenAI's 429 for a request over its quota (`rate_limit_exceeded`, typed by what ran out),
    /// with the rate-limit headers and `retry-after`.
    static func refusal(_ standing: Quota.Standing) -> APIError {
        let message = exhaustedRequests(standing)
            ? "Rate limit reached for requests per min (RPM): Limit \(standing.requestLimit!), Used \(standing.requestLimit!), Requested 1. Please try again in \(duration(standing.resetNanoseconds))."
            : "Rate limit reached for tokens per min (TPM): Limit \(standing.tokenLimit ?? 0), Used \((standing.tokenLimit ?? 0) - standing.tokensRemaining). Please try again in \(duration(standing.resetNanoseconds))."
        var error = APIError(status: 429, kind: .rateLimit, message: message, code: "rate_limit_exceeded")
        error.typeOverride = exhaustedRequests(standing) ? "requests" : "tokens"
        append(standing, to: &error.headers)
        appendRetryAfter(standing, to: &error.headers)
        return error
    }

    /// The limits the quota sets, with what is left of each: `("requests", limit, remaining)`, then tokens.
    static func counts(_ standing: Quota.Standing) -> [(kind: String, limit: Int, remaining: Int)] {
        var counts: [(kind: String, limit: Int, remaining: Int)] = []
        if let limit = standing.requestLimit { counts.append(("requests", limit, standing.requestsRemaining)) }
        if let limit = standing.tokenLimit { counts.append(("tokens", limit, standing.tokensRemaining)) }
        return counts
    }

    /// Whether the requests ran out (else the tokens did).
    static func exhaustedRequests(_ standing: Quota.Standing) -> Bool {
        standing.requestLimit != nil && standing.requestsRemaining == 0
    }

    /// `retry-after`: whole seconds until the window ends, at least 1.
    static func appendRetryAfter(_ standing: Quota.Standing, to headers: inout HTTPFields) {
        headers.append(name: "retry-after", value: String(max(1, secondsToReset(standing))))
    }

    /// Whole seconds until the window ends, rounded up.
    static func secondsToReset(_ standing: Quota.Standing) -> Int {
        Int((standing.resetNanoseconds + 999_999_999) / 1_000_000_000)
    }

    /// OpenAI's reset durations: `20ms`, `1s`, `1.5s`, `6m0s`.
    static func duration(_ nanoseconds: UInt64) -> String {
        let ms = Int((nanoseconds + 999_999) / 1_000_000)
        if ms < 1000 { return "\(ms)ms" }
        let minutes = ms / 60_000
        let rest = Double(ms % 60_000) / 1000
        let seconds = rest == rest.rounded() ? String(Int(rest)) : String(rest)
        return minutes > 0 ? "\(minutes)m\(seconds)s" : "\(seconds)s"
    }
}
