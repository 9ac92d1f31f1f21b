import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// An OpenAI Realtime session's configuration: what `session.update` sets and `session.created`
/// / `session.updated` echo. Read in the GA shape (`type: "realtime"`, `output_modalities`,
/// `audio.input.format: {type: "audio/pcm", rate: 24000}`, `audio.input.turn_detection`, ...) or,
/// for a beta session (`OpenAI-Beta: realtime=v1`), the beta's flat one (`modalities`,
/// `input_audio_format: "pcm16"`, `turn_detection`, `voice`, ...).
struct OpenAIRealtimeConfig: Sendable {
    /// How the server notices the user's turns.
    struct TurnDetection: Sendable, Equatable {
        /// `server_vad` or `semantic_vad` (simulated alike, `semantic_vad` from its eagerness).
        var type: String = "server_vad"
        var threshold: Double = 0.5
        var prefixPaddingMilliseconds = 300
        var silenceMilliseconds = 500
        var createResponse = true
        var interruptResponse = true
        var eagerness = "auto"
        var idleTimeoutMilliseconds: Int?

        /// The silence that ends speech: `silence_duration_ms`, or from `semantic_vad`'s
        /// eagerness (low waits longest).
        var effectiveSilence: Int {
            guard type == "semantic_vad" else { return silenceMilliseconds }
            switch eagerness {
            case "low": return 800
            case "high": return 250
            default: return 500
            }
        }
    }

    var model: String
    var instructions = ""
    /// `["audio"]` (the GA default) or `["text"]`; the beta allows both (`["text", "audio"]`).
    var outputModalities = ["audio"]
    var voice = "alloy"
    var inputFormat = AudioFormat.pcm16(sampleRate: 24_000)
    var outputFormat = AudioFormat.pcm16(sampleRate: 24_000)
    /// nil: `turn_detection: null`, commits and responses are the client's.
    var turnDetection: TurnDetection? = TurnDetection()
    /// `audio.input.transcription.model`: when set, committed user audio gets an input
    /// transcription event, as the API sends only then.
    var transcriptionModel: String?
    var tools: [ToolOffer.Tool] = []
    /// The tools as the session echoes them.
    var toolsEcho: [JSONValue] = []
    var toolChoice: ToolOffer.Choice = .auto
    var toolChoiceEcho: JSONValue = .string("auto")
    /// nil: `"inf"`.
    var maxOutputTokens: Int?
    /// Speaking speed (echoed; the pacing's `speech_wpm` decides the audio's length).
    var speed = 1.0

    var speaks: Bool { outputModalities.contains("audio") }

    var toolOffer: ToolOffer? {
        tools.isEmpty ? nil : ToolOffer(tools: tools, choice: toolChoice)
    }

    // MARK: - Reading

    /// Applies a `session` object (`session.update`); on a problem nothing is applied.
    mutating func update(from session: RequestFields, beta: Bool) throws(FieldProblem) {
        var next = self
        if beta { try next.readBeta(session) } else { try next.readGA(session) }
        self = next
    }

    private mutating func readGA(_ session: RequestFields) throws(FieldProblem) {
        if let type = try session.string("type"), type != "realtime" {
            throw .invalidValue(
                path: session.childPath("type"),
                message: "Invalid value: '\(type)'. Supported values are: 'realtime' (transcription sessions are not simulated).",
                code: "invalid_value")
        }
        try readCommon(session)
        if let modalities = try session.array("output_modalities") {
            outputModalities = try Self.modalities(modalities, session.childPath("output_modalities"), allowBoth: false)
        }
        if let audio = try session.object("audio") {
            if let input = try audio.object("input") {
                if let format = try input.object("format") { inputFormat = try Self.format(format) }
                if input.contains("turn_detection") { turnDetection = try Self.turnDetection(input, current: turnDetection) }
                if input.contains("transcription") {
                    transcriptionModel = try input.object("transcription").map { t throws(FieldProblem) in try t.string("model") ?? "whisper-1" }
                }
            }
            if let output = try audio.object("output") {
                if let format = try output.object("format") { outputFormat = try Self.format(format) }
                if let voice = try Self.voice(output) { self.voice = voice }
                if let speed = try output.number("speed") { self.speed = speed }
            }
        }
    }

