import MockLLMCore

/// One exchange with the real API, as the recording proxy saw it.
package struct RecordedExchange: Sendable {
    package var method: String
    /// The request-target: path, then `?query` if any.
    package var target: String
    package var requestHeaders: HTTPFields
    package var requestBody: [UInt8]
    package var status: Int
    package var responseHeaders: HTTPFields
    /// The body, or the stream's events (`FixtureWriter.events(from:contentType:)` cuts them).
    package var response: RecordedReply.Body

    package init(method: String, target: String, requestHeaders: HTTPFields, requestBody: [UInt8], status: Int,
                 responseHeaders: HTTPFields, response: RecordedReply.Body) {
        self.method = method
        self.target = target
        self.requestHeaders = requestHeaders
        self.requestBody = requestBody
        self.status = status
        self.responseHeaders = responseHeaders
        self.response = response
    }

    /// The exchange of a request as the server parsed it (the recording proxy's view).
    package init(request: HTTPRequest, status: Int, responseHeaders: HTTPFields, response: RecordedReply.Body) {
        self.init(method: request.method, target: request.target, requestHeaders: HTTPFields(request.headers.fields),
                  requestBody: request.body, status: status, responseHeaders: responseHeaders, response: response)
    }

    /// The client's test id (`x-mockllm-test`), which names the fixture file.
    package var testID: String? { requestHeaders[FixtureWriter.testHeader] }
}

