import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// One OpenAI Realtime session (`GET /v1/realtime`, after the WebSocket handshake): JSON client
/// events in, server events out, as the API sends them (docs/PROTOCOLS.md, "OpenAI Realtime").
///
/// Pure: the connection gives every call `now`; responses are `LivePlan`s whose steps fall due
/// at the response's start plus their offsets, and `nextDeadline` tells the connection when.
/// The conversation, the input audio buffer (its length and the voice-activity detector, never
/// the audio) and at most one response in progress are all the state it keeps.
final class OpenAIRealtimeSession: WebSocketSession {
    /// A conversation item.
    struct Item {
        enum Kind {
            /// `role`: user, assistant or system; `content`: input_text, input_audio, output_text
            /// or output_audio.
            case message(role: String, content: String)
            case functionCall(callID: String, name: String, arguments: String)
            case functionCallOutput(callID: String, output: String)
        }

        var id: String
        var kind: Kind
        /// A message's text: typed, or its audio's transcript.
        var text = ""
        /// The user's audio length (ms), for an input_audio message.
        var audioMilliseconds: Int?
        /// An assistant audio message's audio, for `conversation.item.truncate`.
        var speech: SpeechAudio?
        var status = "completed"
    }

    /// The response being given.
    struct Response {
        var id: String
        var plan: LivePlan
        /// When its steps are counted from.
        var start: UInt64
        var next = 0
        var inConversation: Bool
        var modalities: [String]
        var maxTokens: Int?
        var metadata: JSONValue?
        /// The response's output items so far.
        var output: [Item] = []
        /// The assistant message of `output` still receiving content, if any.
        var openMessage: Int?
        var transcript = ""
        /// What is left of a scripted fault.
        var fault: StreamFault?
        /// Stalled for good by a fault: it ends only when cancelled or interrupted.
        var stalled = false
    }

    let beta: Bool
    var config: OpenAIRealtimeConfig
    var context: ProviderContext
    let headers: RequestHeaders
    let endpoint: String
    let sessionID: String
    /// `event_` and part of the session id: event ids are it plus a counter.
    let eventPrefix: String
    var items: [Item] = []
    var response: Response?
    /// Bytes in the input audio buffer since the last commit or clear.
    var bufferBytes = 0
    var vad: VoiceActivity
    /// The item id the next committed audio gets (announced at speech start).
    var pendingItemID: String?
    var eventCount: UInt64 = 0
    var tokensUsed = 0
    var closed = false
    /// `idle_timeout_ms`: when, with no speech, the server commits and answers on its own.
    var idleDeadline: UInt64?
    /// The input audio position (ms) when the idle wait began.
    var idleFrom = 0
    /// `settings.session_limit_ms` or the handshake's override, and the end it sets when the
    /// session opens.
    let lifetime: SessionLifetime?
    var ends: UInt64?

    /// Output audio goes out in chunks of this length.
    static let chunkMilliseconds = 100

    init(model: String, beta: Bool, context: ProviderContext, headers: RequestHeaders, endpoint: String,
         lifetime: SessionLifetime? = nil) {
        self.beta = beta
        self.lifetime = lifetime
        self.context = context
        self.headers = headers
        self.endpoint = endpoint
        config = OpenAIRealtimeConfig(model: model)
        if beta { config.outputModalities = ["text", "audio"] }
        sessionID = self.context.random.alphanumericString(prefix: "sess_", count: 24)
        eventPrefix = "event_" + sessionID.dropFirst(5).prefix(12)
        vad = VoiceActivity(format: config.inputFormat)
        configureDetector()
    }

    // MARK: - WebSocketSession

    func opened(now: UInt64, into out: inout [WebSocketOutput]) {
        if let lifetime { ends = now &+ lifetime.limit }
        send("session.created", into: &out) { body in
            body.append(ascii: ",\"session\":")
            config.write(id: sessionID, beta: beta, into: &body)
        }
    }

    func received(_ message: WebSocketMessage, now: UInt64, into out: inout [WebSocketOutput]) {
        guard !closed else { return }
        guard case .text(let text) = message else {
            return error(.invalidRequest("Binary messages are not supported: send each client event as JSON in a text message.",
                                         code: "invalid_event"), eventID: nil, into: &out)
        }
        let fields: RequestFields
        do {
            fields = try RequestFields.parseBody(text.bytes)
        } catch {
            let api = OpenAIErrors.error(for: error)
            return self.error(APIError.invalidRequest(api.message, code: "invalid_json"), eventID: nil, into: &out)
        }
        let eventID = try? fields.string("event_id")
        do {
            guard let type = try fields.string("type", required: true) else { return }
            try handle(type, fields, now: now, eventID: eventID, into: &out)
        } catch {
            self.error(OpenAIErrors.error(for: error), eventID: eventID, into: &out)
        }
    }

