import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// The JSON of the Live API's server messages (`BidiGenerateContentServerMessage`), written
/// straight into bytes. The API sends each as a binary WebSocket frame holding JSON with the
/// proto's JSON names; google-genai reads either kind of frame.
enum GeminiLiveServerMessage {
    /// `{"setupComplete": {}}`.
    static func setupComplete() -> ByteBuffer {
        var out = ByteBuffer(capacity: 24)
        out.append(ascii: "{\"setupComplete\": {}}")
        return out
    }

    /// `{"serverContent": {"modelTurn": {"parts": [{"text": "..."}]}}}`.
    static func modelText(_ text: Substring) -> ByteBuffer {
        var out = ByteBuffer(capacity: 64 + text.utf8.count)
        out.append(ascii: "{\"serverContent\": {\"modelTurn\": {\"parts\": [{\"text\": ")
        out.append(jsonString: text)
        out.append(ascii: "}]}}}")
        return out
    }

    /// `{"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": "audio/pcm;rate=24000","data": "..."}}]}}}`:
    /// `samples` of `audio`, rendered now, in base64.
    static func modelAudio(_ audio: SpeechAudio, samples: Range<Int>) -> ByteBuffer {
        var raw = ByteBuffer(capacity: samples.count * audio.format.bytesPerSample)
        audio.append(samples: samples, to: &raw)
        var out = ByteBuffer(capacity: 120 + raw.count * 4 / 3)
        out.append(ascii: "{\"serverContent\": {\"modelTurn\": {\"parts\": [{\"inlineData\": {\"mimeType\": \"audio/pcm;rate=")
        out.append(decimal: audio.format.sampleRate)
        out.append(ascii: "\",\"data\": \"")
        raw.withUnsafeReadableBytes { out.append(base64Of: $0) }
        out.append(ascii: "\"}}]}}}")
        return out
    }

    /// `{"serverContent": {"outputTranscription": {"text": "..."}}}` (or `inputTranscription`).
    static func transcription(_ text: Substring, input: Bool) -> ByteBuffer {
        var out = ByteBuffer(capacity: 64 + text.utf8.count)
        out.append(ascii: input ? "{\"serverContent\": {\"inputTranscription\": {\"text\": " : "{\"serverContent\": {\"outputTranscription\": {\"text\": ")
        out.append(jsonString: text)
        out.append(ascii: "}}}")
        return out
    }

    /// `{"serverContent": {"generationComplete": true}}`.
    static func generationComplete() -> ByteBuffer {
        var out = ByteBuffer(capacity: 48)
        out.append(ascii: "{\"serverContent\": {\"generationComplete\": true}}")
        return out
    }

    /// `{"serverContent": {"interrupted": true}}`.
    static func interrupted() -> ByteBuffer {
        var out = ByteBuffer(capacity: 40)
        out.append(ascii: "{\"serverContent\": {\"interrupted\": true}}")
        return out
    }

    /// What a turn's usage counts: tokens of the prompt and of the reply, each in its modality.
    struct Usage: Equatable {
        var promptTokens: Int
        var responseTokens: Int
        var audio: Bool
    }

    /// `{"serverContent": {"turnComplete": true},"usageMetadata": {...}}`: the API reports a
    /// turn's usage with its end. Vertex AI names the reply's tokens `candidatesTokenCount` and
    /// `candidatesTokensDetails` where the Gemini API says `responseTokenCount`.
    static func turnComplete(_ usage: Usage, vertex: Bool = false) -> ByteBuffer {
        var out = ByteBuffer(capacity: 260)
        out.append(ascii: "{\"serverContent\": {\"turnComplete\": true},\"usageMetadata\": {\"promptTokenCount\": ")
        out.append(decimal: usage.promptTokens)
        out.append(ascii: vertex ? ",\"candidatesTokenCount\": " : ",\"responseTokenCount\": ")
        out.append(decimal: usage.responseTokens)
        out.append(ascii: ",\"totalTokenCount\": ")
        out.append(decimal: usage.promptTokens + usage.responseTokens)
        out.append(ascii: ",\"promptTokensDetails\": [{\"modality\": \"TEXT\",\"tokenCount\": ")
        out.append(decimal: usage.promptTokens)
        out.append(ascii: vertex ? "}],\"candidatesTokensDetails\": [{\"modality\": " : "}],\"responseTokensDetails\": [{\"modality\": ")
        out.append(ascii: usage.audio ? "\"AUDIO\",\"tokenCount\": " : "\"TEXT\",\"tokenCount\": ")
        out.append(decimal: usage.responseTokens)
        out.append(ascii: "}]}}")
        return out
    }

    /// `{"toolCall": {"functionCalls": [{"id": "...","name": "...","args": {...}}]}}`.
    static func toolCall(_ calls: [ToolCall]) -> ByteBuffer {
        var out = ByteBuffer(capacity: 64 + calls.reduce(0) { $0 + 48 + $1.name.utf8.count + $1.arguments.utf8.count })
        out.append(ascii: "{\"toolCall\": {\"functionCalls\": [")
        for (i, call) in calls.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"id\": ")
            out.append(jsonString: call.id ?? "")
            out.append(ascii: ",\"name\": ")
            out.append(jsonString: call.name)
            out.append(ascii: ",\"args\": ")
            out.append(utf8: call.arguments)
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "]}}")
        return out
    }

    /// `{"toolCallCancellation": {"ids": [...]}}`: calls the client should no longer run.
    static func toolCallCancellation(_ ids: [String]) -> ByteBuffer {
        var out = ByteBuffer(capacity: 48 + ids.reduce(0) { $0 + 4 + $1.utf8.count })
        out.append(ascii: "{\"toolCallCancellation\": {\"ids\": ")
        out.append(jsonStrings: ids)
        out.append(ascii: "}}")
        return out
    }

    /// `{"sessionResumptionUpdate": {"newHandle": "...","resumable": true}}`, or while the session
    /// cannot be resumed (a turn or a tool call in progress) `{"resumable": false}` with no handle.
    static func resumptionUpdate(handle: String?) -> ByteBuffer {
        var out = ByteBuffer(capacity: 80)
        if let handle {
            out.append(ascii: "{\"sessionResumptionUpdate\": {\"newHandle\": ")
            out.append(jsonString: handle)
            out.append(ascii: ",\"resumable\": true}}")
        } else {
            out.append(ascii: "{\"sessionResumptionUpdate\": {\"resumable\": false}}")
        }
        return out
    }

    /// `{"goAway": {"timeLeft": "50s"}}`: the server will close the connection in that time
    /// (a protobuf `Duration`).
    static func goAway(timeLeft: String) -> ByteBuffer {
        var out = ByteBuffer(capacity: 40)
        out.append(ascii: "{\"goAway\": {\"timeLeft\": ")
        out.append(jsonString: timeLeft)
        out.append(ascii: "}}")
        return out
    }
}
