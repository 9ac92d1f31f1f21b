@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// `quotas:`: loading, the fixed windows per key, and the headers each API gets.
@Suite("Quotas")
struct QuotaTests: ScriptLoading {
    static let scriptFile = "q.yml"

    @Test func loadsEveryKey() throws {
        let yaml = "responses: {}\nquotas: {requests_per_minute: 3, tokens_per_minute: 100, window_seconds: 0.5, per: global}\n"
        let quota = try #require(try script(yaml).quota)
        #expect(quota.requestsPerWindow == 3 && quota.tokensPerWindow == 100)
        #expect(quota.windowNanoseconds == 500_000_000 && !quota.perKey)
    }

    @Test(arguments: [
        ("quotas: {}", "'quotas' needs requests_per_minute, tokens_per_minute, or both"),
        ("quotas: {requests_per_minute: 0}", "'quotas.requests_per_minute' must be a whole number, 1 or more"),
        ("quotas: {tokens_per_minute: 1.5}", "'quotas.tokens_per_minute' must be a whole number, 1 or more"),
        ("quotas: {requests_per_minute: 1, window_seconds: 0}", "'quotas.window_seconds' must be more than 0 and at most 86400"),
        ("quotas: {requests_per_minute: 1, per: user}", "'quotas.per' must be key or global, found 'user'"),
    ])
    func refusesBadValues(yaml: String, message: String) {
        let errors = diagnostics("responses: {}\n" + yaml).filter { $0.severity == .error }
        #expect(errors.map(\.message) == [message])
        #expect(errors.first?.line == 2)
    }

    @Test func requestsAreCountedPerKeyInWindowsThatStartAgain() {
        let quota = Quota(requestsPerWindow: 2, tokensPerWindow: nil, windowNanoseconds: 1000)
        #expect(quota.admit(key: "a", promptTokens: 5, now: 0).standing.requestsRemaining == 1)
        #expect(quota.admit(key: "a", promptTokens: 5, now: 10).standing.requestsRemaining == 0)
        let third = quota.admit(key: "a", promptTokens: 5, now: 600)
        #expect(third.refused && third.standing.resetNanoseconds == 400)
        #expect(!quota.admit(key: "b", promptTokens: 5, now: 600).refused, "another key has its own window")
        let later = quota.admit(key: "a", promptTokens: 5, now: 1000)
        #expect(!later.refused && later.standing.requestsRemaining == 1 && later.standing.resetNanoseconds == 1000)
    }

    @Test func tokensCountPromptAndCompletion() {
        let quota = Quota(requestsPerWindow: nil, tokensPerWindow: 100, windowNanoseconds: 1000, perKey: false)
        #expect(quota.admit(key: "a", promptTokens: 30, now: 0).standing.tokensRemaining == 70)
        #expect(quota.charge(key: "a", completionTokens: 50, now: 1).tokensRemaining == 20)
        #expect(quota.admit(key: "b", promptTokens: 21, now: 2).refused, "global: b shares a's window; 21 do not fit")
        #expect(!quota.admit(key: "b", promptTokens: 20, now: 3).refused)
    }

    @Test func openAIHeadersAndRefusal() {
        let standing = Quota.Standing(requestLimit: 3, requestsRemaining: 0, tokenLimit: nil, tokensRemaining: 0, resetNanoseconds: 1_500_000_000)
        var headers = HTTPFields()
        OpenAIChat.appendRateLimitHeaders(standing, now: 0, to: &headers)
        #expect(headers.map { "\($0.name): \($0.value)" } == [
            "x-ratelimit-limit-requests: 3", "x-ratelimit-remaining-requests: 0", "x-ratelimit-reset-requests: 1.5s",
        ])
        let error = OpenAIChat.quotaRefusal(standing, now: 0)
        #expect(error.status == 429 && error.code == "rate_limit_exceeded" && error.typeOverride == "requests")
        #expect(error.headers["retry-after"] == "2")
    }

    @Test func anthropicHeadersGiveTheResetAsATime() {
        let standing = Quota.Standing(requestLimit: nil, requestsRemaining: 0, tokenLimit: 100, tokensRemaining: 40, resetNanoseconds: 2_000_000_000)
        var headers = HTTPFields()
        AnthropicMessages.appendRateLimitHeaders(standing, now: 1_700_000_000, to: &headers)
        #expect(headers.map { "\($0.name): \($0.value)" } == [
            "anthropic-ratelimit-tokens-limit: 100", "anthropic-ratelimit-tokens-remaining: 40",
            "anthropic-ratelimit-tokens-reset: 2023-11-14T22:13:22Z",
        ])
    }

    /// A provider that says nothing of quotas (Ollama's API has none) gets OpenAI's headers and 429;
    /// Gemini's sends no headers, and only `retry-after` with its 429.
    @Test func providersWithoutTheirOwnWordingGetOpenAIs() {
        let standing = Quota.Standing(requestLimit: 3, requestsRemaining: 0, tokenLimit: nil, tokensRemaining: 0, resetNanoseconds: 1_500_000_000)
        var openAI = HTTPFields(), ollama = HTTPFields(), gemini = HTTPFields()
        OpenAIChat.appendRateLimitHeaders(standing, now: 0, to: &openAI)
        Ollama.appendRateLimitHeaders(standing, now: 0, to: &ollama)
        Gemini.appendRateLimitHeaders(standing, now: 0, to: &gemini)
        #expect(ollama.map(\.name) == openAI.map(\.name) && ollama.map(\.value) == openAI.map(\.value))
        #expect(gemini.isEmpty)
        #expect(Ollama.quotaRefusal(standing, now: 0) == OpenAIChat.quotaRefusal(standing, now: 0))
        let google = Gemini.quotaRefusal(standing, now: 0)
        #expect(google.message == GeminiErrors.quotaMessage && google.headers.map(\.name) == ["retry-after"])
    }

    @Test(arguments: [(0, "0ms"), (20_000_000, "20ms"), (1_000_000_000, "1s"), (1_978_000_000, "1.978s"), (360_000_000_000, "6m0s"), (90_500_000_000, "1m30.5s")])
    func openAIDurations(nanoseconds: UInt64, text: String) {
        #expect(RateLimitHeaders.duration(nanoseconds) == text)
    }
}
