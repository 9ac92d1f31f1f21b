import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// A wire protocol of an LLM API: static metadata plus pure handlers.
///
/// A provider never touches a socket, a timer or a clock: it decodes a request, asks the script
/// for the answer and the pacing for the timing, and returns a `Reply` value. Adding a provider
/// is one new type plus one line in `ProviderTable`.
package protocol Provider: Sendable {
    static var metadata: ProviderMetadata { get }

    /// Renders an error in this provider's envelope, with its request-id header.
    static func errorReply(_ error: APIError, requestID: String) -> Reply

    /// Whether a request is this provider's by its headers alone (Anthropic's SDKs always send
    /// `anthropic-version`). Decides between providers serving the same path, and the shape of
    /// errors for paths no provider serves.
    static func claims(_ request: HTTPRequest) -> Bool

    /// The refusal of a prompt longer than the model's context window, in the API's words.
    static func contextLengthError(tokens: Int, limit: Int) -> APIError

    /// The rate-limit headers of a reply under `quotas:`, in the API's names and formats
    /// (`now`: Unix seconds, for a reset given as a time).
    static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields)

    /// The 429 of a request over its `quotas:` limit, in the API's words, with its rate-limit
    /// headers and `retry-after`.
    static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError

    /// How the API's clients send their key, first the one that wins when a request sends several.
    static var apiKeySources: [APIKeySource] { get }

    /// With `--api-key`: the refusal of a request that sends no key (`given` false) or another
    /// key, in the API's words.
    static func keyRefusal(given: Bool) -> APIError

    /// The state its handlers keep for the life of the server (`ProviderState`).
    static var stateTypes: [any ProviderState.Type] { get }

    /// The refusal of a request to a model whose serving engine's waiting queue is full
    /// (`engines:`, `max_waiting`), in the API's words; `retryAfter`: seconds to suggest.
    static func overloadRefusal(retryAfter: Int) -> APIError
}

/// OpenAI's behaviour is the default: a provider overrides what its API does otherwise.
extension Provider {
    package static func claims(_ request: HTTPRequest) -> Bool { false }

    /// OpenAI's wording (`context_length_exceeded`).
    package static func contextLengthError(tokens: Int, limit: Int) -> APIError {
        .invalidRequest(
            "This model's maximum context length is \(limit) tokens. However, your messages resulted in \(tokens) tokens. "
                + "Please reduce the length of the messages.",
            param: "messages", code: "context_length_exceeded")
    }

    /// OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`.
    package static func appendRateLimitHeaders(_ standing: Quota.Standing, now: Int, to headers: inout HTTPFields) {
        RateLimitHeaders.append(standing, to: &headers)
    }

    /// OpenAI's `rate_limit_exceeded`.
    package static func quotaRefusal(_ standing: Quota.Standing, now: Int) -> APIError {
        RateLimitHeaders.refusal(standing)
    }

    /// `Authorization: Bearer KEY`.
    package static var apiKeySources: [APIKeySource] { [.bearer] }

    /// OpenAI's 401s (`invalid_api_key` for another key).
    package static func keyRefusal(given: Bool) -> APIError {
        let message = given
            ? "Incorrect API key provided. You can set the key mockllm expects with --api-key or MOCKLLM_API_KEY."
            : "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        var error = APIError(status: 401, kind: .authentication, message: message, code: given ? "invalid_api_key" : nil)
        error.typeOverride = "invalid_request_error"
        return error
    }

    /// None.
    package static var stateTypes: [any ProviderState.Type] { [] }

    /// OpenAI's 429 with `retry-after`: the API answers a server over its capacity as it
    /// answers a rate limit (its error codes guide, "429 - Rate limit reached for requests" and
    /// "The engine is currently overloaded, please try again later"), and its SDKs retry a 429
    /// after the `retry-after` seconds.
    package static func overloadRefusal(retryAfter: Int) -> APIError {
        var error = APIError(status: 429, kind: .rateLimit, message: "The engine is currently overloaded, please try again later.",
                             headers: HTTPFields([HTTPFields.Field(name: "retry-after", value: String(retryAfter))]))
        error.typeOverride = "rate_limit_exceeded"
        return error
    }
}

extension ProviderCatalog {
    /// The providers' names and the models they declare, for loading scripts.
    package init(_ providers: [ServedProvider]) {
        self.init(names: providers.map(\.name), models: providers.flatMap(\.metadata.models))
    }
}

/// The providers of the table, as scripts are loaded for them.
package let providerCatalog = ProviderCatalog(servedProviders)

extension ModelRegistry {
    /// The models the providers of the table declare, for a script made without a file.
    package static let builtIn = ModelRegistry(providerCatalog.models)
}

