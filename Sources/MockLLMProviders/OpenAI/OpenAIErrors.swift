import MockLLMCore
import MockLLMScript

/// OpenAI's error envelope and wording, shared by every OpenAI endpoint:
/// `{"error":{"message":...,"type":...,"param":...,"code":...}}`.
package enum OpenAIErrors: ProblemWording {
    /// The header carrying the request id on every OpenAI reply.
    static let requestIDHeader = "x-request-id"

    package static func reply(_ error: APIError, requestID: String) -> Reply {
        var out = ByteBuffer()
        out.append(ascii: "{\"error\":{\"message\":")
        out.append(jsonString: error.message)
        out.append(ascii: ",\"type\":")
        out.append(jsonString: error.typeOverride ?? typeName(for: error.kind))
        out.append(ascii: ",\"param\":")
        out.append(jsonStringOrNull: error.param)
        out.append(ascii: ",\"code\":")
        out.append(jsonStringOrNull: error.code)
        out.append(ascii: "}}")
        return Reply.json(error.status, out, headers: error.headers).adding(header: requestIDHeader, requestID)
    }

    static func typeName(for kind: APIError.Kind) -> String {
        switch kind {
        case .invalidRequest, .notFound, .methodNotAllowed, .requestTooLarge: "invalid_request_error"
        case .authentication: "authentication_error"
        case .permission: "permission_error"
        case .rateLimit: "rate_limit_exceeded"
        case .server: "server_error"
        case .overloaded: "service_unavailable"
        }
    }

    /// A field problem in the real API's words.
    package static func error(for problem: FieldProblem) -> APIError {
        switch problem {
        case .missing(let path):
            .invalidRequest("Missing required parameter: '\(path)'.", param: path, code: "missing_required_parameter")
        case .wrongType(let path, let expected, let found):
            .invalidRequest("Invalid type for '\(path)': expected \(expected), but got \(found) instead.", param: path, code: "invalid_type")
        case .invalidValue(let path, let message, let code):
            .invalidRequest(message, param: path, code: code)
        }
    }

    /// What OpenAI answers for a model that does not exist (404).
    static func modelNotFound(_ model: String) -> APIError {
        APIError(status: 404, kind: .notFound, message: "The model `\(model)` does not exist or you do not have access to it.",
                 code: "model_not_found")
    }

    /// What OpenAI answers for a `max_tokens` (`field`) above the model's limit.
    static func tooManyTokens(_ n: Int, limit: Int, field: String, tokens: String) -> APIError {
        .invalidRequest("\(field) is too large: \(n). This model supports at most \(limit) \(tokens) tokens, whereas you provided \(n).",
                        param: field, code: "invalid_value")
    }

    package static func error(for problem: BodyProblem) -> APIError {
        switch problem {
        case .invalidJSON(let parseError):
            .invalidRequest(
                "We could not parse the JSON body of your request: \(parseError). The API expects a JSON payload.")
        case .notAnObject(let found):
            .invalidRequest("Invalid type for the request body: expected an object, but got \(found) instead.", code: "invalid_type")
        }
    }
}

extension OpenAIErrors {
    /// What the API sends when a stream fails part way: a `data:` event holding an error, which
    /// the SDKs raise as an `APIError`.
    static func streamErrorEvent(_ fault: StreamFault) -> ByteBuffer {
        var out = ByteBuffer()
        guard case .error(let type, let message)? = fault.cut else { return out }
        out.append(ascii: "data: {\"error\":{\"message\":")
        out.append(jsonString: message)
        out.append(ascii: ",\"type\":")
        out.append(jsonString: type ?? "server_error")
        out.append(ascii: ",\"param\":null,\"code\":null}}\n\n")
        return out
    }

    /// A chunk cut off inside its JSON.
    static let malformedEvent: ByteBuffer = {
        var out = ByteBuffer()
        out.append(ascii: "data: {\"object\":\"chat.completion.chunk\",\"choices\":[{\"delta\":{\"content\":\"unterminated\n\n")
        return out
    }()
}
