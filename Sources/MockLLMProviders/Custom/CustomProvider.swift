import MockLLMCore
import MockLLMScript
import MockLLMSimulation

// The public API for providers written outside this package (docs/ARCHITECTURE.md, "A
// provider of your own"). It is deliberately small and separate from the `Provider` protocol
// the built-in providers use, which changes as the server grows: a package written against
// these types keeps building.

/// A wire protocol added by a package that depends on the `MockLLM` library:
///
/// ```swift
/// struct MyCompany: CustomProvider {
///     static let name = "mycompany"
///     static let description = "MyCompany LLM Provider"
///     static let models = ["mycompany-model-1", "mycompany-model-2"]
///     static let endpoints = [CustomEndpoint("POST", "/v1/mycompany/chat", handler: chat)]
///
///     static func chat(_ request: CustomRequest, _ session: inout CustomSession) throws(CustomError) -> Reply {
///         let body = try request.json()
///         let answer = try session.answer(prompt: body["prompt"]?.stringValue ?? "", model: body["model"]?.stringValue ?? "")
///         return answer.reply(json: .object(["response": .string(answer.text)]))
///     }
/// }
/// ```
///
/// Its endpoints are answered like every chat endpoint: the script's rules and `responses:`,
/// pacing, faults, quotas, the journal, `/providers` and `/models`. Errors are written in
/// OpenAI's envelope unless `errorBody(_:)` says otherwise.
public protocol CustomProvider: Sendable {
    /// The name `/providers` lists and rules match with `provider:`.
    static var name: String { get }
    static var version: String { get }
    static var description: String { get }
    /// The models it serves, added to the registry as its own.
    static var models: [String] { get }
    static var endpoints: [CustomEndpoint] { get }
    /// The body of an error reply (default: OpenAI's `{"error":{"message","type","param","code"}}`).
    static func errorBody(_ error: CustomError) -> JSONValue
}

extension CustomProvider {
    public static var version: String { "1.0.0" }
    public static var description: String { name }
    public static var models: [String] { [] }

    public static func errorBody(_ error: CustomError) -> JSONValue {
        .object(["error": .object([
            "message": .string(error.message), "type": .string(error.type), "param": .null,
            "code": error.code.map { .string($0) } ?? .null,
        ])])
    }
}

/// One route of a custom provider.
public struct CustomEndpoint: Sendable {
    public typealias Handler = @Sendable (CustomRequest, inout CustomSession) throws(CustomError) -> Reply

    public var method: String
    /// A literal path; `{name}` segments match any one segment (`CustomRequest.pathParameters`).
    public var path: String
    /// The name `/providers` lists (default: the path).
    public var handlerName: String
    public var handler: Handler

    public init(_ method: String, _ path: String, handlerName: String? = nil, handler: @escaping Handler) {
        self.method = method
        self.path = path
        self.handlerName = handlerName ?? path
        self.handler = handler
    }
}

/// A request to a custom endpoint.
public struct CustomRequest: Sendable {
    public let http: HTTPRequest
    /// Values of the endpoint's `{name}` path segments.
    public let pathParameters: [String: String]

    public var method: String { http.method }
    public var path: String { http.path }
    public var body: [UInt8] { http.body }

    /// A header's value (names compare case-insensitively).
    public func header(_ name: String) -> String? { http.headers[name.lowercased()] }

    /// The body as JSON; a body that is not a JSON object is refused with a 400.
    public func json() throws(CustomError) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONReader.parse(http.body)
        } catch {
            throw CustomError(status: 400, message: "We could not parse the JSON body of your request: \(error).",
                              type: "invalid_request_error")
        }
        guard value.objectValue != nil else {
            throw CustomError(status: 400, message: "The request body must be a JSON object.", type: "invalid_request_error")
        }
        return value
    }
}

/// What a custom handler answers with besides the request: the script's answer, the time, ids.
public struct CustomSession: Sendable {
    var context: ProviderContext
    let provider: String
    let endpoint: String

