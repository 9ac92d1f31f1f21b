import MockLLMCore
import MockLLMScript

/// The body of `GET /_mockllm/requests`:
/// `{"requests":[entry, ...oldest first],"total":N,"dropped":M}`, each entry
///
/// ```
/// {"seq":7,"time":"2026-11-25T12:21:15.123Z","method":"POST","path":"/v1/chat/completions","test":null,
///  "provider":"openai","model":"gpt-4o-mini","headers":{"user-agent":"OpenAI/Python 1.0",...},
///  "api_key":true,"body":{...},"body_bytes":95,"body_truncated":false,"rule":"rule flaky",
///  "fault":null,"status":429,"stream":false,"state":"complete","first_byte_ms":0.012,"first_token_ms":null,"duration_ms":0.012,
///  "events":0,"aborted":false,"reply_body":{"error":{...}}}
/// ```
///
/// `api_key` says only whether a key was sent; `body` is the JSON itself when the body is JSON,
/// else the text (null when empty); timings are milliseconds, null while the reply is in progress
/// (`"state":"in_progress"`). `reply_body` is the reply's body as JSON (or text) when it went out
/// whole, null for a stream or a deferred reply (an engine's, a proxied one). Secrets are masked as in fixtures (`Redaction`, with the script's
/// `settings.record.redact`): no credential header is shown, and the values of secret JSON fields
/// in a body are `[REDACTED]`.
enum JournalReport {
    static func json(_ entries: [JournalEntry], total: Int, dropped: Int, redact: RecordSettings = .default) -> ByteBuffer {
        var out = ByteBuffer(capacity: 256 + entries.count * 768)
        out.append(ascii: "{\"requests\":[")
        for (i, entry) in entries.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            append(entry, to: &out, redact: redact)
        }
        out.append(ascii: "],\"total\":")
        out.append(decimal: total)
        out.append(ascii: ",\"dropped\":")
        out.append(decimal: dropped)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func append(_ entry: JournalEntry, to out: inout ByteBuffer, redact: RecordSettings = .default) {
        let document = entry.bodyTruncated || entry.body.isEmpty ? nil : try? JSONDocument.parse(entry.body)
        out.append(ascii: "{\"seq\":")
        out.append(decimal: entry.sequence)
        out.append(ascii: ",\"time\":")
        out.append(jsonString: RFC3339.format(unixMilliseconds: entry.unixMilliseconds))
        out.append(ascii: ",\"method\":")
        out.append(jsonString: entry.method)
        out.append(ascii: ",\"path\":")
        out.append(jsonString: entry.path)
        out.append(ascii: ",\"test\":")
        out.append(jsonStringOrNull: entry.test)
        out.append(ascii: ",\"provider\":")
        out.append(jsonStringOrNull: entry.provider)
        out.append(ascii: ",\"model\":")
        out.append(jsonStringOrNull: entry.pathModel ?? document.flatMap { document in withExtendedLifetime(document) { document.root["model"]?.string } })
        out.append(ascii: ",\"headers\":{")
        for (i, header) in entry.shownHeaders.filter({ !Redaction.isSecretHeader($0.name, redact) }).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(jsonString: header.name)
            out.append(UInt8(ascii: ":"))
            out.append(jsonString: header.value)
        }
        out.append(ascii: "},\"api_key\":")
        out.append(jsonBool: entry.carriesKey)
        out.append(ascii: ",\"body\":")
        if let document, case let value = withExtendedLifetime(document, { document.root.materialize() }),
           case let masked = Redaction.masked(value, redact), masked != value {
            out.append(json: masked)
        } else if document != nil {
            // The parser is strict (valid UTF-8, no lone surrogates), so the bytes it accepted are
            // valid JSON to embed as they came, numbers exactly as sent.
            out.append(contentsOf: entry.body)
        } else if entry.body.isEmpty {
            out.append(ascii: "null")
        } else {
            out.append(jsonString: String(decoding: entry.body, as: UTF8.self))
        }
        out.append(ascii: ",\"body_bytes\":")
        out.append(decimal: entry.bodySize)
        out.append(ascii: ",\"body_truncated\":")
        out.append(jsonBool: entry.bodyTruncated)
        out.append(ascii: ",\"rule\":")
        out.append(jsonStringOrNull: entry.rule)
        out.append(ascii: ",\"fault\":")
        out.append(jsonStringOrNull: entry.fault)
        // A deferred reply (an engine's, a proxied one) is journaled before its status is known:
        // the status and kind that went out are the outcome's.
        out.append(ascii: ",\"status\":")
        out.append(decimal: entry.outcome?.status ?? entry.status)
        out.append(ascii: ",\"stream\":")
        out.append(jsonBool: entry.stream || entry.outcome?.stream == true)
        if let outcome = entry.outcome {
            out.append(ascii: ",\"state\":\"complete\",\"first_byte_ms\":")
            if let first = outcome.firstByteNanoseconds { appendMilliseconds(first, to: &out) } else { out.append(ascii: "null") }
            out.append(ascii: ",\"first_token_ms\":")
            if let token = outcome.firstPayloadNanoseconds { appendMilliseconds(token, to: &out) } else { out.append(ascii: "null") }
            out.append(ascii: ",\"duration_ms\":")
            appendMilliseconds(outcome.durationNanoseconds, to: &out)
            out.append(ascii: ",\"events\":")
            out.append(decimal: outcome.events)
            out.append(ascii: ",\"aborted\":")
            out.append(jsonBool: outcome.aborted)
        } else {
            out.append(ascii: ",\"state\":\"in_progress\",\"first_byte_ms\":null,\"first_token_ms\":null,\"duration_ms\":null,\"events\":null,\"aborted\":null")
        }
        out.append(ascii: ",\"reply_body\":")
        if let reply = entry.replyBody, !reply.isEmpty {
            appendJSONOrText(reply.bytes, to: &out)
        } else {
            out.append(ascii: "null")
        }
        out.append(ascii: ",\"websocket\":")
        if let transcript = entry.webSocket { append(transcript.snapshot, to: &out) } else { out.append(ascii: "null") }
        out.append(UInt8(ascii: "}"))
    }

    /// A WebSocket session's transcript: `{"messages":[{"ms":0.120,"dir":"in","type":"text",
    /// "bytes":42,"data":{...}},...],"messages_in":N,"messages_out":M,"listed":K,
    /// "server_close":{"code":1000,"reason":"..."}|null,"close_code":1000|null}`. A text
    /// message's data is its JSON when it is JSON, else its text; a binary message's is null,
    /// as is any message's past the transcript's byte budget.
    static func append(_ transcript: WebSocketTranscript.State, to out: inout ByteBuffer) {
        out.append(ascii: "{\"messages\":[")
        for (i, event) in transcript.events.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"ms\":")
            appendMilliseconds(event.offset, to: &out)
            out.append(ascii: ",\"dir\":")
            out.append(jsonString: event.direction.rawValue)
            out.append(ascii: event.binary ? ",\"type\":\"binary\",\"bytes\":" : ",\"type\":\"text\",\"bytes\":")
            out.append(decimal: event.size)
            out.append(ascii: ",\"data\":")
            if let data = event.data, !event.binary {
                appendJSONOrText(data.bytes, to: &out)
            } else {
                out.append(ascii: "null")
            }
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "],\"messages_in\":")
        out.append(decimal: transcript.received)
        out.append(ascii: ",\"messages_out\":")
        out.append(decimal: transcript.sent)
        out.append(ascii: ",\"listed\":")
        out.append(decimal: transcript.events.count)
        out.append(ascii: ",\"server_close\":")
        if let close = transcript.serverClose {
            out.append(ascii: "{\"code\":")
            out.append(decimal: Int(close.code))
            out.append(ascii: ",\"reason\":")
            out.append(jsonString: close.reason)
            out.append(UInt8(ascii: "}"))
        } else {
            out.append(ascii: "null")
        }
        out.append(ascii: ",\"close_code\":")
        if let code = transcript.closeCode { out.append(decimal: Int(code)) } else { out.append(ascii: "null") }
        out.append(UInt8(ascii: "}"))
    }

    /// `bytes` as JSON when they are JSON (as the strict parser accepted them, numbers exactly as
    /// sent), else as a JSON string of their text.
    static func appendJSONOrText(_ bytes: [UInt8], to out: inout ByteBuffer) {
        if (try? JSONDocument.parse(bytes)) != nil {
            out.append(contentsOf: bytes)
        } else {
            out.append(jsonString: String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Nanoseconds as milliseconds with three decimals (`12.345`).
    static func appendMilliseconds(_ nanoseconds: UInt64, to out: inout ByteBuffer) {
        let micros = nanoseconds / 1000
        out.append(decimal: micros / 1000)
        out.append(UInt8(ascii: "."))
        let fraction = Int(micros % 1000)
        if fraction < 100 { out.append(UInt8(ascii: "0")) }
        if fraction < 10 { out.append(UInt8(ascii: "0")) }
        out.append(decimal: fraction)
    }

    static func appendBool(_ value: Bool, to out: inout ByteBuffer) {
        if value { out.append(ascii: "true") } else { out.append(ascii: "false") }
    }
}

extension RFC3339 {
    /// `2026-11-25T12:21:15.123Z`: RFC 3339 with milliseconds, in UTC.
    static func format(unixMilliseconds: Int) -> String {
        let seconds = unixMilliseconds >= 0 ? unixMilliseconds / 1000 : (unixMilliseconds - 999) / 1000
        let millis = unixMilliseconds - seconds * 1000
        var text = format(unixSeconds: seconds)
        text.removeLast()  // the "Z"
        let digits = String(millis)
        return text + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }
}
