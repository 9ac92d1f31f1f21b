import MockLLMCore
import MockLLMScript

/// Ollama's error envelope and wording: `{"error":"..."}` and nothing else, with the status as
/// its Go server sends it (`model 'x' not found` 404, `model is required` 400, ...). Decoding
/// problems read as Go's `encoding/json` words them (`json: cannot unmarshal number into Go
/// struct field ChatRequest.model of type string`).
enum OllamaErrors: ProblemWording {
    /// Ollama sends no request id; the mock's is kept under OpenAI's name for debugging.
    static let requestIDHeader = "x-request-id"

    static func reply(_ error: APIError, requestID: String) -> Reply {
        var out = ByteBuffer(capacity: 16 + error.message.utf8.count)
        out.append(ascii: "{\"error\":")
        out.append(jsonString: error.message)
        out.append(UInt8(ascii: "}"))
        var headers = HTTPFields(capacity: error.headers.count + 2)
        headers.append(name: "content-type", value: contentType)
        for field in error.headers { headers.append(name: field.name, value: field.value) }
        headers.append(name: requestIDHeader, value: requestID)
        return Reply(status: error.status, headers: headers, body: .bytes(out, delay: 0))
    }

    /// What gin's `c.JSON` sends.
    static let contentType = "application/json; charset=utf-8"

    static func bad(_ message: String) -> APIError {
        .invalidRequest(message)
    }

    /// 404 for a model that is not pulled (chat, generate and show word it alike).
    static func modelNotFound(_ model: String) -> APIError {
        APIError(status: 404, kind: .notFound, message: "model '\(model)' not found")
    }

    /// 404 for a model that is not pulled, in the words of the server's scheduler
    /// (`/api/embed`, `/api/embeddings`): `model "x" not found, try pulling it first`.
    static func modelNotPulled(_ model: String) -> APIError {
        var quoted = ByteBuffer()
        quoted.append(jsonString: model)  // Go's %q, for the names a client sends
        return APIError(status: 404, kind: .notFound, message: "model \(quoted.description) not found, try pulling it first")
    }

    static func error(for problem: BodyProblem) -> APIError {
        error(for: problem, type: "api.ChatRequest")
    }

    /// - Parameter type: the Go type the body decodes into (`api.GenerateRequest`, ...).
    static func error(for problem: BodyProblem, type: String) -> APIError {
        switch problem {
        case .invalidJSON(let parseError):
            bad("invalid JSON: \(parseError)")
        case .notAnObject(let found):
            bad("json: cannot unmarshal \(goKind(found)) into Go value of type \(type)")
        }
    }

    /// Decoders word their own problems (`invalidValue` carries the whole message); the generic
    /// cases are worded as Go would word them for a top-level field.
    static func error(for problem: FieldProblem) -> APIError {
        switch problem {
        case .missing(let path):
            bad("\(path) is required")
        case .wrongType(let path, let expected, let found):
            bad("json: cannot unmarshal \(goKind(found)) into Go struct field \(path) of type \(goType(expected))")
        case .invalidValue(_, let message, _):
            bad(message)
        }
    }

    /// Go's name for a JSON value's kind (`number`, `array`, ...), from a node's `kindDescription`.
    static func goKind(_ description: String) -> String {
        switch description {
        case "a string": "string"
        case "a number": "number"
        case "a boolean": "bool"
        case "an array": "array"
        case "an object": "object"
        default: description
        }
    }

    private static func goType(_ expected: String) -> String {
        switch expected {
        case "a string": "string"
        case "a boolean": "bool"
        case "an integer": "int"
        case "a number": "float64"
        case "an array": "[]interface {}"
        case "an object": "map[string]interface {}"
        default: expected
        }
    }

    /// Go's `json: cannot unmarshal <kind> into Go struct field <Struct>.<path> of type <type>`.
    static func unmarshal(_ value: JSONNode, _ structName: String, _ path: String, _ type: String) -> FieldProblem {
        .invalidValue(
            path: path, message: "json: cannot unmarshal \(goKind(value.kindDescription)) into Go struct field \(structName).\(path) of type \(type)",
            code: "")
    }

    /// A stream's error line, as the server writes an error after the first line: the client
    /// raises it as `ResponseError` (status -1).
    static func streamErrorLine(_ fault: StreamFault) -> ByteBuffer {
        var out = ByteBuffer()
        guard case .error(_, let message)? = fault.cut else { return out }
        out.append(ascii: "{\"error\":")
        out.append(jsonString: message)
        out.append(ascii: "}\n")
        return out
    }

    /// A line cut off inside its JSON.
    static let malformedLine: ByteBuffer = {
        var out = ByteBuffer()
        out.append(ascii: "{\"model\":\"mock\",\"message\":{\"role\":\"assistant\",\"content\":\"unterminated\n")
        return out
    }()
}

/// `/api/generate`'s and `/api/show`'s wording: Ollama's, naming their own request types.
enum OllamaGenerateWording: ProblemWording {
    static func error(for problem: BodyProblem) -> APIError { OllamaErrors.error(for: problem, type: "api.GenerateRequest") }
    static func error(for problem: FieldProblem) -> APIError { OllamaErrors.error(for: problem) }
}

enum OllamaShowWording: ProblemWording {
    static func error(for problem: BodyProblem) -> APIError { OllamaErrors.error(for: problem, type: "api.ShowRequest") }
    static func error(for problem: FieldProblem) -> APIError { OllamaErrors.error(for: problem) }
}
