import Foundation
import MockLLM
import MockLLMCore
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import MockLLMSimulation
import Testing

/// The two chat protocols, each with its own path, body, headers and reply shapes.
package enum Wire: String, Sendable, CaseIterable {
    case openai
    case anthropic

    package var path: String { self == .openai ? "/v1/chat/completions" : "/v1/messages" }
    package var defaultModel: String { self == .openai ? "gpt-4o-mini" : "claude-3-haiku-20240307" }
}

/// A protocol and whether the reply is streamed: what end-to-end rule tests run through.
package struct Mode: Sendable, CustomTestStringConvertible {
    package var wire: Wire
    package var stream: Bool

    package init(wire: Wire, stream: Bool) {
        self.wire = wire
        self.stream = stream
    }

    package static let all = [Mode(wire: .openai, stream: false), Mode(wire: .openai, stream: true),
                      Mode(wire: .anthropic, stream: false), Mode(wire: .anthropic, stream: true)]
    package static let streaming = all.filter(\.stream)

    package var testDescription: String { "\(wire.rawValue) \(stream ? "stream" : "json")" }
}

/// One chat request, independent of protocol.
package struct Chat: Sendable {
    package var prompt: String
    /// nil: the wire's default model.
    package var model: String?
    /// OpenAI: a system message first; Anthropic: the top-level `system`.
    package var system: String?
    /// Send the system prompt as content parts (OpenAI) or text blocks (Anthropic).
    package var systemAsBlocks = false
    /// User messages before the prompt (each followed by an assistant reply), for the turn number.
    package var earlierTurns: [String] = []
    /// Offer one tool (`tools: []` when false and `emptyTools` is set).
    package var tools = false
    package var emptyTools = false
    package var headers: [(String, String)] = []
    /// Appended to the path, e.g. `?beta=true`.
    package var query = ""
    /// `max_tokens` (Anthropic requires one: 1024 unless set).
    package var maxTokens: Int?

    package init(_ prompt: String, model: String? = nil, system: String? = nil, headers: [(String, String)] = []) {
        self.prompt = prompt
        self.model = model
        self.system = system
        self.headers = headers
    }

    package func body(_ mode: Mode) -> String {
        var messages: [[String: Any]] = []
        var object: [String: Any] = ["model": model ?? mode.wire.defaultModel]
        if let system {
            let blocks: Any = systemAsBlocks ? [["type": "text", "text": system]] : system
            if mode.wire == .openai {
                messages.append(["role": "system", "content": blocks])
            } else {
                object["system"] = blocks
            }
        }
        for earlier in earlierTurns {
            messages.append(["role": "user", "content": earlier])
            messages.append(["role": "assistant", "content": "noted"])
        }
        messages.append(["role": "user", "content": prompt])
        object["messages"] = messages
        if mode.stream { object["stream"] = true }
        if let maxTokens { object["max_tokens"] = maxTokens } else if mode.wire == .anthropic { object["max_tokens"] = 1024 }
        if tools {
            object["tools"] = mode.wire == .openai
                ? [["type": "function", "function": ["name": "lookup", "parameters": ["type": "object", "properties": [:] as [String: Any]]]]]
                : [["name": "lookup", "input_schema": ["type": "object"]]]
        } else if emptyTools {
            object["tools"] = [Any]()
        }
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// The exact bytes of the HTTP request.
    package func request(_ mode: Mode) -> String {
        let body = body(mode)
        var head = "POST \(mode.wire.path)\(query) HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        if mode.wire == .anthropic {
            head += "anthropic-version: 2023-06-01\r\n"
            if !headers.contains(where: { $0.0.lowercased() == "x-api-key" }) { head += "x-api-key: test\r\n" }
        }
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        return head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
    }
}