    var nextDeadline: UInt64? {
        guard !closed else { return nil }
        guard let ends else { return pendingDeadline }
        return min(pendingDeadline ?? ends, ends)
    }

    /// When the response in progress (or the idle wait) has something to send.
    private var pendingDeadline: UInt64? {
        guard let response else { return idleDeadline }
        // A response with no steps left ends at once (in the same call that started it).
        guard !response.stalled, response.next < response.plan.steps.count else { return nil }
        return response.start &+ response.plan.steps[response.next].at
    }

    func due(now: UInt64, into out: inout [WebSocketOutput]) {
        guard let ends, now >= ends, let lifetime else { return work(now: now, into: &out) }
        // What was due before the end goes first; then the session ends as OpenAI ends one at
        // its maximum duration: an error event, then a close with the same words.
        work(now: ends, into: &out)
        guard !closed else { return }
        let message = "Your session hit the maximum duration of \(lifetime.spoken)."
        error(.invalidRequest(message, code: "session_expired"), eventID: nil, into: &out)
        closed = true
        response = nil
        out.append(.close(code: 1001, reason: message))
    }

    private func work(now: UInt64, into out: inout [WebSocketOutput]) {
        if response == nil, let idle = idleDeadline, idle <= now, !closed { return idleTimeout(now: now, into: &out) }
        guard !closed, var r = response, !r.stalled else { return }
        while r.next < r.plan.steps.count, r.start &+ r.plan.steps[r.next].at <= now {
            if let fault = r.fault, r.next >= fault.after {
                r.fault = nil
                switch fault.cut {
                case .error(let type, let message)?:
                    response = r
                    var api = APIError(status: 500, kind: .server, message: message)
                    api.typeOverride = type
                    return finish(status: "failed", reason: nil, error: api, into: &out)
                case .disconnect?, .reset?:
                    response = nil
                    closed = true
                    out.append(.close(code: 1011, reason: "scripted fault"))
                    return
                case .truncate?:
                    response = nil  // ends without its last events
                    return
                case .contentFilter?:
                    // As the Realtime API ends a filtered response: incomplete, for content_filter.
                    response = r
                    return finish(status: "incomplete", reason: "content_filter", error: nil, into: &out)
                case .malformed?:
                    var bad = ByteBuffer()
                    bad.append(ascii: "{\"type\":\"response.output_text.delta\",\"delta\":")
                    out.append(.text(bad))
                case .stall(let ns)?:
                    guard let ns else {
                        r.stalled = true
                        response = r
                        return
                    }
                    r.start &+= ns
                    response = r
                    continue
                case nil:
                    break
                }
            }
            let step = r.plan.steps[r.next].step
            r.next += 1
            emit(step, &r, into: &out)
        }
        response = r
        if r.next >= r.plan.steps.count { finish(status: "completed", reason: nil, error: nil, into: &out) }
    }

    func ended(code: UInt16, now: UInt64) {
        closed = true
        response = nil
    }

    // MARK: - Client events

