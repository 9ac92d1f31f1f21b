import Foundation
import MockLLMCore
import MockLLMSimulation

/// A recorded exchange in the script: a rule whose `match:` identifies a request by its
/// endpoint and the identifying part of its JSON body (`request:`), and whose `recorded:` reply
/// is the exact status, headers and body (or timed events) the real API answered.
///
/// Fixtures are matched before any protocol decodes the request (generic over the raw JSON),
/// so every endpoint can be replayed, embeddings and Ollama's included. docs/RECORD-REPLAY.md.
package struct Fixture: Sendable {
    /// `name:`, or `rules[i]` for an unnamed one.
    package let name: String
    /// The file and line it was read from, for diagnostics.
    package let file: String
    package let line: Int
    /// `match.method` (default POST).
    package let method: String
    /// The path of `match.endpoint`.
    package let path: String
    /// The identifying query parameters of `match.endpoint` (`alt=sse`), sorted.
    package let query: [QueryItem]
    /// `match.request`: the body as written (nil: any body matches). Made identifying (ignored
    /// keys dropped, normalisers applied) when the script is assembled, with its `settings.record`.
    package let request: JSONValue?
    /// `match.headers`: each named header present and matching (`x-mockllm-test`).
    package let headers: [(name: String, match: TextMatch)]
    package let reply: RecordedReply
    /// `pacing:`: the pacing of `--replay-timing script` for this fixture.
    package let pacing: PacingSpec?

    package init(name: String, file: String, line: Int, method: String = "POST", path: String, query: [QueryItem] = [],
                 request: JSONValue?, headers: [(name: String, match: TextMatch)] = [], reply: RecordedReply,
                 pacing: PacingSpec? = nil) {
        self.name = name
        self.file = file
        self.line = line
        self.method = method
        self.path = path
        self.query = query.sorted()
        self.request = request
        self.headers = headers
        self.reply = reply
        self.pacing = pacing
    }

    /// `fixture <name>`, as `x-mockllm-rule` shows it.
    package var source: String { "fixture \(name)".headerSafe }

    /// `name` (file:line), for diagnostics.
    package var located: String { "'\(name)' (\(file):\(line))" }

    /// The endpoint as written: the path, then the query if it has one.
    package var endpoint: String { query.isEmpty ? path : path + "?" + query.map(\.description).joined(separator: "&") }
}

/// One `name=value` of a query string, as sent (not percent-decoded).
package struct QueryItem: Sendable, Equatable, Comparable, CustomStringConvertible {
    package var name: String
    package var value: String?

    package init(name: String, value: String?) {
        self.name = name
        self.value = value
    }

    package static func < (a: QueryItem, b: QueryItem) -> Bool {
        a.name != b.name ? a.name < b.name : (a.value ?? "") < (b.value ?? "")
    }

    package var description: String { value.map { "\(name)=\($0)" } ?? name }

    /// The items of a query string (without the `?`).
    package static func parse(_ query: String?) -> [QueryItem] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&", omittingEmptySubsequences: true).map { part in
            if let eq = part.firstIndex(of: "=") {
                return QueryItem(name: String(part[..<eq]), value: String(part[part.index(after: eq)...]))
            }
            return QueryItem(name: String(part), value: nil)
        }
    }
}

