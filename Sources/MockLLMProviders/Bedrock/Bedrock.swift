import MockLLMCore
import MockLLMScript

/// Amazon Bedrock's runtime API: `Converse` and `ConverseStream` (one message shape for every
/// model), and `InvokeModel` and `InvokeModelWithResponseStream` (the body in the model's own
/// family's format: `Family`), under `/model/{modelId}/...`. Streams are AWS event streams
/// (`EventStream`, `application/vnd.amazon.eventstream`); errors are Bedrock's exceptions
/// (`BedrockErrors`).
///
/// Authentication: SigV4-signed requests are accepted without checking the signature (a mock
/// has no secret keys to check it against; the SDKs sign with whatever credentials they are
/// given). With `--api-key`, the key is checked as Bedrock's API keys are sent:
/// `Authorization: Bearer KEY` (boto3 with `AWS_BEARER_TOKEN_BEDROCK`); a signed request then
/// is refused, its `Authorization` carrying no key.
package enum Bedrock: Provider {
    package static let metadata = ProviderMetadata(
        name: "bedrock",
        version: "1.0.0",
        description: "Amazon Bedrock runtime provider (Converse, InvokeModel, AWS event streams)",
        endpoints: [
            Endpoint(method: "POST", path: "/model/{model}/converse", handlerName: "converse", handler: converse),
            Endpoint(method: "POST", path: "/model/{model}/converse-stream", handlerName: "converse_stream", handler: converseStream),
            Endpoint(method: "POST", path: "/model/{model}/invoke", handlerName: "invoke_model", handler: invoke),
            Endpoint(method: "POST", path: "/model/{model}/invoke-with-response-stream", handlerName: "invoke_model_with_response_stream",
                     handler: invokeStream),
        ],
        capabilities: Capabilities(streaming: true, functionCalling: true, vision: true),
        models: defaultModels)

    package static func errorReply(_ error: APIError, requestID: String) -> Reply {
        BedrockErrors.reply(error, requestID: requestID)
    }

    /// An exception message of an event stream (`internalServerException`, ...), for a stream
    /// that breaks off: the recording proxy's when its upstream's does.
    package static func streamException(type: String, message: String) -> ByteBuffer {
        BedrockErrors.exceptionEvent(type: type, message: message)
    }

    /// AWS's own request ids are UUIDs; the mock's request id serves.
    package static func contextLengthError(tokens: Int, limit: Int) -> APIError {
        .invalidRequest("Input is too long for requested model. The prompt has \(tokens) tokens, more than the model's limit of \(limit).")
    }

    /// Bedrock sends no rate-limit headers.
    package static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields) {}

    /// `ThrottlingException` 429, which botocore retries (with its own backoff: Bedrock sends no
    /// `retry-after`).
    package static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError {
        APIError(status: 429, kind: .rateLimit, message: BedrockErrors.throttlingMessage)
    }

    /// A full serving engine: `ServiceUnavailableException` 503, as Bedrock answers when a model
    /// is over capacity ("Bedrock is unable to process your request.").
    package static func overloadRefusal(retryAfter: Int) -> APIError {
        APIError(status: 503, kind: .overloaded, message: BedrockErrors.statusMessage(503))
    }

    /// Bedrock API keys as bearer tokens (`AWS_BEARER_TOKEN_BEDROCK`).
    package static var apiKeySources: [APIKeySource] { [.bearer] }

    /// 403s, as AWS answers a bad token and a request without one.
    package static func keyRefusal(given: Bool) -> APIError {
        var error = given
            ? APIError(status: 403, kind: .permission, message: "The security token included in the request is invalid.")
            : APIError(status: 403, kind: .permission, message: "Missing Authentication Token")
        error.typeOverride = given ? "UnrecognizedClientException" : "MissingAuthenticationTokenException"
        return error
    }

    /// The model the path names (decoded; of an ARN, its last part).
    static func model(_ context: ProviderContext) -> String {
        modelID(fromPath: context.pathParameters["model"] ?? "")
    }

    /// With `settings.strict_models`: Bedrock's 404 for a model it does not serve, and its 400
    /// for a maximum above the model's.
    static func checkModel(_ model: String, maxTokens: Int?, context: ProviderContext) throws(Refusal) {
        switch ModelCheck.check(model: model, maxTokens: maxTokens, provider: metadata.name, script: context.script) {
        case .accepted:
            return
        case .unknownModel:
            throw refusal(APIError(status: 404, kind: .notFound, message: "The provided model identifier is invalid."), requestID: context.requestID)
        case .tooManyTokens(let limit):
            throw refusal(.invalidRequest(
                "The maximum tokens you requested exceeds the model limit of \(limit). Try again with a maximum tokens value that is lower than \(limit)."),
                requestID: context.requestID)
        }
    }

    /// The headers of a streamed reply: AWS's event stream content type.
    static func streamHeaders(_ plan: ChatPlan, requestID: String) -> HTTPFields {
        plan.replyHeaders(contentType: "application/vnd.amazon.eventstream", requestIDHeader: BedrockErrors.requestIDHeader, requestID: requestID)
    }

    /// The stop reason Converse and Nova give for how a reply ends.
    static func stopReason(_ finish: ChatPlan.Finish) -> String {
        switch finish {
        case .endTurn: "end_turn"
        case .maxTokens: "max_tokens"
        case .stopSequence: "stop_sequence"
        case .toolUse: "tool_use"
        }
    }

    /// A reply's time in whole milliseconds (`latencyMs`, `invocationLatency`).
    static func latencyMilliseconds(_ plan: ChatPlan) -> Int {
        Int(plan.bodyDelay / 1_000_000)
    }
}
