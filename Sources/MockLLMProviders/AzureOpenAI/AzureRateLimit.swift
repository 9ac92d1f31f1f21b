import MockLLMCore
import MockLLMScript

/// A deployment's limits in Azure's words: `x-ratelimit-remaining-requests` and
/// `x-ratelimit-remaining-tokens` on every reply, and the 429 with `retry-after` (seconds) and
/// `retry-after-ms`, which the OpenAI SDKs prefer when both are sent.
enum AzureRateLimit {
    /// Azure's `x-ratelimit-remaining-{requests,tokens}` (it sends no limit or reset headers).
    static func appendRemaining(_ standing: Quota.Standing, to headers: inout HTTPFields) {
        for (kind, _, remaining) in RateLimitHeaders.counts(standing) {
            headers.append(name: "x-ratelimit-remaining-\(kind)", value: String(remaining))
        }
    }

    /// The operation as Azure names it in a 429.
    static func operationName(_ operation: OpenAIOperation) -> String {
        switch operation {
        case .chatCompletion: "ChatCompletions_Create"
        case .completion: "Completions_Create"
        case .embeddings: "Embeddings_Create"
        case .response: "Responses_Create"
        }
    }

    /// The 429 of a request over a deployment's limit: "call rate limit" when the requests ran
    /// out, "token rate limit" when the tokens did, with the seconds to wait.
    static func refusal(_ standing: Quota.Standing, operation: OpenAIOperation, version: String?) -> APIError {
        let seconds = max(1, RateLimitHeaders.secondsToReset(standing))
        let what = RateLimitHeaders.exhaustedRequests(standing) ? "call rate limit" : "token rate limit"
        let under = version.map { "under Azure OpenAI API version \($0)" } ?? "under Azure OpenAI API"
        let message = "Requests to the \(operationName(operation)) Operation \(under) have exceeded \(what) of your current OpenAI S0 pricing tier. "
            + "Please retry after \(seconds) second\(seconds == 1 ? "" : "s"). "
            + "Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit."
        var headers = HTTPFields()
        headers.append(name: "retry-after", value: String(seconds))
        headers.append(name: "retry-after-ms", value: String(max(1, (standing.resetNanoseconds + 999_999) / 1_000_000)))
        appendRemaining(standing, to: &headers)
        return AzureErrors.gateway(status: 429, code: "429", message: message, headers: headers)
    }
}