/// What a fixture answers: the recorded status, headers and body, byte for byte.
package struct RecordedReply: Sendable, Equatable {
    package enum Body: Sendable, Equatable {
        /// A complete body; `atMs`: when it arrived after the request was sent, if recorded.
        case bytes([UInt8], atMs: Double?)
        /// A stream: each event's bytes and when it arrived (ms after the request was sent).
        case events([RecordedEvent])
    }

    package var status: Int
    /// The recorded response headers, lower-case names, framing ones excluded.
    package var headers: HTTPFields
    package var body: Body

    package init(status: Int, headers: HTTPFields, body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// One event of a recorded stream: a server-sent event, an NDJSON line, a raw chunk, or a
/// message of an AWS event stream (Bedrock's).
package struct RecordedEvent: Sendable, Equatable {
    /// Milliseconds after the request was sent.
    package let atMs: Double
    /// The event's bytes as sent; of an event stream message, its payload.
    package let data: [UInt8]
    /// An event stream message's string headers in order (`:event-type`, `:content-type`,
    /// `:message-type`): replayed as one message of these headers and `data`, framed with fresh
    /// checksums. nil: `data` goes out as it is.
    package let eventStreamHeaders: [EventStreamHeader]?
    /// The event stream message, framed once when the fixture is read: a replay that keeps the
    /// recorded ids sends these bytes as an SSE replay sends `data`.
    private let framed: [UInt8]?

    package init(atMs: Double, data: [UInt8], eventStreamHeaders: [EventStreamHeader]? = nil) {
        self.atMs = atMs
        self.data = data
        self.eventStreamHeaders = eventStreamHeaders
        framed = eventStreamHeaders.map { Self.frame($0, data) }
    }

    /// The event's bytes on the wire: `data`, or the event stream message of `data` (`payload`
    /// when given: the ids of `--replay-ids regenerate` rewritten in it).
    package func wireBytes(payload: [UInt8]? = nil) -> [UInt8] {
        guard let headers = eventStreamHeaders else { return payload ?? data }
        guard let payload else { return framed ?? Self.frame(headers, data) }
        return Self.frame(headers, payload)
    }

    private static func frame(_ headers: [EventStreamHeader], _ payload: [UInt8]) -> [UInt8] {
        var encoded = ByteBuffer(capacity: 96)
        for header in headers { EventStream.appendHeader(header, to: &encoded) }
        var out = ByteBuffer(capacity: payload.count + encoded.count + 16)
        EventStream.appendMessage(headers: encoded, into: &out) { $0.append(contentsOf: payload) }
        return out.bytes
    }

    /// `event: NAME` (`:message-type` event) or `exception: NAME` (`:message-type` exception),
    /// with `:content-type` application/json: how a fixture writes a Bedrock message in short.
    package enum EventStreamKind: String, Sendable, CaseIterable {
        case event, exception

        /// The message's headers, as Bedrock sends them.
        package func headers(_ name: String) -> [EventStreamHeader] {
            [EventStreamHeader(name: ":\(rawValue)-type", value: .string(name)),
             EventStreamHeader(name: ":content-type", value: .string("application/json")),
             EventStreamHeader(name: ":message-type", value: .string(rawValue))]
        }

        /// The kind and name that `headers` are in short, if they are exactly one's (in any order).
        package static func short(_ headers: [EventStreamHeader]) -> (kind: EventStreamKind, name: String)? {
            for kind in allCases {
                guard case .string(let name)? = headers.first(where: { $0.name == ":\(kind.rawValue)-type" })?.value else { continue }
                let expected = kind.headers(name)
                if headers.count == expected.count, expected.allSatisfy(headers.contains) { return (kind, name) }
            }
            return nil
        }
    }
}

/// `settings.record`: what identifies a request, what is volatile, what is secret.
package struct RecordSettings: Sendable {
    /// Body paths left out of the identifying request (`temperature`, `generationConfig.seed`).
    package var ignore: [[String]]
    /// Regex replacements applied to every string of the request before matching and recording.
    package var normalizers: [Normalizer]
    /// Header names, query parameters and JSON field names masked when recorded and journaled,
    /// beside the built-in ones (`Redaction.builtInHeaders`), lower case.
    package var redact: Set<String>

    package init(ignore: [[String]] = RecordSettings.defaultIgnore, normalizers: [Normalizer] = [], redact: Set<String> = []) {
        self.ignore = ignore
        self.normalizers = normalizers
        self.redact = redact
    }

    /// Sampling and accounting knobs of every protocol: they change how a model samples or what
    /// a bill says, not which conversation is asked about. `stream` is not among them: a stream
    /// recording replays only as a stream.
    package static let defaultIgnore: [[String]] = [
        // OpenAI chat, completions, Responses, embeddings
        "stream_options", "user", "metadata", "temperature", "top_p", "max_tokens", "max_completion_tokens", "max_output_tokens",
        "seed", "presence_penalty", "frequency_penalty", "logit_bias", "store", "service_tier", "safety_identifier",
        "prompt_cache_key", "truncation",
        // Anthropic (metadata, temperature, top_p, max_tokens above)
        "top_k",
        // Gemini
        "generationConfig.temperature", "generationConfig.topP", "generationConfig.topK", "generationConfig.maxOutputTokens",
        "generationConfig.seed", "generationConfig.presencePenalty", "generationConfig.frequencyPenalty",
        // Ollama
        "options", "keep_alive",
        // Bedrock Converse (InvokeModel's bodies are the families' own: Anthropic's above)
        "inferenceConfig.temperature", "inferenceConfig.topP", "inferenceConfig.maxTokens",
    ].map { $0.split(separator: ".").map(String.init) }

    package static let `default` = RecordSettings()
}

/// `settings.record.normalize[i]`: `regex` replaced by `replace` in every string (`$1` names a group).
package struct Normalizer: Sendable {
    package let pattern: String
    package let replacement: String
    private let regex: NSRegularExpression

    package init(regex pattern: String, replacement: String) throws(TextMatchError) {
        self.pattern = pattern
        self.replacement = replacement
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw TextMatchError(reason: "invalid regular expression '\(pattern)'")
        }
    }

    package func apply(_ text: String) -> String {
        regex.stringByReplacingMatches(in: text, range: NSRange(text.startIndex..., in: text), withTemplate: replacement)
    }
}
