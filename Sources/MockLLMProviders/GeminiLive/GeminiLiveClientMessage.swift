import MockLLMCore
import MockLLMScript

/// One message a Live API client sends (`BidiGenerateContentClientMessage`): exactly one of
/// `setup`, `clientContent`, `realtimeInput` and `toolResponse`. Google's JSON parser takes every
/// field by its JSON name (`clientContent`) or its proto name (`client_content`), and google-genai
/// sends both kinds in one message (`{"client_content": {"turnComplete": true}}`), so both are
/// read everywhere.
enum GeminiLiveClientMessage {
    case setup(GeminiLiveSetup)
    /// Turns appended to the conversation; `turnComplete`: the model answers now.
    case clientContent(turns: [ChatMessage], turnComplete: Bool)
    case realtimeInput(GeminiLiveRealtimeInput)
    case toolResponse([ChatMessage.ToolResult])

    /// The proto's name for the message, in problems' paths.
    static let messageName = "BidiGenerateContentClientMessage"

    /// Decodes one message's JSON text.
    static func decode(_ bytes: [UInt8]) throws(APIError) -> GeminiLiveClientMessage {
        let body: RequestFields
        do {
            body = try RequestFields.parseBody(bytes)
        } catch {
            throw GeminiErrors.error(for: error)
        }
        do {
            return try decode(body)
        } catch {
            throw GeminiErrors.error(for: error, request: messageName)
        }
    }

    private static func decode(_ body: RequestFields) throws(FieldProblem) -> GeminiLiveClientMessage {
        var found: [StaticString] = []
        for (json, proto) in kinds where body.contains(json) || body.contains(proto) {
            found.append(body.contains(json) ? json : proto)
        }
        // Google's parser refuses a second member of the message's `oneof`, and a member it does
        // not know, in these words.
        if found.count > 1 {
            throw .invalidValue(path: "", message: "Invalid JSON payload received. Oneof field 'message_type' is already set. Cannot set '\(found[1])'", code: "")
        }
        var hasUnknown = false
        body.node.forEachMember { key, _ in
            switch key {
            case "setup", "clientContent", "client_content", "realtimeInput", "realtime_input", "toolResponse", "tool_response": break
            default: hasUnknown = true
            }
        }
        if hasUnknown {
            // Named from the tree, made only for this refusal.
            let known = kinds.flatMap { [$0.0.description, $0.1.description] }
            let unknown = body.node.materialize().objectValue?.members.first { !known.contains($0.key) }?.key ?? ""
            throw .invalidValue(path: "", message: "Invalid JSON payload received. Unknown name \"\(unknown)\": Cannot find field.", code: "")
        }
        guard let kind = found.first else {
            throw .invalidValue(path: "", message: "Request contains an invalid argument.", code: "")
        }
        switch kind.description {
        case "setup":
            return .setup(try GeminiLiveSetup(try body.object("setup", required: true)!))
        case "clientContent", "client_content":
            return try clientContent(try body.object(kind, required: true)!)
        case "realtimeInput", "realtime_input":
            return .realtimeInput(try GeminiLiveRealtimeInput(try body.object(kind, required: true)!))
        default:
            return .toolResponse(try toolResponse(try body.object(kind, required: true)!))
        }
    }

    private static let kinds: [(StaticString, StaticString)] = [
        ("setup", "setup"), ("clientContent", "client_content"), ("realtimeInput", "realtime_input"), ("toolResponse", "tool_response"),
    ]

    /// `turns` (contents, `user` or `model`) and `turnComplete`.
    private static func clientContent(_ fields: RequestFields) throws(FieldProblem) -> GeminiLiveClientMessage {
        var turns: [ChatMessage] = []
        for (i, raw) in (try fields.array("turns") ?? []).enumerated() {
            turns.append(try GeminiRequest.content(RequestFields(raw, path: fields.childPath("turns"), index: i), request: messageName))
        }
        let complete = try fields.bool(fields.googleKey("turnComplete", "turn_complete")) ?? false
        return .clientContent(turns: turns, turnComplete: complete)
    }

