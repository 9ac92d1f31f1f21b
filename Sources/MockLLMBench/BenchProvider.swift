/// The wire protocol `mockllm bench` speaks: the request it sends and where, how the stream is
/// framed, and which of its events count (`BenchProvider+Events.swift`).
package enum BenchProvider: String, Sendable, CaseIterable {
    /// OpenAI Chat Completions: server-sent events, ending with `data: [DONE]`.
    case openai
    /// Anthropic Messages: named server-sent events, ending with `message_stop`.
    case anthropic
    /// OpenAI Responses: named server-sent events, ending with `response.completed` (or
    /// `response.incomplete`) and the end of the body.
    case responses
    /// Gemini `streamGenerateContent?alt=sse`: `data:` chunks, the last one with `finishReason`.
    case gemini
    /// Ollama `/api/chat`: NDJSON, one object per line, ending with the `"done":true` line.
    case ollama
    /// Gemini on Vertex AI, `projects/.../publishers/google/models/{model}:streamGenerateContent?alt=sse`:
    /// Gemini's chunks (with Vertex AI's stamps and the usage in the last).
    case vertex
    /// Claude on Vertex AI, `projects/.../publishers/anthropic/models/{model}:streamRawPredict`:
    /// Anthropic's named events, the body with `anthropic_version: vertex-2023-10-16` and no model.
    case vertexAnthropic = "vertex-anthropic"
    /// Azure OpenAI's deployment path (`/openai/deployments/{model}/chat/completions`): OpenAI's
    /// chunks, after a first one with empty `choices` and the prompt's content-filter results.
    case azure
    /// Amazon Bedrock `ConverseStream`: an AWS event stream (binary messages), ending with
    /// `messageStop` (then `metadata`).
    case bedrock
    /// OpenAI Realtime over WebSocket (`GET /v1/realtime?model=...`, upgraded): one session
    /// per stream, GA events (`session.update` for audio output, `conversation.item.create`,
    /// `response.create`), `response.output_audio.delta` events counted as tokens, ending with
    /// `response.done` (`RealtimeClient`).
    case realtime

    /// How the body is cut into events.
    enum Framing {
        /// Server-sent events (an event ends at a blank line).
        case sse
        /// Newline-delimited JSON (one event per line).
        case ndjson
        /// AWS's event stream (`application/vnd.amazon.eventstream`: length-prefixed messages with
        /// headers and checksums).
        case eventStream
        /// WebSocket messages, each one JSON event (`RealtimeClient`, not a `BodyScanner`).
        case webSocket
    }

    var framing: Framing {
        switch self {
        case .ollama: .ndjson
        case .bedrock: .eventStream
        case .realtime: .webSocket
        case .openai, .anthropic, .responses, .gemini, .vertex, .vertexAnthropic, .azure: .sse
        }
    }

    var defaultModel: String {
        switch self {
        case .openai, .responses, .azure: "gpt-4o-mini"
        case .anthropic: "claude-3-haiku"
        case .gemini, .vertex: "gemini-2.5-flash"
        case .vertexAnthropic: "claude-3-haiku@20240307"
        case .ollama: "llama3.2"
        case .bedrock: "anthropic.claude-3-haiku-20240307-v1:0"
        case .realtime: "gpt-realtime"
        }
    }

    /// The endpoint a URL without a path gets (Gemini's, Vertex AI's and Azure's name the model;
    /// Vertex AI's any project and location, here `mockllm` and `us-central1`).
    func defaultPath(model: String) -> String {
        switch self {
        case .openai: "/v1/chat/completions"
        case .anthropic: "/v1/messages"
        case .responses: "/v1/responses"
        case .gemini: "/v1beta/models/\(model):streamGenerateContent?alt=sse"
        case .ollama: "/api/chat"
        case .vertex: "\(Self.vertexParent)/publishers/google/models/\(model):streamGenerateContent?alt=sse"
        case .vertexAnthropic: "\(Self.vertexParent)/publishers/anthropic/models/\(model):streamRawPredict"
        case .azure: "/openai/deployments/\(model)/chat/completions?api-version=\(Self.azureAPIVersion)"
        case .bedrock: "/model/\(model)/converse-stream"
        case .realtime: "/v1/realtime?model=\(model)"
        }
    }

    static let vertexParent = "/v1/projects/mockllm/locations/us-central1"

    /// The `api-version` of Azure's default path (its latest GA inference version).
    static let azureAPIVersion = "2024-10-21"

    /// Whether the model is a segment (or, for Realtime, the query) of the default path.
    var modelInPath: Bool { [.gemini, .vertex, .vertexAnthropic, .azure, .realtime].contains(self) }

    /// The request's `Accept`.
    var accept: String {
        switch self {
        case .ollama: "application/x-ndjson"
        case .bedrock: "application/vnd.amazon.eventstream"
        case .realtime: "application/json"
        case .openai, .anthropic, .responses, .gemini, .vertex, .vertexAnthropic, .azure: "text/event-stream"
        }
    }
}