/// Writes recorded exchanges as the script's own YAML: one rule per exchange, whose `match:`
/// identifies the request and whose `recorded:` reply is the answer's exact bytes. Pure: the
/// file I/O is the server's (`FixtureStore`).
package enum FixtureWriter {
    /// The request header that names a test: its exchanges go to `DIR/<id>.yml`.
    package static let testHeader = "x-mockllm-test"
    /// The file of exchanges without a test id.
    package static let defaultFile = "recorded"

    /// Response headers the server writes itself, or that describe one connection: not recorded.
    package static let unrecordedResponseHeaders: Set<String> = [
        "content-length", "transfer-encoding", "connection", "keep-alive", "date", "server", "proxy-connection", "upgrade",
        "te", "trailer", "alt-svc", "via", "x-mockllm-rule", "x-mockllm-miss", "strict-transport-security", "cf-ray",
        "cf-cache-status", "report-to", "nel",
    ]

    /// The text of a new fixture file, before its first rule.
    package static let fileHeader = """
        # Recorded by mockllm (docs/RECORD-REPLAY.md). Each rule is one exchange with the real API:
        # edit freely, keep 'rules:' the last key so recording can append.
        rules:

        """

    /// The file name for a test id: letters, digits, `-`, `_` and `.` kept, anything else `_`.
    package static func fileName(testID: String?) -> String {
        guard let testID, !testID.isEmpty else { return defaultFile + ".yml" }
        var name = String(testID.unicodeScalars.map { scalar -> Character in
            let ok = scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "-_.".unicodeScalars.contains(scalar))
            return ok ? Character(scalar) : "_"
        })
        while name.hasPrefix(".") { name.removeFirst() }
        if name.isEmpty { name = defaultFile }
        return String(name.prefix(200)) + ".yml"
    }

    /// The YAML of one rule (a list item under `rules:`) for `exchange`, named `name`.
    package static func rule(for exchange: RecordedExchange, name: String, settings: RecordSettings = .default) -> String {
        var out = YAMLText()
        out.line(0, "- name: " + YAMLText.scalar(name))
        out.line(1, "match:")
        let (path, query) = split(exchange.target)
        let items = FixtureSet.identifyingQuery(QueryItem.parse(query), settings)
        let endpoint = items.isEmpty ? path : path + "?" + items.map(\.description).joined(separator: "&")
        if exchange.method != "POST" { out.line(2, "method: " + YAMLText.scalar(exchange.method)) }
        out.line(2, "endpoint: " + YAMLText.scalar(endpoint))
        if let test = exchange.testID { out.line(2, "headers: {\(testHeader): \(YAMLText.scalar(test))}") }
        if !exchange.requestBody.isEmpty {
            if let document = try? JSONDocument.parse(exchange.requestBody) {
                let body = withExtendedLifetime(document) { document.root.materialize() }
                out.value(2, key: "request", FixtureSet.identifying(body, settings))
            }
        }
        out.line(1, "recorded:")
        out.line(2, "status: \(exchange.status)")
        let headers = recordedHeaders(exchange.responseHeaders, settings)
        if !headers.isEmpty {
            out.line(2, "headers:")
            for field in headers { out.line(3, YAMLText.key(field.name) + ": " + YAMLText.scalar(field.value)) }
        }
        switch exchange.response {
        case .bytes(let bytes, let atMs):
            if let atMs { out.line(2, "at_ms: " + milliseconds(atMs)) }
            out.text(2, key: "body", bytes)
        case .events(let events):
            if events.isEmpty { out.line(2, "events: []") } else { out.line(2, "events:") }
            for event in events {
                out.line(3, "- at_ms: " + milliseconds(event.atMs))
                if let headers = event.eventStreamHeaders {
                    if let short = RecordedEvent.EventStreamKind.short(headers) {
                        out.line(4, short.kind.rawValue + ": " + YAMLText.scalar(short.name))
                    } else if headers.isEmpty {
                        out.line(4, "headers: {}")
                    } else {
                        out.line(4, "headers:")
                        for header in headers {
                            guard case .string(let value) = header.value else { continue }
                            out.line(5, YAMLText.key(header.name) + ": " + YAMLText.scalar(value))
                        }
                    }
                }
                out.text(4, key: "data", event.data)
            }
        }
        return out.text
    }

    /// The response headers worth replaying: lower-case names, framing, hop-by-hop and secret ones dropped.
    package static func recordedHeaders(_ headers: HTTPFields, _ settings: RecordSettings = .default) -> HTTPFields {
        var kept = HTTPFields()
        for field in headers {
            let name = field.name.lowercased()
            if unrecordedResponseHeaders.contains(name) || Redaction.isSecretHeader(name, settings) { continue }
            kept.append(name: name, value: field.value)
        }
        return kept
    }

    /// AWS's event stream (Bedrock's streams).
    package static let eventStreamType = "application/vnd.amazon.eventstream"

    /// A stream's bytes as received (each piece with its arrival, ms after the request) cut into
    /// events: server-sent events at their blank line, NDJSON at each line, an AWS event stream's
    /// messages (their string headers and payload, checked and decoded: replayed framed afresh),
    /// anything else (Gemini's streamed JSON array) as the pieces arrived. An event arrives with
    /// the piece that completes it.
    package static func events(from pieces: [(atMs: Double, bytes: [UInt8])], contentType: String) -> [RecordedEvent] {
        let type = contentType.lowercased()
        let separator: [UInt8]
        if type.hasPrefix(eventStreamType), let messages = eventStreamMessages(pieces) {
            return messages
        }
        if type.hasPrefix("text/event-stream") {
            separator = Array("\n\n".utf8)
        } else if type.contains("ndjson") || type.contains("jsonl") {
            separator = [UInt8(ascii: "\n")]
        } else {
            return pieces.filter { !$0.bytes.isEmpty }.map { RecordedEvent(atMs: $0.atMs, data: $0.bytes) }
        }
        var events: [RecordedEvent] = []
        var pending: [UInt8] = []
        var last = 0.0
        for piece in pieces {
            last = piece.atMs
            pending += piece.bytes
            while let end = firstEnd(of: separator, in: pending) {
                events.append(RecordedEvent(atMs: piece.atMs, data: Array(pending[..<end])))
                pending.removeFirst(end)
            }
        }
        if !pending.isEmpty { events.append(RecordedEvent(atMs: last, data: pending)) }
        return events
    }

    /// The messages of an event stream, each with the arrival of the piece that completed it;
    /// nil if the bytes are not a whole event stream (a bad checksum, a message cut off, a header
    /// that is not a string): then the pieces are recorded as they came.
    static func eventStreamMessages(_ pieces: [(atMs: Double, bytes: [UInt8])]) -> [RecordedEvent]? {
        var decoder = EventStreamDecoder()
        var events: [RecordedEvent] = []
        var allStrings = true
        for piece in pieces {
            let failure = piece.bytes.withUnsafeBytes { bytes in
                decoder.feed(bytes) { frame in
                    let headers = frame.headers
                    if !headers.allSatisfy({ if case .string = $0.value { true } else { false } }) { allStrings = false }
                    events.append(RecordedEvent(atMs: piece.atMs, data: Array(frame.payload), eventStreamHeaders: headers))
                }
            }
            if failure != nil || !allStrings { return nil }
        }
        return decoder.hasPartialMessage ? nil : events
    }

    /// The index just past the first separator (`\r\n\r\n` counts as a blank line too).
    private static func firstEnd(of separator: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= separator.count else { return nil }
        var i = 0
        while i + separator.count <= bytes.count {
            if separator.count == 2, i + 4 <= bytes.count, bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 {
                return i + 4
            }
            if bytes[i..<(i + separator.count)].elementsEqual(separator) { return i + separator.count }
            i += 1
        }
        return nil
    }

    static func split(_ target: String) -> (path: String, query: String?) {
        guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }

    /// Milliseconds to a tenth, without a trailing `.0`.
    static func milliseconds(_ ms: Double) -> String {
        let tenths = (max(0, ms) * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
    }
}

