import MockLLMCore
import MockLLMScript

/// Bedrock's errors, as its REST-JSON protocol sends them: the status, the error type in the
/// `x-amzn-ErrorType` header (`ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/`)
/// and a body `{"message":"..."}`. botocore reads the type from that header and raises the
/// client's modelled exception (`client.exceptions.ThrottlingException`, ...). Mid-stream, the
/// same types travel as exception messages of the event stream (`exceptionEvent`).
enum BedrockErrors: ProblemWording {
    static let requestIDHeader = "x-amzn-RequestId"
    static let errorTypeHeader = "x-amzn-ErrorType"

    static func reply(_ error: APIError, requestID: String) -> Reply {
        let message = error.statusOnly ? statusMessage(error.status) : error.message
        var out = ByteBuffer(capacity: 16 + message.utf8.count)
        out.append(ascii: "{\"message\":")
        out.append(jsonString: message)
        out.append(UInt8(ascii: "}"))
        var headers = error.headers
        headers.append(name: errorTypeHeader, value: typeName(for: error) + ":http://internal.amazon.com/coral/com.amazon.bedrock/")
        return Reply.json(error.status, out, headers: headers).adding(header: requestIDHeader, requestID)
    }

    /// The exception's name: a scripted `type` that is one (`ModelNotReadyException`), else the
    /// one Bedrock's service model gives the status.
    static func typeName(for error: APIError) -> String {
        if let type = error.typeOverride, type.hasSuffix("Exception") { return type }
        switch error.status {
        case 400, 413: return "ValidationException"
        case 401, 403: return "AccessDeniedException"
        case 404: return "ResourceNotFoundException"
        case 408, 504: return "ModelTimeoutException"
        case 424: return "ModelErrorException"
        case 429: return "ThrottlingException"
        case 503, 529: return "ServiceUnavailableException"
        case 500...: return "InternalServerException"
        default: return "ValidationException"
        }
    }

    /// Bedrock's words for a status, for faults that give only the status.
    static func statusMessage(_ status: Int) -> String {
        switch status {
        case 400: "Malformed input request, please reformat your input and try again."
        case 403: "You don't have access to the model with the specified model ID."
        case 404: "The provided model identifier is invalid."
        case 408, 504: "Model has timed out in processing the request. Try your request again."
        case 429: throttlingMessage
        case 500: "The system encountered an unexpected error during processing. Try your request again."
        case 503, 529: "Bedrock is unable to process your request."
        default: FaultsSection.defaultMessage(status)
        }
    }

    static let throttlingMessage = "Too many requests, please wait before trying again."

    /// The exception message of an event stream: `:message-type: exception`, the exception's
    /// member name in the stream's union as `:exception-type` (`throttlingException`), and the
    /// `{"message":...}` payload; botocore raises it as `EventStreamError` with that code.
    static func exceptionEvent(type: String, message: String) -> ByteBuffer {
        var out = ByteBuffer(capacity: 96 + message.utf8.count)
        var headers = ByteBuffer(capacity: 96)
        EventStream.appendHeader(name: ":exception-type", string: type, to: &headers)
        EventStream.appendHeader(name: ":content-type", string: "application/json", to: &headers)
        EventStream.appendHeader(name: ":message-type", string: "exception", to: &headers)
        EventStream.appendMessage(headers: headers, into: &out) { out in
            out.append(ascii: "{\"message\":")
            out.append(jsonString: message)
            out.append(UInt8(ascii: "}"))
        }
        return out
    }

    /// A scripted mid-stream error (`stream_error` faults) as the stream's exception: a `type`
    /// naming one of the stream's exceptions (`ThrottlingException` or its member name
    /// `throttlingException`) is sent as that member; other words are read for their meaning
    /// (a rate limit, an overload); none is `internalServerException`.
    static func streamErrorEvent(_ fault: StreamFault) -> ByteBuffer {
        guard case .error(let type, let message)? = fault.cut else { return ByteBuffer() }
        return exceptionEvent(type: streamMember(type), message: message)
    }

    static func streamMember(_ type: String?) -> String {
        guard let type, !type.isEmpty else { return "internalServerException" }
        if type.hasSuffix("Exception") { return type.prefix(1).lowercased() + type.dropFirst() }
        if type.contains("rate") || type.contains("quota") || type.contains("RESOURCE_EXHAUSTED") { return "throttlingException" }
        if type.contains("overload") || type.contains("UNAVAILABLE") { return "serviceUnavailableException" }
        if type.contains("invalid") { return "validationException" }
        return "modelStreamErrorException"
    }

    /// A malformed event: a well-framed `contentBlockDelta` whose payload is JSON cut off inside
    /// a string, which botocore fails to parse (the stream's framing stays intact, as the other
    /// protocols' malformed event leaves theirs).
    static let malformedEvent: ByteBuffer = {
        var out = ByteBuffer(capacity: 128)
        EventStream.appendMessage(headers: BedrockConverseStream.headers("contentBlockDelta"), into: &out) {
            $0.append(ascii: "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"unterminated")
        }
        return out
    }()

    static func error(for problem: FieldProblem) -> APIError {
        switch problem {
        case .missing(let path):
            .invalidRequest("Malformed input request: #: required key [\(path)] not found, please reformat your input and try again.")
        case .wrongType(let path, let expected, let found):
            .invalidRequest("Malformed input request: #/\(path.replacingOccurrences(of: ".", with: "/")): expected \(expected), found \(found), please reformat your input and try again.")
        case .invalidValue(_, let message, _):
            .invalidRequest(message)
        }
    }

    static func error(for problem: BodyProblem) -> APIError {
        switch problem {
        case .invalidJSON(let error):
            .invalidRequest("Malformed input request: \(error.reason) at line \(error.line), column \(error.column), please reformat your input and try again.")
        case .notAnObject:
            .invalidRequest("Malformed input request: expected a JSON object, please reformat your input and try again.")
        }
    }
}
