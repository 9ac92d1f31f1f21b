import MockLLMCore
import MockLLMScript

/// A step of handling a request that yields a value, or has already become the reply (an
/// error in the provider's shape).
enum Prepared<Value> {
    case ready(Value)
    case refused(Reply)
}

/// How a provider words problems with a request body: its real API's messages.
protocol ProblemWording {
    static func error(for problem: BodyProblem) -> APIError
    static func error(for problem: FieldProblem) -> APIError
}

extension Provider {
    /// Parses a JSON object body and decodes it with `decode`; a problem becomes this
    /// provider's error reply, worded by `wording`. `emptyBody`: what an empty body is read as
    /// (Google's front end reads it as `{}`); nil: an empty body is a problem.
    static func decodeBody<Value>(
        _ http: HTTPRequest, requestID: String, wording: any ProblemWording.Type, emptyBody: [UInt8]? = nil,
        _ decode: (RequestFields) throws(FieldProblem) -> Value
    ) -> Prepared<Value> {
        let fields: RequestFields
        do {
            fields = try RequestFields.parseBody(http.body.isEmpty ? emptyBody ?? http.body : http.body)
        } catch {
            return .refused(errorReply(wording.error(for: error), requestID: requestID))
        }
        do {
            return .ready(try decode(fields))
        } catch {
            return .refused(errorReply(wording.error(for: error), requestID: requestID))
        }
    }

    /// Plans a chat reply; a scripted error or an invalid override header becomes the reply.
    static func plan(
        for input: MatchInput, maxTokens: Int?, stopSequences: [String], context: inout ProviderContext
    ) -> Prepared<ChatPlan> {
        do {
            var plan = try ChatPlan.make(for: input, maxTokens: maxTokens, stopSequences: stopSequences, context: &context)
            if let quota = plan.quota { appendRateLimitHeaders(quota, now: context.now, to: &plan.rateLimitHeaders) }
            return .ready(plan)
        } catch {
            return .refused(reply(to: error, context: context))
        }
    }

    /// Why a chat reply is not planned, as this provider's error reply.
    static func reply(to refusal: ChatPlan.Refusal, context: ProviderContext) -> Reply {
        let error: APIError
        switch refusal {
        case .scripted(let api): error = api
        case .invalidOverride(let message): error = .invalidRequest(message)
        case .quotaExceeded(let standing): error = quotaRefusal(standing, now: context.now)
        case .contextLength(let tokens, let limit, let headers):
            var refusal = contextLengthError(tokens: tokens, limit: limit)
            refusal.headers = headers
            error = refusal
        }
        return errorReply(error, requestID: context.requestID)
    }
}
