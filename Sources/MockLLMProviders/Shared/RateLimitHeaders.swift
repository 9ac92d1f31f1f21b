import MockLLMCore
import MockLLMScript

/// The rate-limit headers of a reply under `quotas:`, in each API's names and formats, and the
/// 429 a request over its quota gets.
enum RateLimitHeaders {
    /// OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (reset as `1s`, `6m0s`,
    /// `20ms`) or Anthropic's `anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}`
    /// (reset as an RFC 3339 time).
    static func append(_ standing: Quota.Standing, provider: String, now: Int, to headers: inout HTTPFields) {
        guard provider != Gemini.metadata.name else { return }  // Google's API sends none
        let anthropic = provider == "anthropic"
        let reset = anthropic
            ? RFC3339.format(unixSeconds: now + Int((standing.resetNanoseconds + 999_999_999) / 1_000_000_000))
            : duration(standing.resetNanoseconds)
        for (kind, limit, remaining) in [("requests", standing.requestLimit, standing.requestsRemaining),
                                         ("tokens", standing.tokenLimit, standing.tokensRemaining)] {
            guard let limit else { continue }
            if anthropic {
                headers.append(name: "anthropic-ratelimit-\(kind)-limit", value: String(limit))
                headers.append(name: "anthropic-ratelimit-\(kind)-remaining", value: String(remaining))
                headers.append(name: "anthropic-ratelimit-\(kind)-reset", value: reset)
            } else {
                headers.append(name: "x-ratelimit-limit-\(kind)", value: String(limit))
                headers.append(name: "x-ratelimit-remaining-\(kind)", value: String(remaining))
                headers.append(name: "x-ratelimit-reset-\(kind)", value: reset)
            }
        }
    }

    /// The 429 for a request over its quota, with the headers and `retry-after` (whole seconds
    /// until the window ends).
    static func refusal(_ standing: Quota.Standing, provider: String, now: Int) -> APIError {
        if provider == Gemini.metadata.name { return GeminiErrors.quotaRefusal(standing) }
        let wait = max(1, Int((standing.resetNanoseconds + 999_999_999) / 1_000_000_000))
        let byRequests = standing.requestLimit != nil && standing.requestsRemaining == 0
        let message: String
        if provider == "anthropic" {
            message = byRequests
                ? "This request would exceed the rate limit for your organization of \(standing.requestLimit!) requests per minute. Please try again later."
                : "This request would exceed the rate limit for your organization of \(standing.tokenLimit ?? 0) input tokens per minute. Please try again later."
        } else {
            message = byRequests
                ? "Rate limit reached for requests per min (RPM): Limit \(standing.requestLimit!), Used \(standing.requestLimit!), Requested 1. Please try again in \(duration(standing.resetNanoseconds))."
                : "Rate limit reached for tokens per min (TPM): Limit \(standing.tokenLimit ?? 0), Used \((standing.tokenLimit ?? 0) - standing.tokensRemaining). Please try again in \(duration(standing.resetNanoseconds))."
        }
        var error = APIError(status: 429, kind: .rateLimit, message: message, code: provider == "anthropic" ? nil : "rate_limit_exceeded")
        if provider != "anthropic" { error.typeOverride = byRequests ? "requests" : "tokens" }
        append(standing, provider: provider, now: now, to: &error.headers)
        error.headers.append(name: "retry-after", value: String(wait))
        return error
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
