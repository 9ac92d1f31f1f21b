/// A wire protocol of an LLM API: static metadata plus pure handlers.
///
/// A provider never touches a socket, a timer or a clock: it decodes a request, asks the script
/// for the answer and the pacing for the timing, and returns a `Reply` value. Adding a provider
/// is one new type plus one line in `ProviderTable`.
public protocol Provider: Sendable {
    static var metadata: ProviderMetadata { get }

    /// Renders an error in this provider's envelope, with its request-id header.
    static func errorReply(_ error: APIError, requestID: String) -> Reply

    /// Whether a request is this provider's by its headers alone (Anthropic's SDKs always send
    /// `anthropic-version`). Decides between providers serving the same path, and the shape of
    /// errors for paths no provider serves.
    static func claims(_ request: HTTPRequest) -> Bool

    /// The refusal of a prompt longer than the model's context window, in the API's words.
    static func contextLengthError(tokens: Int, limit: Int) -> APIError
}

extension Provider {
    public static func claims(_ request: HTTPRequest) -> Bool { false }

    /// OpenAI's wording (`context_length_exceeded`).
    public static func contextLengthError(tokens: Int, limit: Int) -> APIError {
        .invalidRequest(
            "This model's maximum context length is \(limit) tokens. However, your messages resulted in \(tokens) tokens. "
                + "Please reduce the length of the messages.",
            param: "messages", code: "context_length_exceeded")
    }
}

/// The names of the providers in the table, for validating scripts.
public let providerNames: [String] = providerTable.map { $0.metadata.name }

/// What a provider declares about itself; the router, `/providers` and `/models` are built
/// from it (its models are those of the registry whose `provider` is its name).
public struct ProviderMetadata: Sendable {
    public var name: String
    public var version: String
    public var description: String
    public var endpoints: [Endpoint]
    public var capabilities: Capabilities

    public init(name: String, version: String, description: String, endpoints: [Endpoint], capabilities: Capabilities) {
        self.name = name
        self.version = version
        self.description = description
        self.endpoints = endpoints
        self.capabilities = capabilities
    }
}

public struct Capabilities: Sendable, Equatable {
    public var streaming: Bool
    public var functionCalling: Bool
    public var vision: Bool

    public init(streaming: Bool, functionCalling: Bool, vision: Bool) {
        self.streaming = streaming
        self.functionCalling = functionCalling
        self.vision = vision
    }
}

/// One route a provider serves.
public struct Endpoint: Sendable {
    public typealias Handler = @Sendable (HTTPRequest, inout ProviderContext) -> Reply

    public var method: String
    /// A literal path; `{name}` segments match any one segment.
    public var path: String
    /// The handler's name as `/providers` lists it (the original listed Python method names).
    public var handlerName: String
    public var handler: Handler

    public init(method: String, path: String, handlerName: String, handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.handlerName = handlerName
        self.handler = handler
    }
}

/// What a handler may use besides the request: the script snapshot, the time, randomness.
/// Everything a reply depends on comes through here, so tests can fix it.
public struct ProviderContext: Sendable {
    public var script: Script
    /// Unix time in seconds, for `created` fields.
    public var now: Int
    public var random: SeededRandom
    /// Values of the endpoint's `{name}` path segments.
    public var pathParameters: [String: String]
    /// This request's id, for the provider's request-id header (`req_` and 24 hex digits).
    public var requestID: String
    /// Monotonic nanoseconds, for quota windows (set by the server; 0 in tests that need none).
    public var monotonic: UInt64 = 0
    /// The Responses API's stored responses, shared by every worker (set by the server; nil:
    /// nothing is stored or found).
    public var responses: OpenAIResponseStore?

    public init(
        script: Script, now: Int, random: SeededRandom, pathParameters: [String: String] = [:], requestID: String = "req_test"
    ) {
        self.script = script
        self.now = now
        self.random = random
        self.pathParameters = pathParameters
        self.requestID = requestID
    }
}