    private mutating func readBeta(_ session: RequestFields) throws(FieldProblem) {
        try readCommon(session)
        if let modalities = try session.array("modalities") {
            outputModalities = try Self.modalities(modalities, session.childPath("modalities"), allowBoth: true)
        }
        if let format = try session.string("input_audio_format") { inputFormat = try Self.betaFormat(format, session.childPath("input_audio_format")) }
        if let format = try session.string("output_audio_format") { outputFormat = try Self.betaFormat(format, session.childPath("output_audio_format")) }
        if let voice = try Self.voice(session) { self.voice = voice }
        if session.contains("turn_detection") { turnDetection = try Self.turnDetection(session, current: turnDetection) }
        if session.contains("input_audio_transcription") {
            transcriptionModel = try session.object("input_audio_transcription").map { t throws(FieldProblem) in try t.string("model") ?? "whisper-1" }
        }
        if let speed = try session.number("speed") { self.speed = speed }
    }

    /// The members both shapes share.
    private mutating func readCommon(_ session: RequestFields) throws(FieldProblem) {
        if let model = try session.string("model") { self.model = model }
        if let instructions = try session.string("instructions") { self.instructions = instructions }
        if let list = session.value("tools"), !list.isNull {
            guard list.isArray else { throw .wrongType(path: session.childPath("tools"), expected: "an array", found: list.kindDescription) }
            (tools, toolsEcho) = try OpenAIResponsesRequest.tools(list)
        }
        if let choice = session.value("tool_choice"), !choice.isNull {
            let (parsed, echo) = try OpenAIResponsesRequest.toolChoice(choice, functions: tools)
            toolChoice = parsed ?? .auto
            toolChoiceEcho = echo
        }
        for key in ["max_output_tokens", "max_response_output_tokens"] as [StaticString] {
            guard let value = session.value(key), !value.isNull else { continue }
            if value.string == "inf" {
                maxOutputTokens = nil
            } else if let n = value.integer, n >= 1, n <= 4_096 {
                maxOutputTokens = n
            } else {
                throw .invalidValue(
                    path: session.childPath(key),
                    message: "Invalid '\(session.childPath(key))': expected an integer between 1 and 4096, or 'inf'.", code: "invalid_value")
            }
        }
    }

    static func modalities(_ list: [JSONNode], _ path: String, allowBoth: Bool) throws(FieldProblem) -> [String] {
        var result: [String] = []
        for node in list {
            guard let text = node.string, text == "text" || text == "audio" else {
                throw .invalidValue(path: path, message: "Invalid value: '\(node.string ?? node.kindDescription)'. Supported values are: 'text' and 'audio'.",
                                    code: "invalid_value")
            }
            if !result.contains(text) { result.append(text) }
        }
        guard !result.isEmpty, allowBoth || result.count == 1 else {
            throw .invalidValue(path: path, message: "Invalid '\(path)': expected exactly one of 'text' or 'audio'.", code: "invalid_value")
        }
        return allowBoth && result.contains("audio") && !result.contains("text") ? ["text", "audio"] : result
    }

    /// GA: `{type: "audio/pcm", rate: 24000}`, `{type: "audio/pcmu"}`, `{type: "audio/pcma"}`.
    static func format(_ format: RequestFields) throws(FieldProblem) -> AudioFormat {
        let type = try format.string("type", required: true)!
        switch type {
        case "audio/pcm":
            if let rate = try format.integer("rate"), rate != 24_000 {
                throw .invalidValue(path: format.childPath("rate"), message: "Invalid value: \(rate). Supported values are: 24000.", code: "invalid_value")
            }
            return .pcm16(sampleRate: 24_000)
        case "audio/pcmu": return .mulaw
        case "audio/pcma": return .alaw
        default:
            throw .invalidValue(path: format.childPath("type"),
                                message: "Invalid value: '\(type)'. Supported values are: 'audio/pcm', 'audio/pcmu', and 'audio/pcma'.",
                                code: "invalid_value")
        }
    }