    private func handle(_ type: String, _ fields: RequestFields, now: UInt64, eventID: String?, into out: inout [WebSocketOutput]) throws(FieldProblem) {
        switch type {
        case "session.update":
            let session = try fields.object("session", required: true)!
            let format = config.inputFormat
            try config.update(from: session, beta: beta)
            // Another input format starts the detector again (the buffer's bytes were in the old one).
            if config.inputFormat != format {
                vad = VoiceActivity(format: config.inputFormat)
                bufferBytes = 0
            }
            configureDetector()
            send("session.updated", into: &out) { body in
                body.append(ascii: ",\"session\":")
                config.write(id: sessionID, beta: beta, into: &body)
            }
        case "input_audio_buffer.append":
            let audio = try fields.string("audio", required: true)!
            guard let bytes = Base64.decode(audio.utf8) else {
                throw .invalidValue(path: "audio", message: "Invalid 'audio': expected base64-encoded audio bytes.", code: "invalid_value")
            }
            bufferBytes += bytes.count
            guard config.turnDetection != nil else { return }
            var events: [VoiceActivity.Event] = []
            vad.feed(bytes, into: &events)
            for event in events { voiceActivity(event, now: now, into: &out) }
        case "input_audio_buffer.commit":
            let ms = config.inputFormat.milliseconds(ofBytes: bufferBytes)
            guard ms >= 100 else {
                return error(.invalidRequest(
                    "Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has \(ms).00ms of audio.",
                    code: "input_audio_buffer_commit_empty"), eventID: eventID, into: &out)
            }
            commitAudio(into: &out)
        case "input_audio_buffer.clear":
            bufferBytes = 0
            vad.reset()
            pendingItemID = nil
            send("input_audio_buffer.cleared", into: &out) { _ in }
        case "conversation.item.create":
            let item = try fields.object("item", required: true)!
            let previous = try fields.string("previous_item_id")
            if let previous, previous != "root", !items.contains(where: { $0.id == previous }) {
                return error(.invalidRequest("Error adding item: the previous item with id '\(previous)' does not exist.",
                                             param: "previous_item_id", code: "item_not_found"), eventID: eventID, into: &out)
            }
            try createItem(item, after: previous, into: &out)
        case "conversation.item.delete":
            let id = try fields.string("item_id", required: true)!
            guard let index = items.firstIndex(where: { $0.id == id }) else { return itemNotFound(id, eventID: eventID, into: &out) }
            items.remove(at: index)
            send("conversation.item.deleted", into: &out) { body in
                body.append(ascii: ",\"item_id\":")
                body.append(jsonString: id)
            }
        case "conversation.item.retrieve":
            let id = try fields.string("item_id", required: true)!
            guard let item = items.first(where: { $0.id == id }) else { return itemNotFound(id, eventID: eventID, into: &out) }
            send("conversation.item.retrieved", into: &out) { body in
                body.append(ascii: ",\"item\":")
                write(item, into: &body)
            }
        case "conversation.item.truncate":
            try truncate(fields, eventID: eventID, into: &out)
        case "response.create":
            guard response == nil else {
                let id = response!.id
                return error(.invalidRequest(
                    "Conversation already has an active response in progress: \(id). Wait until the response is finished before creating a new one.",
                    code: "conversation_already_has_active_response"), eventID: eventID, into: &out)
            }
            try startResponse(try fields.object("response"), now: now, into: &out)
        case "response.cancel":
            let id = try fields.string("response_id")
            guard let active = response, id == nil || id == active.id else {
                return error(.invalidRequest("Cancellation failed: no active response found.", code: "response_cancel_not_active"),
                             eventID: eventID, into: &out)
            }
            finish(status: "cancelled", reason: "client_cancelled", error: nil, into: &out)
        case "output_audio_buffer.clear":
            error(.invalidRequest("output_audio_buffer.clear is only supported for WebRTC connections.", code: "invalid_event"),
                  eventID: eventID, into: &out)
        default:
            throw .invalidValue(
                path: "type",
                message: "Invalid value: '\(type)'. Supported values are: 'session.update', 'input_audio_buffer.append', "
                    + "'input_audio_buffer.commit', 'input_audio_buffer.clear', 'conversation.item.create', 'conversation.item.truncate', "
                    + "'conversation.item.delete', 'conversation.item.retrieve', 'response.create', 'response.cancel', and 'output_audio_buffer.clear'.",
                code: "invalid_value")
        }
    }

    private func configureDetector() {
        guard let detection = config.turnDetection else { return }
        vad.threshold = detection.threshold
        vad.silenceMilliseconds = detection.effectiveSilence
    }

    /// Server VAD: speech started (an interruption when a response is playing) or stopped (a
    /// commit, and a response when the detection creates them).
    private func voiceActivity(_ event: VoiceActivity.Event, now: UInt64, into out: inout [WebSocketOutput]) {
        guard let detection = config.turnDetection else { return }
        switch event {
        case .started(let ms):
            idleDeadline = nil
            let id = newID("item_")
            pendingItemID = id
            send("input_audio_buffer.speech_started", into: &out) { body in
                body.append(ascii: ",\"audio_start_ms\":")
                body.append(decimal: max(0, ms - detection.prefixPaddingMilliseconds))
                body.append(ascii: ",\"item_id\":")
                body.append(jsonString: id)
            }
            if response != nil && detection.interruptResponse {
                finish(status: "cancelled", reason: "turn_detected", error: nil, into: &out)
            }
        case .stopped(let ms):
            let id = pendingItemID ?? newID("item_")
            pendingItemID = id
            send("input_audio_buffer.speech_stopped", into: &out) { body in
                body.append(ascii: ",\"audio_end_ms\":")
                body.append(decimal: ms)
                body.append(ascii: ",\"item_id\":")
                body.append(jsonString: id)
            }
            commitAudio(into: &out)
            if detection.createResponse && response == nil { try? startResponse(nil, now: now, into: &out) }
        }
    }