    /// Unix time in seconds, for `created` fields.
    public var now: Int { context.now }
    /// This request's id (`req_` and 24 hex digits), sent as `x-request-id`.
    public var requestID: String { context.requestID }

    /// The script's answer to `prompt`, planned like every chat endpoint's: the rules (which see
    /// `provider:`, `model:`, `endpoint:`, headers and the conversation), `responses:`, the
    /// default reply, pacing, faults, quotas and `max_tokens`. A scripted error, a fault or a
    /// quota refusal is thrown, to be answered as is.
    /// - Parameter conversation: earlier messages as (role, text), oldest first; the prompt is
    ///   the last user message.
    public mutating func answer(prompt: String, model: String = "", conversation: [(role: String, text: String)] = [],
                                maxTokens: Int? = nil, headers request: CustomRequest? = nil) throws(CustomError) -> Answer {
        let messages = conversation.map { ChatMessage(role: $0.role, text: $0.text) } + [ChatMessage(role: "user", text: prompt)]
        let input = MatchInput(prompt: prompt, model: model, messages: messages, headers: request?.http.headers ?? RequestHeaders(),
                               endpoint: endpoint, provider: provider)
        var plan: ChatPlan
        do {
            plan = try ChatPlan.make(for: input, maxTokens: maxTokens, stopSequences: [], context: &context)
        } catch {
            let api = error.apiError(quotaRefusal: RateLimitHeaders.refusal,
                                     contextLength: { OpenAIChat.contextLengthError(tokens: $0, limit: $1) })
            throw CustomError(api)
        }
        if let quota = plan.quota { RateLimitHeaders.append(quota, to: &plan.rateLimitHeaders) }
        context.usage = TokenUsage(prompt: plan.promptTokens, completion: plan.tokens)
        var id = ByteBuffer(capacity: 41)
        id.append(ascii: "mock-")
        context.random.nextUUID().append(to: &id)
        return Answer(plan: plan, id: id.description, requestID: context.requestID)
    }
}

/// The script's answer to one request, and the replies that carry it with its simulated timing.
public struct Answer: Sendable {
    let plan: ChatPlan
    let requestID: String
    /// `mock-` and a UUID, as the built-in providers' ids.
    public let id: String

    init(plan: ChatPlan, id: String, requestID: String) {
        self.plan = plan
        self.id = id
        self.requestID = requestID
    }

    /// The reply's text (a rule's tool calls are left out; their text blocks are kept).
    public var text: String {
        plan.blocks.isEmpty ? plan.text : plan.blocks.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined()
    }
    public var promptTokens: Int { plan.promptTokens }
    public var completionTokens: Int { plan.tokens }
    /// `stop`, or `length` when `maxTokens` cut it.
    public var finishReason: String { plan.finish == .maxTokens ? "length" : "stop" }

    /// A whole reply: `body` sent once the simulated latency has passed, with the request id
    /// and the diagnostic headers (`x-mockllm-rule`, ...).
    public func reply(body: ByteBuffer, status: Int = 200, contentType: String = "application/json") -> Reply {
        var headers = plan.replyHeaders(contentType: contentType, requestIDHeader: "x-request-id", requestID: requestID)
        for field in plan.rateLimitHeaders { headers.append(name: field.name, value: field.value) }
        return Reply(status: status, headers: headers, body: .bytes(body, delay: plan.bodyDelay))
    }

    /// A whole JSON reply.
    public func reply(json: JSONValue, status: Int = 200) -> Reply {
        var out = ByteBuffer()
        out.append(json: json)
        return reply(body: out, status: status)
    }

