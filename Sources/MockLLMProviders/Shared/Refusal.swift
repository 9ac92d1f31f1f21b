import MockLLMCore
import MockLLMScript

/// A handler's answer when it stops before the end: the reply, already in the provider's error
/// shape. Every step that can refuse a request (decoding the body, a model check, planning)
/// throws it, so a handler's happy path reads straight; the server sends `reply`.
package struct Refusal: Error {
    package var status: Int
    package var headers: HTTPFields
    package var body: ByteBuffer

    /// - Parameter reply: an error reply, with a body of bytes sent at once.
    package init(_ reply: Reply) {
        status = reply.status
        headers = reply.headers
        body = reply.bodyBytes
    }

    package var reply: Reply {
        Reply(status: status, headers: headers, body: .bytes(body, delay: 0))
    }
}

extension Endpoint {
    /// What `handler` answers: its reply, or its refusal's.
    package static func answer(_ request: HTTPRequest, _ context: inout ProviderContext, by handler: Handler) -> Reply {
        do {
            return try handler(request, &context)
        } catch {
            return error.reply
        }
    }
}

/// How a provider words problems with a request body: its real API's messages.
protocol ProblemWording {
    static func error(for problem: BodyProblem) -> APIError
    static func error(for problem: FieldProblem) -> APIError
}

extension Provider {
    /// `error` as this provider's error reply, to throw.
    static func refusal(_ error: APIError, requestID: String) -> Refusal {
        Refusal(errorReply(error, requestID: requestID))
    }

    /// Parses a JSON object body and decodes it with `decode`; a problem is refused in this
    /// provider's shape, worded by `wording`. `emptyBody`: what an empty body is read as
    /// (Google's front end reads it as `{}`); nil: an empty body is a problem.
    static func decodeBody<Value>(
        _ http: HTTPRequest, requestID: String, wording: any ProblemWording.Type, emptyBody: [UInt8]? = nil,
        _ decode: (RequestFields) throws(FieldProblem) -> Value
    ) throws(Refusal) -> Value {
        let fields: RequestFields
        do {
            fields = try RequestFields.parseBody(http.body.isEmpty ? emptyBody ?? http.body : http.body)
        } catch {
            throw refusal(wording.error(for: error), requestID: requestID)
        }
        do {
            return try decode(fields)
        } catch {
            throw refusal(wording.error(for: error), requestID: requestID)
        }
    }

    /// Plans a chat reply, with this provider's rate-limit headers when a quota counts it; a
    /// scripted error, a fault, a quota, an invalid override header or a prompt too long for the
    /// model is refused in this provider's words (`contextLength`: other words for the last).
    static func plan(
        for input: MatchInput, maxTokens: Int?, stopSequences: [String], context: inout ProviderContext,
        contextLength: ((_ tokens: Int, _ limit: Int) -> APIError)? = nil, exactTokens: (tokens: Int, length: Bool)? = nil
    ) throws(Refusal) -> ChatPlan {
        var plan: ChatPlan
        do {
            plan = try ChatPlan.make(for: input, maxTokens: maxTokens, stopSequences: stopSequences, context: &context,
                                     exactTokens: exactTokens)
        } catch {
            throw refusal(error, context: context, contextLength: contextLength ?? contextLengthError)
        }
        if let quota = plan.quota { appendRateLimitHeaders(quota, now: context.now, to: &plan.rateLimitHeaders) }
        return plan
    }

    /// Why a chat reply is not planned, as this provider's error reply.
    private static func refusal(
        _ obstacle: ChatPlan.Obstacle, context: ProviderContext, contextLength: @escaping (Int, Int) -> APIError
    ) -> Refusal {
        let error = obstacle.apiError(quotaRefusal: { quotaRefusal($0, now: context.now) }, contextLength: contextLength)
        return refusal(error, requestID: context.requestID)
    }
}

extension ChatPlan.Obstacle {
    /// The error a client sees, worded by the provider where its API has words of its own
    /// (`quotaRefusal`, `contextLength`).
    func apiError(quotaRefusal: (Quota.Standing) -> APIError, contextLength: (Int, Int) -> APIError) -> APIError {
        switch self {
        case .scripted(let api): return api
        case .invalidOverride(let message): return .invalidRequest(message)
        case .quotaExceeded(let standing): return quotaRefusal(standing)
        case .contextLength(let tokens, let limit, let headers):
            var refusal = contextLength(tokens, limit)
            refusal.headers = headers
            return refusal
        }
    }
}
