import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// `streamGenerateContent`, one `GenerateContentResponse` per event: a piece of text (cut by the
/// pacing's chunking) or a whole function call. Every chunk carries the usage so far
/// (`candidatesTokenCount` grows); the last one also the `finishReason`. No end marker.
///
/// With `?alt=sse` (what google-genai asks for) each chunk is `data: <json>\r\n\r\n`, Google's
/// separator; without it the body is one JSON array streamed element by element,
/// `[<json>,\r\n<json>]`.
struct GeminiStream: EventSource {
    private let response: GeminiResponse
    private let sse: Bool
    private let parts: [GeminiPart]
    private let chunking: Chunking
    private let outputTokens: Int
    private let finishReason: String
    private var schedule: StreamSchedule
    private var nextPart = 0
    private var chunks = TextChunks("")
    private var upcoming: GeminiPart?
    private var current: GeminiPart?
    private var written = 0
    private var tokensSoFar = 0
    /// The first chunk, unless the reply is empty.
    let firstPayloadEvent: Int

    init(response: GeminiResponse, sse: Bool, parts: [GeminiPart], chunking: Chunking, finishReason: String, outputTokens: Int,
         schedule: StreamSchedule) {
        self.response = response
        self.finishReason = finishReason
        self.sse = sse
        self.parts = parts
        self.chunking = chunking
        self.outputTokens = outputTokens
        self.schedule = schedule
        firstPayloadEvent = parts.contains { if case .text(let t) = $0 { !t.isEmpty } else { true } } ? 0 : .max
        upcoming = advance() ?? .text("")  // an empty reply is one chunk with empty text
    }

    /// The next piece: the next chunk of the current text part, else the next part.
    private mutating func advance() -> GeminiPart? {
        if let chunk = chunks.next() { return .text(chunk) }
        while nextPart < parts.count {
            defer { nextPart += 1 }
            switch parts[nextPart] {
            case .text(let text):
                chunks = TextChunks(String(text), chunking: chunking)
                if let chunk = chunks.next() { return .text(chunk) }
            case .call(let call):
                return .call(call)
            }
        }
        return nil
    }

    mutating func nextDelay() -> UInt64? {
        guard let piece = upcoming else { return nil }
        current = piece
        upcoming = advance()
        switch piece {
        case .text(let chunk): return schedule.delay(before: chunk)
        case .call(let call): return schedule.delay(before: Substring(call.name))
        }
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        guard let piece = current else { return }
        current = nil
        let last = upcoming == nil
        tokensSoFar = last ? outputTokens : min(outputTokens, tokensSoFar + piece.tokens)
        out.append(ascii: sse ? "data: " : written == 0 ? "[" : ",\r\n")
        // Vertex AI reports the usage in the last chunk only.
        let usage = last || response.createTime == nil ? tokensSoFar : nil
        response.write(parts: CollectionOfOne(piece), finishReason: last ? finishReason : nil, outputTokens: usage, into: &out)
        out.append(ascii: sse ? "\r\n\r\n" : last ? "]" : "")
        written += 1
    }
}

extension GeminiErrors {
    /// The mid-stream error: a chunk that is Google's error object, which google-genai raises as
    /// `ClientError` / `ServerError` by its `code`. In a JSON-array stream it is the array's
    /// last element (or its only one, when nothing came before it).
    static func streamErrorEvent(_ fault: StreamFault, sse: Bool) -> ByteBuffer {
        var out = ByteBuffer()
        guard case .error(let type, let message)? = fault.cut else { return out }
        let (code, status) = streamStatus(type)
        out.append(ascii: sse ? "data: " : fault.after == 0 ? "[" : ",\r\n")
        write(code: code, message: message, status: status, into: &out)
        out.append(ascii: sse ? "\r\n\r\n" : "]")
        return out
    }

    /// A chunk cut off inside its JSON.
    static func malformedEvent(sse: Bool, first: Bool) -> ByteBuffer {
        var out = ByteBuffer()
        out.append(ascii: sse ? "data: " : first ? "[" : ",\r\n")
        out.append(ascii: "{\"candidates\": [{\"content\": {\"parts\": [{\"text\": \"unterminated")
        if sse { out.append(ascii: "\r\n\r\n") }
        return out
    }

    /// A stream fault's `type` as Google's code and status: a status name as it is, the other
    /// APIs' types mapped (`overloaded_error` is `UNAVAILABLE`), none at all `INTERNAL`.
    static func streamStatus(_ type: String?) -> (code: Int, status: String) {
        switch type {
        case "overloaded_error"?, "service_unavailable"?: return (503, "UNAVAILABLE")
        case "rate_limit_error"?, "rate_limit_exceeded"?: return (429, "RESOURCE_EXHAUSTED")
        case "invalid_request_error"?: return (400, "INVALID_ARGUMENT")
        case let name? where isStatusName(name): return (code(forStatus: name), name)
        default: return (500, "INTERNAL")
        }
    }

    /// The HTTP code Google sends with a canonical status.
    static func code(forStatus status: String) -> Int {
        switch status {
        case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE": 400
        case "UNAUTHENTICATED": 401
        case "PERMISSION_DENIED": 403
        case "NOT_FOUND": 404
        case "ABORTED", "ALREADY_EXISTS": 409
        case "RESOURCE_EXHAUSTED": 429
        case "CANCELLED": 499
        case "NOT_IMPLEMENTED": 501
        case "UNAVAILABLE": 503
        case "DEADLINE_EXCEEDED": 504
        default: 500
        }
    }
}
