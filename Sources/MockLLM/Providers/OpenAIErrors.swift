/// OpenAI's error envelope and wording, shared by every OpenAI endpoint:
/// `{"error":{"message":...,"type":...,"param":...,"code":...}}`.
public enum OpenAIErrors {
    public static func reply(_ error: APIError) -> Reply {
        var out = ByteBuffer()
        out.append(ascii: "{\"error\":{\"message\":")
        out.append(jsonString: error.message)
        out.append(ascii: ",\"type\":")
        out.append(jsonString: typeName(for: error.kind))
        out.append(ascii: ",\"param\":")
        appendOptional(error.param, to: &out)
        out.append(ascii: ",\"code\":")
        appendOptional(error.code, to: &out)
        out.append(ascii: "}}")
        return Reply.json(error.status, out, headers: error.headers)
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

    private static func appendOptional(_ text: String?, to out: inout ByteBuffer) {
        if let text { out.append(jsonString: text) } else { out.append(ascii: "null") }
    }

    /// A field problem in the real API's words.
    public static func error(for problem: FieldProblem) -> APIError {
        switch problem {
        case .missing(let path):
            .invalidRequest("Missing required parameter: '\(path)'.", param: path, code: "missing_required_parameter")
        case .wrongType(let path, let expected, let found):
            .invalidRequest("Invalid type for '\(path)': expected \(expected), but got \(found) instead.", param: path, code: "invalid_type")
        case .invalidValue(let path, let message, let code):
            .invalidRequest(message, param: path, code: code)
        }
    }

    public static func error(for problem: BodyProblem) -> APIError {
        switch problem {
        case .invalidJSON(let parseError):
            .invalidRequest(
                "We could not parse the JSON body of your request: \(parseError). The API expects a JSON payload.")
        case .notAnObject(let found):
            .invalidRequest("Invalid type for the request body: expected an object, but got \(found) instead.", code: "invalid_type")
        }
    }
}
