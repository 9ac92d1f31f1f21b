import MockLLMCore

/// The one request every stream of a run sends, built once: a streaming chat request in the
/// provider's shape, with the pacing headers and the user's headers.
///
/// - openai, azure, ollama: `{"model","stream":true,"messages":[{"role":"user","content"}]}`
///   (Azure serves the deployment its path names; a key, where one is needed, comes as the
///   user's `--header 'api-key: ...'`)
/// - anthropic: the same with `"max_tokens":4096`, and `anthropic-version: 2023-06-01`
/// - responses: `{"model","input","stream":true}`
/// - gemini, vertex: `{"contents":[{"role":"user","parts":[{"text"}]}]}` (the model is in the path; a
///   key, where one is needed, comes as the user's `--header 'x-goog-api-key: ...'`, or
///   `Authorization: Bearer ...` for Vertex AI)
/// - vertex-anthropic: `{"anthropic_version":"vertex-2023-10-16","max_tokens":4096,"stream":true,"messages":[...]}`
/// - bedrock: Converse's `{"messages":[{"role":"user","content":[{"text"}]}],"inferenceConfig":{"maxTokens":4096}}`
///   (the model is in the path)
/// - realtime: the WebSocket opening handshake (`GET`, `Upgrade: websocket`); the session's
///   events are `realtimeEvents`
enum BenchRequest {
    static func build(options: BenchOptions, target: BenchTarget, path: String, model: String) throws(BenchUsageError) -> [UInt8] {
        let provider = options.provider
        var body = ByteBuffer()
        switch provider {
        case .realtime:
            return try handshake(options: options, target: target, path: path)
        case .openai, .anthropic, .ollama, .azure:
            body.append(ascii: "{\"model\":")
            body.append(jsonString: model)
            if provider == .anthropic { body.append(ascii: ",\"max_tokens\":4096") }
            body.append(ascii: ",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":")
            body.append(jsonString: options.prompt)
            body.append(ascii: "}]}")
        case .responses:
            body.append(ascii: "{\"model\":")
            body.append(jsonString: model)
            body.append(ascii: ",\"input\":")
            body.append(jsonString: options.prompt)
            body.append(ascii: ",\"stream\":true}")
        case .vertexAnthropic:
            body.append(ascii: "{\"anthropic_version\":\"vertex-2023-10-16\",\"max_tokens\":4096,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":")
            body.append(jsonString: options.prompt)
            body.append(ascii: "}]}")
        case .gemini, .vertex:
            body.append(ascii: "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":")
            body.append(jsonString: options.prompt)
            body.append(ascii: "}]}]}")
        case .bedrock:
            body.append(ascii: "{\"messages\":[{\"role\":\"user\",\"content\":[{\"text\":")
            body.append(jsonString: options.prompt)
            body.append(ascii: "}]}],\"inferenceConfig\":{\"maxTokens\":4096}}")
        }

        var head = "POST \(path) HTTP/1.1\r\n"
        head += "Host: \(target.authority)\r\n"
        head += "Content-Type: application/json\r\nAccept: \(provider.accept)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        if provider == .anthropic { head += "anthropic-version: 2023-06-01\r\n" }
        if let ms = options.ttftMilliseconds { head += "x-mockllm-ttft-ms: \(decimal(ms))\r\n" }
        if let ms = options.itlMilliseconds { head += "x-mockllm-itl-ms: \(decimal(ms))\r\n" }
        for header in options.headers {
            head += try checked(header) + "\r\n"
        }
        head += "\r\n"
        var request = ByteBuffer(head)
        request.append(body)
        return request.bytes
    }

    /// The opening handshake of a Realtime session: one key for the whole run (the server only
    /// checks its form; each session's accept value is checked against it).
    static func handshake(options: BenchOptions, target: BenchTarget, path: String) throws(BenchUsageError) -> [UInt8] {
        var head = "GET \(path) HTTP/1.1\r\nHost: \(target.authority)\r\n"
        head += "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: \(webSocketKey)\r\n"
        if let ms = options.ttftMilliseconds { head += "x-mockllm-ttft-ms: \(decimal(ms))\r\n" }
        if let ms = options.itlMilliseconds { head += "x-mockllm-itl-ms: \(decimal(ms))\r\n" }
        for header in options.headers {
            head += try checked(header) + "\r\n"
        }
        head += "\r\n"
        return Array(head.utf8)
    }

    /// 16 bytes in base64, as RFC 6455 4.1 asks of a key.
    static let webSocketKey = "bW9ja2xsbS1iZW5jaGtleQ=="

    /// What a Realtime session sends once upgraded (OpenAI Realtime's GA client events): audio
    /// output, the prompt as a user message, and a response.
    static func realtimeEvents(prompt: String) -> [ByteBuffer] {
        var update = ByteBuffer()
        update.append(ascii: "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"output_modalities\":[\"audio\"],")
        update.append(ascii: "\"audio\":{\"output\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":24000}}}}}")
        var item = ByteBuffer()
        item.append(ascii: "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",")
        item.append(ascii: "\"content\":[{\"type\":\"input_text\",\"text\":")
        item.append(jsonString: prompt)
        item.append(ascii: "}]}}")
        return [update, item, ByteBuffer("{\"type\":\"response.create\"}")]
    }

    /// `Name: value` with a token name and no control characters.
    private static func checked(_ header: String) throws(BenchUsageError) -> String {
        let bytes = Array(header.utf8)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
              bytes[..<colon].allSatisfy(ByteClass.isTokenChar),
              bytes[(colon + 1)...].allSatisfy(ByteClass.isFieldValueChar)
        else {
            throw BenchUsageError("--header must be 'Name: value' (a token name, no control characters), got '\(header)'")
        }
        let value = header[header.utf8.index(after: header.utf8.index(header.utf8.startIndex, offsetBy: colon))...]
        return "\(header.prefix(colon)): \(value.drop { $0 == " " || $0 == "\t" })"
    }

    /// A millisecond value without a needless `.0`.
    static func decimal(_ value: Double) -> String {
        value == value.rounded() && value < 1e15 ? String(Int64(value)) : String(value)
    }
}