    /// `functionResponses`: each `{id, name, response}`.
    private static func toolResponse(_ fields: RequestFields) throws(FieldProblem) -> [ChatMessage.ToolResult] {
        let key = fields.googleKey("functionResponses", "function_responses")
        var results: [ChatMessage.ToolResult] = []
        for (i, raw) in (try fields.array(key) ?? []).enumerated() {
            let response = RequestFields(raw, path: fields.childPath(key), index: i)
            guard raw.isObject else { throw .wrongType(path: response.path, expected: "an object", found: raw.kindDescription) }
            let value = try response.object("response")?.node.materialize() ?? .object(JSONObject())
            results.append(ChatMessage.ToolResult(callID: try response.string("id"), name: try response.string("name"), text: value.jsonText))
        }
        return results
    }
}

/// A `realtimeInput` message: audio (`audio`, or the older `mediaChunks`), typed `text`, or an
/// activity signal.
struct GeminiLiveRealtimeInput {
    /// PCM16 audio this message carries, decoded, and its sample rate (the `rate=` of
    /// `audio/pcm;rate=16000`; 16 kHz when not given, the API's input rate).
    var audio: [UInt8] = []
    var audioRate = 16_000
    var text: String?
    var activityStart = false
    var activityEnd = false
    var audioStreamEnd = false

    init(_ fields: RequestFields) throws(FieldProblem) {
        if let audio = try fields.object("audio") { try add(blob: audio) }
        let chunksKey = fields.googleKey("mediaChunks", "media_chunks")
        for (i, raw) in (try fields.array(chunksKey) ?? []).enumerated() {
            let blob = RequestFields(raw, path: fields.childPath(chunksKey), index: i)
            guard raw.isObject else { throw .wrongType(path: blob.path, expected: "an object", found: raw.kindDescription) }
            try add(blob: blob)
        }
        _ = try fields.object("video")
        text = try fields.string("text")
        activityStart = try fields.object(fields.googleKey("activityStart", "activity_start")) != nil
        activityEnd = try fields.object(fields.googleKey("activityEnd", "activity_end")) != nil
        audioStreamEnd = try fields.bool(fields.googleKey("audioStreamEnd", "audio_stream_end")) ?? false
    }

    /// A `Blob`: `mimeType` and base64 `data`. Audio (`audio/pcm`) is heard; images and video
    /// frames are accepted and not looked at.
    private mutating func add(blob: RequestFields) throws(FieldProblem) {
        let mimeType = try blob.string(blob.googleKey("mimeType", "mime_type")) ?? ""
        let data = try blob.string("data") ?? ""
        guard mimeType.hasPrefix("audio/") else { return }
        guard let bytes = Self.decodeBytes(data) else {
            let path = GeminiErrors.protoPath(blob.childPath("data"))
            throw .invalidValue(path: path, message: "Invalid value at '\(path)' (TYPE_BYTES), Base64 decoding failed for \"\(data.prefix(20))\"",
                                code: "")
        }
        audio += bytes
        if let range = mimeType.range(of: "rate="), let rate = Int(mimeType[range.upperBound...].prefix { $0.isNumber }), rate > 0 {
            audioRate = rate
        }
    }

    /// A proto `bytes` field's JSON text: Google's parser takes standard base64 and the URL-safe
    /// alphabet (what google-genai sends: `base64.urlsafe_b64encode`), padded or not.
    static func decodeBytes(_ text: String) -> [UInt8]? {
        var standard = Array(text.utf8)
        for i in standard.indices {
            if standard[i] == UInt8(ascii: "-") { standard[i] = UInt8(ascii: "+") } else if standard[i] == UInt8(ascii: "_") { standard[i] = UInt8(ascii: "/") }
        }
        while standard.count % 4 != 0 { standard.append(UInt8(ascii: "=")) }
        return Base64.decode(standard)
    }
}