/// A chat reply read back from either protocol's JSON or event stream, or its error.
package struct ChatResult {
    package var response: TestResponse
    /// The reply text (nil for an error).
    package var text: String?
    /// A stream's content events, in order (each one `delta.content` or `text_delta`).
    package var events: [String] = []
    /// The error's type as the provider names it (`rate_limit_exceeded`, `rate_limit_error`...).
    package var errorType: String?
    package var errorMessage: String?
    /// OpenAI's `code` (Anthropic's errors have none).
    package var errorCode: String?

    package var status: Int { response.status }
    /// `x-mockllm-rule`: what answered.
    package var rule: String? { response.header("x-mockllm-rule") }
    /// `x-mockllm-miss`: why nothing matched.
    package var miss: String? { response.header("x-mockllm-miss") }

    package init(_ response: TestResponse, _ mode: Mode) throws {
        self.response = response
        if response.status != 200 {
            try readError(mode)
        } else if mode.stream {
            try readStream(mode)
        } else {
            try readMessage(mode)
        }
    }

    private mutating func readError(_ mode: Mode) throws {
        #expect(response.header("content-type") == "application/json", "errors are JSON, streamed or not")
        let json = try response.json()
        switch mode.wire {
        case .openai:
            guard let error = json["error"] as? [String: Any], json.count == 1 else {
                throw TestFailure("not an OpenAI error envelope: \(response.text)")
            }
            #expect(error.keys.sorted() == ["code", "message", "param", "type"], "\(response.text)")
            errorType = error["type"] as? String
            errorMessage = error["message"] as? String
            errorCode = error["code"] as? String
            #expect(response.header("x-request-id")?.hasPrefix("req_") == true)
        case .anthropic:
            guard json["type"] as? String == "error", let error = json["error"] as? [String: Any] else {
                throw TestFailure("not an Anthropic error envelope: \(response.text)")
            }
            #expect(error.keys.sorted() == ["message", "type"], "\(response.text)")
            #expect((json["request_id"] as? String) == response.header("request-id"))
            errorType = error["type"] as? String
            errorMessage = error["message"] as? String
        }
    }

    private mutating func readMessage(_ mode: Mode) throws {
        #expect(response.header("content-type") == "application/json")
        let json = try response.json()
        switch mode.wire {
        case .openai:
            #expect(json["object"] as? String == "chat.completion")
            let choice = (json["choices"] as? [[String: Any]])?.first
            text = (choice?["message"] as? [String: Any])?["content"] as? String
        case .anthropic:
            #expect(json["type"] as? String == "message")
            let block = (json["content"] as? [[String: Any]])?.first
            #expect(block?["type"] as? String == "text")
            text = block?["text"] as? String
        }
        if text == nil { throw TestFailure("no reply text in \(response.text)") }
    }

    private mutating func readStream(_ mode: Mode) throws {
        #expect(response.header("content-type") == "text/event-stream; charset=utf-8")
        let raw = response.text
        guard raw.hasSuffix("\n\n") else { throw TestFailure("a stream that does not end with an event: \(raw.suffix(200))") }
        let events = raw.dropLast(2).components(separatedBy: "\n\n")
        switch mode.wire {
        case .openai:
            guard events.last == "data: [DONE]" else { throw TestFailure("an OpenAI stream must end with [DONE]") }
            for event in events.dropLast() {
                guard event.hasPrefix("data: ") else { throw TestFailure("bad OpenAI event \(event)") }
                let object = try Self.object(event.dropFirst(6))
                let delta = (object["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
                if let content = delta?["content"] as? String { self.events.append(content) }
            }
        case .anthropic:
            #expect(!raw.contains("[DONE]"))
            var names: [String] = []
            for event in events {
                let lines = event.split(separator: "\n", maxSplits: 1)
                guard lines.count == 2, lines[0].hasPrefix("event: "), lines[1].hasPrefix("data: ") else {
                    throw TestFailure("bad Anthropic event \(event)")
                }
                let name = String(lines[0].dropFirst(7))
                names.append(name)
                let object = try Self.object(lines[1].dropFirst(6))
                #expect(object["type"] as? String == name)
                if name == "content_block_delta", let delta = object["delta"] as? [String: Any] {
                    #expect(delta["type"] as? String == "text_delta")
                    self.events.append(delta["text"] as? String ?? "")
                }
            }
            guard names.first == "message_start", names.last == "message_stop" else {
                throw TestFailure("an Anthropic stream runs from message_start to message_stop, got \(names)")
            }
        }
        text = self.events.joined()
    }

    private static func object(_ text: Substring) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestFailure("event data is not a JSON object: \(text)")
        }
        return object
    }
}

extension RawClient {
    /// Sends `chat` the way `mode` speaks and reads the reply back.
    package func chat(_ chat: Chat, _ mode: Mode) throws -> ChatResult {
        try send(chat.request(mode))
        return try ChatResult(readResponse(), mode)
    }

    package func chat(_ prompt: String, _ mode: Mode, headers: [(String, String)] = []) throws -> ChatResult {
        try self.chat(Chat(prompt, headers: headers), mode)
    }
}

/// Whether a stream event (one chunk of the body) carries reply text rather than framing.
package func isContentEvent(_ chunk: [UInt8], _ wire: Wire) -> Bool {
    let event = String(decoding: chunk, as: UTF8.self)
    return wire == .openai ? event.contains(#""content":""#) : event.hasPrefix("event: content_block_delta")
}