    /// `idle_timeout_ms` passed without speech: `input_audio_buffer.timeout_triggered`, the buffer
    /// committed (however short: the turn is the user's silence) and a response.
    private func idleTimeout(now: UInt64, into out: inout [WebSocketOutput]) {
        idleDeadline = nil
        let id = newID("item_")
        pendingItemID = id
        send("input_audio_buffer.timeout_triggered", into: &out) { body in
            body.append(ascii: ",\"audio_start_ms\":")
            body.append(decimal: idleFrom)
            body.append(ascii: ",\"audio_end_ms\":")
            body.append(decimal: vad.milliseconds(atSample: vad.samples))
            body.append(ascii: ",\"item_id\":")
            body.append(jsonString: id)
        }
        commitAudio(into: &out)
        try? startResponse(nil, now: now, into: &out)
    }

    /// The buffer becomes a user audio item, with the script's transcript.
    private func commitAudio(into out: inout [WebSocketOutput]) {
        let ms = config.inputFormat.milliseconds(ofBytes: bufferBytes)
        bufferBytes = 0
        vad.reset()
        let id = pendingItemID ?? newID("item_")
        pendingItemID = nil
        let previous = items.last?.id
        var item = Item(id: id, kind: .message(role: "user", content: "input_audio"), audioMilliseconds: ms)
        item.text = turn(messagesFrom: items).transcript(ofAudio: ms, script: context.script, scope: context.scope)
        send("input_audio_buffer.committed", into: &out) { body in
            body.append(ascii: ",\"previous_item_id\":")
            body.append(jsonStringOrNull: previous)
            body.append(ascii: ",\"item_id\":")
            body.append(jsonString: id)
        }
        added(item, previous: previous, into: &out)
    }

    /// Adds `item` to the conversation (after `previous`, or at the end): added and done events,
    /// and the input transcription of user audio.
    private func added(_ item: Item, previous: String?, into out: inout [WebSocketOutput]) {
        if let previous, let index = items.firstIndex(where: { $0.id == previous }) {
            items.insert(item, at: index + 1)
        } else if previous == "root" {
            items.insert(item, at: 0)
        } else {
            items.append(item)
        }
        let after = previous == "root" ? nil : previous ?? items.dropLast().last?.id
        itemEvent(beta ? "conversation.item.created" : "conversation.item.added", item, previous: after, into: &out)
        if !beta { itemEvent("conversation.item.done", item, previous: after, into: &out) }
        guard let ms = item.audioMilliseconds, config.transcriptionModel != nil else { return }
        send("conversation.item.input_audio_transcription.completed", into: &out) { body in
            body.append(ascii: ",\"item_id\":")
            body.append(jsonString: item.id)
            body.append(ascii: ",\"content_index\":0,\"transcript\":")
            body.append(jsonString: item.text)
            body.append(ascii: ",\"usage\":{\"type\":\"duration\",\"seconds\":")
            body.append(json: .number(Double(ms) / 1000))
            body.append(ascii: "}")
        }
    }

    func itemEvent(_ type: StaticString, _ item: Item, previous: String?, into out: inout [WebSocketOutput]) {
        send(type, into: &out) { body in
            body.append(ascii: ",\"previous_item_id\":")
            body.append(jsonStringOrNull: previous)
            body.append(ascii: ",\"item\":")
            write(item, into: &body)
        }
    }

    /// `conversation.item.create`: a message (user text or audio, assistant text, system text),
    /// a function call or a function call's output.
    private func createItem(_ fields: RequestFields, after previous: String?, into out: inout [WebSocketOutput]) throws(FieldProblem) {
        added(try item(from: fields, before: items), previous: previous, into: &out)
    }

