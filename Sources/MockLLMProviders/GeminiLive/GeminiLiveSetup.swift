import MockLLMCore
import MockLLMScript

/// A Live session's `setup` (`BidiGenerateContentSetup`), the first message a client sends: the
/// model, `generationConfig` (its `responseModalities`: `TEXT` or `AUDIO`), `systemInstruction`,
/// `tools`, `realtimeInputConfig`, the transcription switches and `sessionResumption`. Fields the
/// mock does not use (`speechConfig`, `contextWindowCompression`, `proactivity`, ...) are accepted
/// and ignored.
struct GeminiLiveSetup {
    /// The model, without its `models/` prefix (Vertex AI: without the resource path before it).
    var model: String
    /// The model as the setup names it (`models/M`, `projects/P/locations/L/publishers/google/models/M`).
    var resource: String
    /// `responseModalities: ["AUDIO"]`: the model speaks (PCM16 at 24 kHz) instead of writing.
    var audio = false
    /// The system instruction as a system message (none: empty), the tools offered and the
    /// generation limits, read as `generateContent` reads them.
    var request: GeminiRequest
    /// `realtimeInputConfig.automaticActivityDetection.disabled`: false, the server hears when
    /// the user speaks (`VoiceActivity` on the audio's samples); true, the client sends
    /// `activityStart` / `activityEnd`.
    var automaticActivityDetection = true
    /// `automaticActivityDetection.silenceDurationMs`: how much silence in the audio after
    /// speech ends the user's turn.
    var silenceMilliseconds = 500
    /// `realtimeInputConfig.activityHandling`: `NO_INTERRUPTION` lets the model finish while the
    /// user speaks; otherwise (`START_OF_ACTIVITY_INTERRUPTS`, the default) new input interrupts it.
    var interruptible = true
    /// `inputAudioTranscription` / `outputAudioTranscription` were given.
    var inputTranscription = false
    var outputTranscription = false
    /// `sessionResumption` was given: the server sends `sessionResumptionUpdate`s; `handle`, the
    /// session to resume.
    var resumption = false
    var resumeHandle: String?

    static let path = "setup"

    init(_ fields: RequestFields) throws(FieldProblem) {
        guard let model = try fields.string("model"), !model.isEmpty else { throw .missing(path: "setup.model") }
        resource = model
        self.model = model.range(of: "models/", options: .backwards).map { String(model[$0.upperBound...]) } ?? model
        request = GeminiRequest(messages: [])
        if let system = try fields.object(fields.googleKey("systemInstruction", "system_instruction")) {
            let parts = try GeminiRequest.parts(of: system, request: GeminiLiveClientMessage.messageName, requireParts: false)
            request.messages.append(ChatMessage(role: "system", text: parts.text))
        }
        if let config = try fields.object(fields.googleKey("generationConfig", "generation_config")) {
            try request.readGenerationConfig(config)
            let key = config.googleKey("responseModalities", "response_modalities")
            for (i, modality) in (try config.array(key) ?? []).enumerated() {
                switch modality.string {
                case "AUDIO"?: audio = true
                case "TEXT"?, "MODALITY_UNSPECIFIED"?: break
                default:
                    let path = GeminiErrors.protoPath("\(config.childPath(key))[\(i)]")
                    throw .invalidValue(
                        path: path, message: "Invalid value at '\(path)' (type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.Modality), "
                            + (modality.string.map { "\"\($0)\"" } ?? modality.kindDescription), code: "")
                }
            }
        }
        try request.readTools(fields)
        if let realtime = try fields.object(fields.googleKey("realtimeInputConfig", "realtime_input_config")) {
            try readRealtimeInputConfig(realtime)
        }
        inputTranscription = try fields.object(fields.googleKey("inputAudioTranscription", "input_audio_transcription")) != nil
        outputTranscription = try fields.object(fields.googleKey("outputAudioTranscription", "output_audio_transcription")) != nil
        if let resumption = try fields.object(fields.googleKey("sessionResumption", "session_resumption")) {
            self.resumption = true
            resumeHandle = try resumption.string("handle").flatMap { $0.isEmpty ? nil : $0 }
        }
    }

    private mutating func readRealtimeInputConfig(_ config: RequestFields) throws(FieldProblem) {
        if let detection = try config.object(config.googleKey("automaticActivityDetection", "automatic_activity_detection")) {
            automaticActivityDetection = !(try detection.bool("disabled") ?? false)
            if let ms = try detection.integer(detection.googleKey("silenceDurationMs", "silence_duration_ms")), ms > 0 {
                silenceMilliseconds = ms
            }
        }
        switch try config.string(config.googleKey("activityHandling", "activity_handling")) ?? "ACTIVITY_HANDLING_UNSPECIFIED" {
        case "ACTIVITY_HANDLING_UNSPECIFIED", "START_OF_ACTIVITY_INTERRUPTS": interruptible = true
        case "NO_INTERRUPTION": interruptible = false
        case let other:
            let path = GeminiErrors.protoPath(config.childPath("activityHandling"))
            throw .invalidValue(
                path: path, message: "Invalid value at '\(path)' (type.googleapis.com/google.ai.generativelanguage.v1beta.ActivityHandling), \"\(other)\"",
                code: "")
        }
    }
}