    /// A stream: `start` at once, then `event` of each chunk of the text (paced as the script
    /// says), then `end`. Stream faults (cuts, resets, stalls, malformed events) apply.
    public func stream(contentType: String = "text/event-stream", start: String? = nil,
                       event: @escaping @Sendable (_ chunk: String, _ index: Int) -> String, end: String? = nil) -> Reply {
        var headers = plan.replyHeaders(contentType: contentType, cacheControl: "no-cache", requestIDHeader: "x-request-id",
                                        requestID: requestID)
        for field in plan.rateLimitHeaders { headers.append(name: field.name, value: field.value) }
        let source = FramedTextStream(
            text: text, chunking: plan.pacing.chunking, schedule: plan.schedule,
            start: Self.frame(start), event: { (chunk: Substring, index: Int, out: inout ByteBuffer) in
                out.append(utf8: event(String(chunk), index))
            },
            end: Self.frame(end))
        var malformed = ByteBuffer(event("unterminated", 0))
        malformed = ByteBuffer(Array(malformed.bytes.prefix(max(1, malformed.count / 2))))
        return plan.streamReply(source, headers: headers, errorEvent: { fault in
            guard case .error(let type, let message)? = fault.cut else { return ByteBuffer() }
            var out = ByteBuffer("data: ")
            out.append(json: .object(["error": .object(["message": .string(message), "type": .string(type ?? "server_error")])]))
            out.append(ascii: "\n\n")
            return out
        }, malformedEvent: malformed)
    }
}

extension Answer {
    static func frame(_ text: String?) -> FramedTextStream.Frame? {
        guard let text else { return nil }
        return { (out: inout ByteBuffer) in out.append(utf8: text) }
    }
}

/// An error a custom handler answers with: rendered by the provider's `errorBody(_:)`.
public struct CustomError: Error, Sendable {
    public var status: Int
    public var message: String
    /// OpenAI's error type words (`invalid_request_error`, `rate_limit_exceeded`, ...).
    public var type: String
    public var code: String?
    /// Extra headers (`retry-after`, the diagnostics of a scripted error).
    public var headers: [(name: String, value: String)]

    public init(status: Int, message: String, type: String = "invalid_request_error", code: String? = nil,
                headers: [(name: String, value: String)] = []) {
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.headers = headers
    }

    init(_ error: APIError) {
        self.init(status: error.status, message: error.message, type: error.typeOverride ?? OpenAIErrors.typeName(for: error.kind),
                  code: error.code, headers: error.headers.map { ($0.name, $0.value) })
    }
}

extension ServedProvider {
    /// A custom provider as the server holds it: OpenAI's key presentation and refusals, its
    /// own error body.
    package convenience init(custom type: any CustomProvider.Type) {
        let name = type.name
        let endpoints = type.endpoints.map { endpoint in
            Endpoint(method: endpoint.method, path: endpoint.path, handlerName: endpoint.handlerName) { (http, context) throws(Refusal) in
                var session = CustomSession(context: context, provider: name, endpoint: endpoint.path)
                defer { context = session.context }
                do throws(CustomError) {
                    return try endpoint.handler(CustomRequest(http: http, pathParameters: context.pathParameters), &session)
                } catch {
                    throw Refusal(customErrorReply(error, provider: type, requestID: context.requestID))
                }
            }
        }
        let metadata = ProviderMetadata(
            name: name, version: type.version, description: type.description, endpoints: endpoints,
            capabilities: Capabilities(streaming: true, functionCalling: false, vision: false),
            models: type.models.map {
                ModelInfo(id: $0, provider: name, contextWindow: 128_000, maxOutputTokens: 16_384, created: ModelRegistry.scriptModelCreated)
            })
        self.init(
            metadata: metadata, apiKeySources: OpenAIChat.apiKeySources, stateTypes: [], claims: { _ in false },
            errorReply: { error, requestID in customErrorReply(CustomError(error), provider: type, requestID: requestID) },
            keyRefusal: { OpenAIChat.keyRefusal(given: $0) })
    }
}

func customErrorReply(_ error: CustomError, provider: any CustomProvider.Type, requestID: String) -> Reply {
    var out = ByteBuffer()
    out.append(json: provider.errorBody(error))
    var headers = HTTPFields()
    for (name, value) in error.headers { headers.append(name: name, value: value) }
    return Reply.json(error.status, out, headers: headers).adding(header: "x-request-id", requestID)
}