    /// An item as a client sends it; a spoken one without a transcript is transcribed as if it
    /// followed `earlier`.
    func item(from fields: RequestFields, before earlier: [Item]) throws(FieldProblem) -> Item {
        let type = try fields.string("type", required: true)!
        let id = try fields.string("id") ?? newID("item_")
        var item: Item
        switch type {
        case "message":
            let role = try fields.string("role", required: true)!
            guard ["user", "assistant", "system"].contains(role) else {
                throw .invalidValue(path: fields.childPath("role"), message: "Invalid value: '\(role)'. Supported values are: 'user', 'assistant', and 'system'.",
                                    code: "invalid_value")
            }
            let parts = try fields.array("content", required: true)!
            var texts: [String] = []
            var content = role == "user" || role == "system" ? "input_text" : "output_text"
            var audioMilliseconds: Int?
            var transcript: String?
            for (i, node) in parts.enumerated() {
                let part = RequestFields(node, path: fields.childPath("content"), index: i)
                guard node.isObject else { throw .wrongType(path: part.path, expected: "an object", found: node.kindDescription) }
                let partType = try part.string("type", required: true)!
                switch (role, partType) {
                case ("user", "input_text"), ("system", "input_text"), ("assistant", "output_text"), ("assistant", "text"):
                    texts.append(try part.string("text", required: true)!)
                case ("user", "input_audio"):
                    content = "input_audio"
                    if let audio = try part.string("audio") {
                        guard let bytes = Base64.decode(audio.utf8) else {
                            throw .invalidValue(path: part.childPath("audio"), message: "Invalid '\(part.childPath("audio"))': expected base64-encoded audio bytes.",
                                                code: "invalid_value")
                        }
                        audioMilliseconds = (audioMilliseconds ?? 0) + config.inputFormat.milliseconds(ofBytes: bytes.count)
                    }
                    if let t = try part.string("transcript") { transcript = t }
                case ("user", "input_image"):
                    continue
                default:
                    throw .invalidValue(path: part.childPath("type"), message: "Invalid value: '\(partType)' for a \(role) message's content.",
                                        code: "invalid_value")
                }
            }
            item = Item(id: id, kind: .message(role: role, content: content))
            if content == "input_audio" {
                let ms = audioMilliseconds ?? 0
                item.audioMilliseconds = ms
                item.text = transcript ?? turn(messagesFrom: earlier).transcript(ofAudio: ms, script: context.script, scope: context.scope)
            } else {
                item.text = texts.joined(separator: "\n")
            }
        case "function_call":
            let name = try fields.string("name", required: true)!
            let callID = try fields.string("call_id") ?? newID("call_")
            item = Item(id: id, kind: .functionCall(callID: callID, name: name, arguments: try fields.string("arguments") ?? "{}"))
        case "function_call_output":
            let callID = try fields.string("call_id", required: true)!
            item = Item(id: id, kind: .functionCallOutput(callID: callID, output: try fields.string("output", required: true)!))
        default:
            throw .invalidValue(path: fields.childPath("type"),
                                message: "Invalid value: '\(type)'. Supported values are: 'message', 'function_call', and 'function_call_output'.",
                                code: "invalid_value")
        }
        return item
    }

    /// `conversation.item.truncate`: the assistant audio the user heard ends at `audio_end_ms`;
    /// the item keeps the transcript of the words started by then.
    private func truncate(_ fields: RequestFields, eventID: String?, into out: inout [WebSocketOutput]) throws(FieldProblem) {
        let id = try fields.string("item_id", required: true)!
        let contentIndex = try fields.integer("content_index") ?? 0
        guard let end = try fields.integer("audio_end_ms") else { throw .missing(path: "audio_end_ms") }
        guard let index = items.firstIndex(where: { $0.id == id }) else { return itemNotFound(id, eventID: eventID, into: &out) }
        guard let speech = items[index].speech, contentIndex == 0 else {
            return error(.invalidRequest("Only assistant messages with audio can be truncated.", param: "item_id", code: "invalid_value"),
                         eventID: eventID, into: &out)
        }
        let played = Int(speech.duration / 1_000_000)
        guard end >= 0, end <= played else {
            return error(.invalidRequest("Audio content of \(played)ms is already shorter than \(end)ms", param: "audio_end_ms",
                                         code: "invalid_value"), eventID: eventID, into: &out)
        }
        let text = items[index].text
        let pieces = LivePlan.wordPieces(of: text)
        let heard = pieces.indices.last { speech.start(ofWord: $0) < UInt64(end) * 1_000_000 }
        items[index].text = heard.map { String(text[text.startIndex..<pieces[$0].upperBound]) } ?? ""
        send("conversation.item.truncated", into: &out) { body in
            body.append(ascii: ",\"item_id\":")
            body.append(jsonString: id)
            body.append(ascii: ",\"content_index\":0,\"audio_end_ms\":")
            body.append(decimal: end)
        }
    }
}