    /// Beta: `pcm16`, `g711_ulaw`, `g711_alaw`.
    static func betaFormat(_ name: String, _ path: String) throws(FieldProblem) -> AudioFormat {
        switch name {
        case "pcm16": return .pcm16(sampleRate: 24_000)
        case "g711_ulaw": return .mulaw
        case "g711_alaw": return .alaw
        default:
            throw .invalidValue(path: path, message: "Invalid value: '\(name)'. Supported values are: 'pcm16', 'g711_ulaw', and 'g711_alaw'.",
                                code: "invalid_value")
        }
    }

    /// `voice`: a name, or `{id}` (a custom voice).
    static func voice(_ fields: RequestFields) throws(FieldProblem) -> String? {
        guard let value = fields.value("voice"), !value.isNull else { return nil }
        if let name = value.string { return name }
        if value.isObject, let id = try RequestFields(value, path: fields.childPath("voice")).string("id", required: true) { return id }
        throw .wrongType(path: fields.childPath("voice"), expected: "a string or an object", found: value.kindDescription)
    }

    /// `turn_detection` (in `fields`): null, or an object whose members change `current`'s.
    static func turnDetection(_ fields: RequestFields, current: TurnDetection?) throws(FieldProblem) -> TurnDetection? {
        guard let detection = try fields.object("turn_detection") else { return nil }
        var result = TurnDetection()
        let type = try detection.string("type") ?? current?.type ?? "server_vad"
        guard type == "server_vad" || type == "semantic_vad" else {
            throw .invalidValue(path: detection.childPath("type"),
                                message: "Invalid value: '\(type)'. Supported values are: 'server_vad' and 'semantic_vad'.", code: "invalid_value")
        }
        result.type = type
        if let threshold = try detection.number("threshold") {
            guard (0...1).contains(threshold) else {
                throw .invalidValue(path: detection.childPath("threshold"),
                                    message: "Invalid '\(detection.childPath("threshold"))': expected a number between 0 and 1.", code: "invalid_value")
            }
            result.threshold = threshold
        }
        func milliseconds(_ key: StaticString) throws(FieldProblem) -> Int? {
            guard let n = try detection.integer(key) else { return nil }
            guard n >= 0, n <= 10_000 else {
                throw .invalidValue(path: detection.childPath(key),
                                    message: "Invalid '\(detection.childPath(key))': expected an integer between 0 and 10000.", code: "invalid_value")
            }
            return n
        }
        if let n = try milliseconds("prefix_padding_ms") { result.prefixPaddingMilliseconds = n }
        if let n = try milliseconds("silence_duration_ms") { result.silenceMilliseconds = n }
        result.idleTimeoutMilliseconds = try detection.integer("idle_timeout_ms")
        if let b = try detection.bool("create_response") { result.createResponse = b }
        if let b = try detection.bool("interrupt_response") { result.interruptResponse = b }
        if let e = try detection.string("eagerness") {
            guard ["low", "medium", "high", "auto"].contains(e) else {
                throw .invalidValue(path: detection.childPath("eagerness"),
                                    message: "Invalid value: '\(e)'. Supported values are: 'low', 'medium', 'high', and 'auto'.", code: "invalid_value")
            }
            result.eagerness = e
        }
        return result
    }

    // MARK: - Writing