/// YAML written by hand: deterministic, block style, strings quoted whenever a plain scalar
/// could be read as anything else, multi-line text as literal blocks, bytes that are not text as
/// a list of byte values.
struct YAMLText {
    private(set) var text = ""

    mutating func line(_ indent: Int, _ content: String) {
        text += String(repeating: "  ", count: indent) + content + "\n"
    }

    /// `key: value` for a JSON value, nested in block style.
    mutating func value(_ indent: Int, key: String, _ value: JSONValue) {
        let prefix = YAMLText.key(key) + ":"
        switch value {
        case .object(let object) where !object.members.isEmpty:
            line(indent, prefix)
            for member in object.members { self.value(indent + 1, key: member.key, member.value) }
        case .array(let items) where !items.isEmpty:
            line(indent, prefix)
            for item in items { element(indent + 1, item) }
        case .string(let s) where YAMLText.literalSafe(s):
            literal(indent, prefix, s)
        default:
            line(indent, prefix + " " + YAMLText.flow(value))
        }
    }

    /// `- value` for a list item.
    private mutating func element(_ indent: Int, _ value: JSONValue) {
        switch value {
        case .object(let object) where !object.members.isEmpty:
            let pad = String(repeating: "  ", count: indent)
            var first = YAMLText()
            first.value(indent + 1, key: object.members[0].key, object.members[0].value)
            // The first member on the dash's line: replace its indentation by "- ".
            text += pad + "- " + first.text.dropFirst(pad.count + 2)
            for member in object.members.dropFirst() { self.value(indent + 1, key: member.key, member.value) }
        case .array(let items) where !items.isEmpty:
            line(indent, "-")
            for item in items { element(indent + 1, item) }
        case .string(let s) where YAMLText.literalSafe(s):
            literal(indent, "-", s)
        default:
            line(indent, "- " + YAMLText.flow(value))
        }
    }

    /// `key: <bytes>`: a literal block or a quoted string when the bytes are UTF-8 text, else `{base64: ...}`.
    mutating func text(_ indent: Int, key: String, _ bytes: [UInt8]) {
        // U+FEFF: YAML readers drop it even escaped.
        guard let s = String(validating: bytes, as: UTF8.self), !s.unicodeScalars.contains("\u{FEFF}") else {
            line(indent, key + ": {base64: " + YAMLText.scalar(Base64.encode(bytes)) + "}")
            return
        }
        if YAMLText.literalSafe(s) { literal(indent, key + ":", s) } else { line(indent, key + ": " + YAMLText.quoted(s)) }
    }