/// What a provider declares about itself; the router, `/providers` and `/models` are built
/// from it. The registry starts from its `models`; a script's `models:` section adds to them,
/// and its models are then those of the registry whose `provider` is its name.
package struct ProviderMetadata: Sendable {
    package var name: String
    package var version: String
    package var description: String
    package var endpoints: [Endpoint]
    package var capabilities: Capabilities
    /// The models its API serves out of the box, each with `provider` set to `name`.
    package var models: [ModelInfo]
    /// The provider whose registry models this one serves too, in its own wire shape (Vertex
    /// AI's `vertex` serves `gemini`'s models): `/providers` and `/models` list them under it
    /// (`servedModels(in:)`).
    package var servesModelsOf: String?

    package init(name: String, version: String, description: String, endpoints: [Endpoint], capabilities: Capabilities,
                 models: [ModelInfo] = [], servesModelsOf: String? = nil) {
        self.servesModelsOf = servesModelsOf
        self.name = name
        self.version = version
        self.description = description
        self.endpoints = endpoints
        self.capabilities = capabilities
        self.models = models.map { model in
            var model = model
            model.provider = name
            return model
        }
    }

    /// The registry's models this provider serves: its own, then those of `servesModelsOf`.
    package func servedModels(in registry: ModelRegistry) -> [ModelInfo] {
        guard let vendor = servesModelsOf else { return registry.models(of: name) }
        return registry.models.filter { $0.provider == name } + registry.models(of: vendor)
    }
}

package struct Capabilities: Sendable, Equatable {
    package var streaming: Bool
    package var functionCalling: Bool
    package var vision: Bool

    package init(streaming: Bool, functionCalling: Bool, vision: Bool) {
        self.streaming = streaming
        self.functionCalling = functionCalling
        self.vision = vision
    }
}

/// One route a provider serves. Its handler returns the reply, or throws the error reply of a
/// request it refuses.
package struct Endpoint: Sendable {
    package typealias Handler = @Sendable (HTTPRequest, inout ProviderContext) throws(Refusal) -> Reply

    package var method: String
    /// A literal path; `{name}` segments match any one segment.
    package var path: String
    /// The handler's name as `/providers` lists it (the original listed Python method names).
    package var handlerName: String
    package var handler: Handler
    /// With `--api-key`, a request without the key is still handed to the handler, with
    /// `context.keyRefused` set, instead of refused before it: a WebSocket API (Gemini Live)
    /// accepts the upgrade and refuses the key in a close frame.
    package var answersKeyRefusal: Bool

    package init(method: String, path: String, handlerName: String, handler: @escaping Handler, answersKeyRefusal: Bool = false) {
        self.method = method
        self.path = path
        self.handlerName = handlerName
        self.handler = handler
        self.answersKeyRefusal = answersKeyRefusal
    }
}

/// What a handler may use besides the request: the script snapshot, the time, randomness.
/// Everything a reply depends on comes through here, so tests can fix it.
package struct ProviderContext: Sendable {
    package var script: Script
    /// Unix time in seconds, for `created` fields.
    package var now: Int
    package var random: SeededRandom
    /// Values of the endpoint's `{name}` path segments.
    package var pathParameters: [String: String]
    /// This request's id, for the provider's request-id header (`req_` and 24 hex digits).
    package var requestID: String
    /// Monotonic nanoseconds, for quota windows (set by the server; 0 in tests that need none).
    package var monotonic: UInt64 = 0
    /// The API key the request sends ("" none; set by the server from the served providers'
    /// `apiKeySources`), by which quotas and fault schedules tell clients apart.
    package var clientKey = ""
    /// The state the answering provider keeps for the life of the server (its `stateTypes`,
    /// set by the server; empty: nothing is kept).
    package var states = ProviderStates()
    /// The request's test scope (`x-mockllm-test`, `/t/ID/`), whose counts, quota windows and
    /// stored objects are its own; nil for a request without one. `script` is then the scope's.
    package var scope: TestScope?
    /// Set by the handler: the tokens its reply reports (prompt read, completion generated),
    /// for the server's token counters; nil for a reply without usage.
    package var usage: TokenUsage?
    /// Set by the plan of a reply from a model that runs on a serving engine (`engines:`).
    package var engine: EngineDemand?
    /// Set by the plan of a reply: the model the request names, for the per-model vLLM metrics
    /// every mockllm serves (`vllm:num_requests_running` per `model_name`).
    package var model: String?
    /// Set by the handler: vLLM's `priority` (lower first), for a model on an engine with the
    /// `priority` scheduling policy.
    package var priority = 0
    /// Set by the server for an endpoint that `answersKeyRefusal`, when `--api-key` refuses the
    /// request: whether it sent a key at all (a wrong key and none are refused differently).
    package var keyRefused: Bool?

    package init(
        script: Script, now: Int, random: SeededRandom, pathParameters: [String: String] = [:], requestID: String = "req_test"
    ) {
        self.script = script
        self.now = now
        self.random = random
        self.pathParameters = pathParameters
        self.requestID = requestID
    }
}