    /// The session object of `session.created` / `session.updated`.
    func write(id: String, beta: Bool, into out: inout ByteBuffer) {
        out.append(ascii: "{\"id\":")
        out.append(jsonString: id)
        out.append(ascii: ",\"object\":\"realtime.session\"")
        if !beta { out.append(ascii: ",\"type\":\"realtime\"") }
        out.append(ascii: ",\"model\":")
        out.append(jsonString: model)
        out.append(ascii: beta ? ",\"modalities\":" : ",\"output_modalities\":")
        out.append(jsonStrings: outputModalities)
        out.append(ascii: ",\"instructions\":")
        out.append(jsonString: instructions)
        if beta {
            out.append(ascii: ",\"voice\":")
            out.append(jsonString: voice)
            out.append(ascii: ",\"input_audio_format\":")
            out.append(jsonString: Self.betaName(inputFormat))
            out.append(ascii: ",\"output_audio_format\":")
            out.append(jsonString: Self.betaName(outputFormat))
            out.append(ascii: ",\"input_audio_transcription\":")
            writeTranscription(into: &out)
            out.append(ascii: ",\"turn_detection\":")
            writeTurnDetection(into: &out)
        } else {
            out.append(ascii: ",\"audio\":{\"input\":{\"format\":")
            Self.write(inputFormat, into: &out)
            out.append(ascii: ",\"transcription\":")
            writeTranscription(into: &out)
            out.append(ascii: ",\"noise_reduction\":null,\"turn_detection\":")
            writeTurnDetection(into: &out)
            out.append(ascii: "},\"output\":{\"format\":")
            Self.write(outputFormat, into: &out)
            out.append(ascii: ",\"voice\":")
            out.append(jsonString: voice)
            out.append(ascii: ",\"speed\":")
            out.append(json: .number(speed))
            out.append(ascii: "}}")
        }
        out.append(ascii: ",\"tools\":")
        out.append(json: .array(toolsEcho))
        out.append(ascii: ",\"tool_choice\":")
        out.append(json: toolChoiceEcho)
        out.append(ascii: beta ? ",\"max_response_output_tokens\":" : ",\"max_output_tokens\":")
        writeMaxTokens(maxOutputTokens, into: &out)
        out.append(ascii: "}")
    }

    private func writeTranscription(into out: inout ByteBuffer) {
        guard let transcriptionModel else { return out.append(ascii: "null") }
        out.append(ascii: "{\"model\":")
        out.append(jsonString: transcriptionModel)
        out.append(ascii: "}")
    }

    private func writeTurnDetection(into out: inout ByteBuffer) {
        guard let t = turnDetection else { return out.append(ascii: "null") }
        out.append(ascii: "{\"type\":")
        out.append(jsonString: t.type)
        if t.type == "semantic_vad" {
            out.append(ascii: ",\"eagerness\":")
            out.append(jsonString: t.eagerness)
        } else {
            out.append(ascii: ",\"threshold\":")
            out.append(json: .number(t.threshold))
            out.append(ascii: ",\"prefix_padding_ms\":")
            out.append(decimal: t.prefixPaddingMilliseconds)
            out.append(ascii: ",\"silence_duration_ms\":")
            out.append(decimal: t.silenceMilliseconds)
            out.append(ascii: ",\"idle_timeout_ms\":")
            if let idle = t.idleTimeoutMilliseconds { out.append(decimal: idle) } else { out.append(ascii: "null") }
        }
        out.append(ascii: ",\"create_response\":")
        out.append(jsonBool: t.createResponse)
        out.append(ascii: ",\"interrupt_response\":")
        out.append(jsonBool: t.interruptResponse)
        out.append(ascii: "}")
    }

    func writeMaxTokens(_ n: Int?, into out: inout ByteBuffer) {
        if let n { out.append(decimal: n) } else { out.append(ascii: "\"inf\"") }
    }

    static func write(_ format: AudioFormat, into out: inout ByteBuffer) {
        switch format {
        case .pcm16(let rate):
            out.append(ascii: "{\"type\":\"audio/pcm\",\"rate\":")
            out.append(decimal: rate)
            out.append(ascii: "}")
        case .mulaw: out.append(ascii: "{\"type\":\"audio/pcmu\"}")
        case .alaw: out.append(ascii: "{\"type\":\"audio/pcma\"}")
        }
    }

    static func betaName(_ format: AudioFormat) -> String {
        switch format {
        case .pcm16: "pcm16"
        case .mulaw: "g711_ulaw"
        case .alaw: "g711_alaw"
        }
    }
}
