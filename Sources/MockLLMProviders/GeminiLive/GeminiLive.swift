import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// Gemini's Live API (`BidiGenerateContent`): a WebSocket at
/// `/ws/google.ai.generativelanguage.{v1alpha,v1beta,v1}.GenerativeService.BidiGenerateContent`,
/// the URL google-genai's `client.aio.live.connect` opens with the key in `x-goog-api-key`
/// (browsers put it in `?key=`), served by the `gemini` provider (its key sources, models and
/// error envelope); and Vertex AI's `LlmBidiService` path, served by `vertex` in its words.
///
/// The opening handshake is answered with the 101 and a `GeminiLiveSession`; a request that is
/// not a handshake gets Google's error envelope with the handshake's status. Everything after
/// the 101 that the API refuses (a wrong key, a bad message, an unknown model, a scripted error)
/// is a close frame: the code Google's front end maps the error's status to and the message as
/// the reason (`closeCode(for:)`).
enum GeminiLive {
    /// The model's voice: 16-bit PCM at 24 kHz (the API takes 16 kHz in and sends 24 kHz out).
    static let outputFormat = AudioFormat.pcm16(sampleRate: 24_000)
    /// Audio goes out in chunks of this many milliseconds.
    static let chunkMilliseconds = 100
    /// How the API counts audio: 32 tokens a second (the Gemini API's token guide).
    static let audioTokensPerSecond: UInt64 = 32

    /// The API versions google-genai's `api_version` names.
    static let versions = ["v1alpha", "v1beta", "v1"]

    /// The Gemini API's routes: `/ws/google.ai.generativelanguage.{version}.GenerativeService.BidiGenerateContent`.
    static var endpoints: [Endpoint] {
        versions.map { version in
            Endpoint(method: "GET", path: "/ws/google.ai.generativelanguage.\(version).GenerativeService.BidiGenerateContent",
                     handlerName: "bidi_generate_content", handler: { http, context throws(Refusal) in
                         try connect(http, &context, service: .gemini(version: version))
                     }, answersKeyRefusal: true)
        }
    }

    /// Vertex AI's routes (google-genai with `vertexai=True`):
    /// `/ws/google.cloud.aiplatform.{v1,v1beta1}.LlmBidiService/BidiGenerateContent`.
    static var vertexEndpoints: [Endpoint] {
        ["v1", "v1beta1"].map { version in
            Endpoint(method: "GET", path: "/ws/google.cloud.aiplatform.\(version).LlmBidiService/BidiGenerateContent",
                     handlerName: "bidi_generate_content", handler: { http, context throws(Refusal) in
                         try connect(http, &context, service: .vertex)
                     }, answersKeyRefusal: true)
        }
    }

    /// Who answers a session: the Gemini API or Vertex AI, each in its own words.
    struct Service: Sendable {
        /// The provider rules see (`provider:`) and whose key refusal a session gets.
        var provider: String
        /// The provider whose registry models the session serves (`strict_models`).
        var modelOwner: String
        /// The refusal of a model it does not serve; given the model as the setup names it.
        var modelNotFound: @Sendable (_ model: String, _ resource: String) -> APIError
        var keyRefusal: @Sendable (_ given: Bool) -> APIError
        var errorReply: @Sendable (_ error: APIError, _ requestID: String) -> Reply
        /// Vertex AI's names in `usageMetadata` (`candidatesTokenCount`).
        var vertexUsage = false

        static func gemini(version: String) -> Service {
            Service(provider: Gemini.metadata.name, modelOwner: Gemini.metadata.name,
                    modelNotFound: { model, _ in GeminiLive.modelNotFound(model, version: version) },
                    keyRefusal: Gemini.keyRefusal, errorReply: Gemini.errorReply)
        }

        /// Vertex AI names the model as a resource (`projects/P/locations/L/publishers/google/models/M`).
        static let vertex = Service(provider: Vertex.metadata.name, modelOwner: Gemini.metadata.name,
                                    modelNotFound: { _, resource in VertexErrors.modelNotFound(resource) },
                                    keyRefusal: Vertex.keyRefusal, errorReply: Vertex.errorReply, vertexUsage: true)
    }

    static func connect(_ http: HTTPRequest, _ context: inout ProviderContext, service: Service) throws(Refusal) -> Reply {
        let keyRefusal = context.keyRefused.map(service.keyRefusal)
        let lifetime: SessionLifetime?
        do {
            lifetime = try SessionLifetime.resolve(http.headers, script: context.script)
        } catch {
            throw Refusal(service.errorReply(APIError(status: 400, kind: .invalidRequest, message: error.message), context.requestID))
        }
        let session = { [context] in
            GeminiLiveSession(context: context, request: http, service: service, keyRefusal: keyRefusal,
                              lifetime: lifetime) as any WebSocketSession
        }
        switch WebSocketHandshake.reply(to: http, session: session) {
        case .success(let reply):
            return reply
        case .failure(let refusal):
            var error = APIError(status: refusal.status, kind: .invalidRequest, message: refusal.message)
            if refusal == .version { error.headers.append(name: "sec-websocket-version", value: "13") }
            throw Refusal(service.errorReply(error, context.requestID))
        }
    }

    /// The close code for an error the API reports after the handshake: Google's front end closes
    /// with 1007 for `INVALID_ARGUMENT` (a bad message, a bad key), 1008 (policy violation) for
    /// `NOT_FOUND` and `PERMISSION_DENIED` (an unknown model, an unknown resumption handle, no
    /// key), and 1011 (internal error) for the rest (`RESOURCE_EXHAUSTED`, `INTERNAL`,
    /// `UNAVAILABLE`).
    static func closeCode(for error: APIError) -> UInt16 {
        switch error.status {
        case 400, 413: 1007
        case 401, 403, 404: 1008
        default: 1011
        }
    }

    /// The close frame for `error`: its message (Google's words for a status-only fault), cut to
    /// the 123 bytes a close reason may hold, as the API cuts it.
    static func close(for error: APIError) -> WebSocketOutput {
        let message = error.statusOnly ? GeminiErrors.defaultMessage(error.status) : error.message
        return .close(code: closeCode(for: error), reason: closeReason(message))
    }

    /// `text` cut to at most 123 bytes of UTF-8, at a character boundary (RFC 6455 5.5.1).
    static func closeReason(_ text: String) -> String {
        guard text.utf8.count > 123 else { return text }
        var out = ""
        var bytes = 0
        for character in text {
            let size = character.utf8.count
            if bytes + size > 123 { break }
            out.append(character)
            bytes += size
        }
        return out
    }

    /// Google's words for a model the Live API does not serve (`strict_models`), or a session
    /// handle it does not know.
    static func modelNotFound(_ model: String, version: String) -> APIError {
        APIError(
            status: 404, kind: .notFound,
            message: "models/\(model) is not found for API version \(version), or is not supported for bidiGenerateContent. "
                + "Call ListModels to see the list of available models and their supported methods.")
    }

    static let sessionNotFound = APIError(status: 404, kind: .notFound, message: "BidiGenerateContent session not found")

    /// Google's generic words for a message it cannot take.
    static let invalidArgument = APIError.invalidRequest("Request contains an invalid argument.")
}
