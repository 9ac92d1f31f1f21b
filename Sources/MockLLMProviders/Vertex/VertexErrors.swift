import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// Vertex AI's front end: Google's error envelope (`GeminiErrors`, `{"error": {"code","message","status"}}`)
/// with `aiplatform.googleapis.com` in its `ErrorInfo`, and its wording for what it refuses before
/// any model sees the request: an OAuth token missing or wrong, a publisher model it does not
/// serve, a quota spent. Both Vertex providers share it (`Vertex`, `VertexAnthropic`).
enum VertexErrors {
    /// Google's envelope, as Vertex AI sends it.
    static func reply(_ error: APIError, requestID: String) -> Reply {
        GeminiErrors.reply(error, requestID: requestID, service: .aiPlatform)
    }

    /// Vertex AI's 429 (its "error code 429" page): shared quota, no numbers.
    static let quotaMessage = "Resource exhausted. Please try again later. Please refer to "
        + "https://cloud.google.com/vertex-ai/generative-ai/docs/error-code-429 for more details."

    /// The 429 of a request over its `quotas:` limit, `retry-after` as its `RetryInfo`.
    static func quotaRefusal(_ standing: Quota.Standing) -> APIError {
        var error = APIError(status: 429, kind: .rateLimit, message: quotaMessage)
        RateLimitHeaders.appendRetryAfter(standing, to: &error.headers)
        return error
    }

    static let credentialsHelp = "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
        + "See https://developers.google.com/identity/sign-in/web/devconsole-project."

    /// `--api-key`: Google's 401 `UNAUTHENTICATED` for a request with no credential
    /// (`CREDENTIALS_MISSING`) or a token that is not the key (`ACCESS_TOKEN_TYPE_UNSUPPORTED`,
    /// what Google answers a bearer token it cannot read).
    static func keyRefusal(given: Bool) -> APIError {
        given
            ? APIError(status: 401, kind: .authentication,
                       message: "Request had invalid authentication credentials. " + credentialsHelp, code: "ACCESS_TOKEN_TYPE_UNSUPPORTED")
            : APIError(status: 401, kind: .authentication,
                       message: "Request is missing required authentication credential. " + credentialsHelp, code: "CREDENTIALS_MISSING")
    }

    /// Vertex AI's 404 for a publisher model it does not serve (or serves from another publisher),
    /// naming the resource as the path does: `projects/P/locations/L/publishers/google/models/M`,
    /// or `publishers/google/models/M` in express mode.
    static func modelNotFound(_ resource: String) -> APIError {
        APIError(
            status: 404, kind: .notFound,
            message: "Publisher Model `\(resource)` was not found or your project does not have access to it. "
                + "Please ensure you are using a valid model version. "
                + "For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions")
    }
}

/// What the Vertex providers read from a request's path.
struct VertexPath {
    /// The model segment before its `:method`, `%40` read as the `@` of a version
    /// (`claude-3-5-sonnet-v2@20241022`), for clients that escape it.
    let model: String
    private let path: String
    private let rawModel: String

    init(_ http: HTTPRequest, parameters: [String: String]) {
        rawModel = parameters["model"] ?? ""
        model = rawModel.contains("%")
            ? rawModel.split(separator: "%40", omittingEmptySubsequences: false).joined(separator: "@")
            : rawModel
        path = http.path
    }

    /// The resource the path names, without the version and method, in Vertex AI's words for it
    /// (`projects/P/locations/L/publishers/google/models/M`); worked out only for a refusal.
    var resource: String {
        // `/v1/projects/p/...:method` -> `projects/p/...`: after the version, up to the method.
        let afterVersion = path.drop { $0 == "/" }.drop { $0 != "/" }.dropFirst()
        let beforeMethod = afterVersion.lastIndex(of: ":").map { afterVersion[..<$0] } ?? afterVersion
        return String(beforeMethod.dropLast(rawModel.count)) + model
    }

    /// With `settings.strict_models`: Vertex AI's 404 for a model that is neither the
    /// publisher's (`servesModelsOf`) nor declared for the Vertex provider itself, or
    /// `tooManyTokens(limit)` for a request over the model's output limit; nil when it is served.
    func strictModelsError(maxTokens: Int?, provider: ProviderMetadata, script: Script, tooManyTokens: (Int) -> APIError) -> APIError? {
        let owner = script.models.resolve(model)?.provider == provider.name ? provider.name : provider.servesModelsOf ?? provider.name
        switch ModelCheck.check(model: model, maxTokens: maxTokens, provider: owner, script: script) {
        case .accepted: return nil
        case .unknownModel: return VertexErrors.modelNotFound(resource)
        case .tooManyTokens(let limit): return tooManyTokens(limit)
        }
    }

    /// Vertex AI's `createTime`: the reply's second with microseconds from the seeded random
    /// source, `2025-04-29T16:55:36.576032Z`.
    static func createTime(now: Int, random: inout SeededRandom) -> String {
        let micros = String(random.next() % 1_000_000)
        var stamp = RFC3339.format(unixSeconds: now)
        stamp.removeLast()  // the Z
        return stamp + "." + String(repeating: "0", count: 6 - micros.count) + micros + "Z"
    }
}