    /// A literal block scalar that reads back as exactly `s`: chomping keeps the trailing line
    /// breaks (text starting with a space or a line break is quoted instead).
    private mutating func literal(_ indent: Int, _ prefix: String, _ s: String) {
        var trailing = 0
        for c in s.unicodeScalars.reversed() { if c == "\n" { trailing += 1 } else { break } }
        let chomp = trailing == 0 ? "-" : trailing == 1 ? "" : "+"
        let body = trailing == 0 ? Substring(s) : s.dropLast(trailing)
        line(indent, prefix + " |" + chomp)
        let pad = String(repeating: "  ", count: indent + 1)
        for l in body.split(separator: "\n", omittingEmptySubsequences: false) { text += (l.isEmpty ? "" : pad + l) + "\n" }
        if trailing > 1 { text += String(repeating: "\n", count: trailing - 1) }
    }

    /// Whether `s` can be a literal block: several lines, only printable characters and tabs.
    static func literalSafe(_ s: String) -> Bool {
        guard s.contains("\n"), s.unicodeScalars.contains(where: { $0 != "\n" }) else { return false }
        if s.first == "\n" || s.first == " " { return false }
        return s.unicodeScalars.allSatisfy { $0 == "\n" || (printable($0) && $0 != "\t") } && !s.contains(" \n") && !s.hasSuffix(" ")
    }

    static func printable(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09, 0x20...0x7E: true
        case 0xA0...0xD7FF: c.value != 0x2028 && c.value != 0x2029
        case 0xE000...0xFFFD: c.value != 0xFEFF
        case 0x10000...0x10FFFF: true
        default: false
        }
    }

    static func flow(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number: value.jsonText
        case .string(let s): scalar(s)
        case .array(let items): "[" + items.map(flow).joined(separator: ", ") + "]"
        case .object(let object): "{" + object.members.map { key($0.key) + ": " + flow($0.value) }.joined(separator: ", ") + "}"
        }
    }

    /// A mapping key: plain when it is a plain word, else quoted.
    static func key(_ k: String) -> String { plainSafe(k) ? k : quoted(k) }

    /// A string scalar: plain when it cannot be read as anything else, else quoted.
    static func scalar(_ s: String) -> String { plainSafe(s) ? s : quoted(s) }

    private static let reserved: Set<String> = ["null", "true", "false", "yes", "no", "on", "off", "y", "n", "~"]

    /// Letters, digits and `_-./:` starting with a letter or `_` or `/`, not a YAML keyword or a number.
    static func plainSafe(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, first.isASCII,
              first.properties.isAlphabetic || first == "_" || first == "/" else { return false }
        if reserved.contains(s.lowercased()) { return false }
        if s.hasSuffix(":") { return false }
        return s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-./".unicodeScalars.contains($0)) }
    }

    /// A double-quoted scalar: YAML's escapes for what is not printable, UTF-8 for the rest.
    static func quoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if printable(c) {
                    out.unicodeScalars.append(c)
                } else if c.value <= 0xFF {
                    out += "\\x" + hex(c.value, 2)
                } else if c.value <= 0xFFFF {
                    out += "\\u" + hex(c.value, 4)
                } else {
                    out += "\\U" + hex(c.value, 8)
                }
            }
        }
        return out + "\""
    }

    private static func hex(_ v: UInt32, _ digits: Int) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}

/// Base64 for fixture bodies that are not UTF-8: written as the core writes it, read leniently
/// (line breaks and spaces of a hand-edited file skipped, padding optional).
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out = ByteBuffer()
        bytes.withUnsafeBytes { out.append(base64Of: $0) }
        return String(decoding: out.bytes, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for c in text.utf8 where c != UInt8(ascii: "=") && c != 10 && c != 13 && c != 32 {
            guard let v = alphabet.firstIndex(of: c) else { return nil }
            values.append(UInt8(v))
        }
        var out: [UInt8] = []
        var i = 0
        while i + 1 < values.count {
            let n = UInt32(values[i]) << 18 | UInt32(values[i + 1]) << 12
                | (i + 2 < values.count ? UInt32(values[i + 2]) << 6 : 0) | (i + 3 < values.count ? UInt32(values[i + 3]) : 0)
            out.append(UInt8(n >> 16 & 255))
            if i + 2 < values.count { out.append(UInt8(n >> 8 & 255)) }
            if i + 3 < values.count { out.append(UInt8(n & 255)) }
            i += 4
        }
        return out
    }
}
