import MockLLMCore
import MockLLMScript

/// Claude on Google Cloud's Vertex AI, as `anthropic.AnthropicVertex` speaks it:
/// `POST /{v1,v1beta1}/projects/{project}/locations/{location}/publishers/anthropic/models/{model}:rawPredict`
/// and `:streamRawPredict`, a Messages body with `anthropic_version` (required: `vertex-2023-10-16`
/// or an API version date)
/// and the model in the path, not the body; the reply is Anthropic's message or event stream,
/// byte for byte (`messageReply`). `count-tokens:rawPredict` (the SDK's `count_tokens`) takes
/// the model in the body.
///
/// Vertex AI's front end refuses in Google's envelope what it checks itself (credentials, the
/// model, quota: `VertexErrors`); what the model refuses (the body, an overload, a scripted
/// error) comes back in Anthropic's.
package enum VertexAnthropic: Provider {
    package static let metadata = ProviderMetadata(
        name: "vertex-anthropic",
        version: "1.0.0",
        description: "Google Vertex AI provider (Anthropic Claude models, rawPredict)",
        endpoints: ["v1", "v1beta1"].flatMap { version in
            let models = "/\(version)/projects/{project}/locations/{location}/publishers/anthropic/models"
            return [
                Endpoint(method: "POST", path: "\(models)/{model}:rawPredict", handlerName: "raw_predict", handler: rawPredict),
                Endpoint(method: "POST", path: "\(models)/{model}:streamRawPredict", handlerName: "stream_raw_predict",
                         handler: streamRawPredict),
            ]
        },
        capabilities: Capabilities(streaming: true, functionCalling: true, vision: true),
        servesModelsOf: AnthropicMessages.metadata.name)

    /// Vertex AI's own `anthropic_version`, in the body. The anthropic SDK's Vertex client sent it
    /// until it began sending the API's dated version (2.14.0 sends `2026-10-21`); both are taken.
    static let anthropicVersion = "vertex-2023-10-16"

    /// The model segment of the SDK's `count_tokens` path.
    static let countTokensModel = "count-tokens"

    /// `AnthropicVertex` sends an OAuth access token (or its `access_token`) as `Authorization: Bearer`.
    package static var apiKeySources: [APIKeySource] { [.bearer] }

    package static func keyRefusal(given: Bool) -> APIError {
        VertexErrors.keyRefusal(given: given)
    }

    /// The front end's refusals (credentials, model, quota) in Google's envelope, the rest in Anthropic's.
    package static func errorReply(_ error: APIError, requestID: String) -> Reply {
        switch error.kind {
        case .authentication, .permission, .notFound, .rateLimit: VertexErrors.reply(error, requestID: requestID)
        default: AnthropicErrors.reply(error, requestID: requestID)
        }
    }

    package static func contextLengthError(tokens: Int, limit: Int) -> APIError {
        AnthropicMessages.contextLengthError(tokens: tokens, limit: limit)
    }

    /// Vertex AI sends no rate-limit headers.
    package static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields) {}

    package static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError {
        VertexErrors.quotaRefusal(standing)
    }

    /// Anthropic's 529 `overloaded_error`, which the model sends through Vertex AI.
    package static func overloadRefusal(retryAfter: Int) -> APIError {
        AnthropicMessages.overloadRefusal(retryAfter: retryAfter)
    }

    static func rawPredict(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try predict(http, &context, stream: false)
    }

    static func streamRawPredict(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        try predict(http, &context, stream: true)
    }

    /// The Messages body checked for Vertex AI (`anthropic_version`, no `model`), then Anthropic's
    /// reply; `stream` follows the method (`streamRawPredict` streams whatever the body's
    /// `stream` says, as Vertex AI's does).
    private static func predict(_ http: HTTPRequest, _ context: inout ProviderContext, stream: Bool) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let path = VertexPath(http, parameters: context.pathParameters)
        if path.model == countTokensModel && !stream { return try countTokens(http, &context) }
        var request = try decodeBody(http, requestID: requestID, wording: AnthropicErrors.self) { (fields) throws(FieldProblem) in
            try checkVersion(fields)
            return try AnthropicRequest(fields, pathModel: .vertex(path.model))
        }
        request.stream = stream
        let error = path.strictModelsError(maxTokens: request.maxTokens, provider: metadata, script: context.script) {
            AnthropicMessages.maxTokensError(request, limit: $0)
        }
        if let error { throw refusal(error, requestID: requestID) }
        return try messageReply(to: request, http, &context)
    }

    /// `count-tokens:rawPredict`: Anthropic's `{"input_tokens":N}` for a Messages body naming its model.
    static func countTokens(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let requestID = context.requestID
        let request = try decodeBody(http, requestID: requestID, wording: AnthropicErrors.self) { (fields) throws(FieldProblem) in
            try checkVersion(fields)
            return try AnthropicRequest(fields, requireMaxTokens: false)
        }
        return AnthropicMessages.countTokensReply(request, requestID: requestID)
    }

    /// `anthropic_version` is required in the body (Anthropic's own API takes it as a header):
    /// Vertex AI's `vertex-2023-10-16`, or an API version date such as `2023-06-01`.
    static func checkVersion(_ fields: RequestFields) throws(FieldProblem) {
        let version = try fields.string("anthropic_version", required: true)!
        guard version == anthropicVersion || isDate(version) else {
            throw .invalidValue(
                path: "anthropic_version",
                message: "anthropic_version: Input should be '\(anthropicVersion)' or an API version such as '2023-06-01'", code: "")
        }
    }

    /// `YYYY-MM-DD`, digits and dashes where a date has them.
    static func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10 else { return false }
        return bytes.indices.allSatisfy { i in
            i == 4 || i == 7 ? bytes[i] == UInt8(ascii: "-") : (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i])
        }
    }
}
