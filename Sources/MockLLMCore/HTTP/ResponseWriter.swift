/// How a response body is delimited on the wire.
public enum BodyFraming: Equatable, Sendable {
    /// `content-length: n`, body follows as is.
    case length(Int)
    /// `transfer-encoding: chunked`, body written with `appendChunk` and ended with `appendLastChunk`.
    case chunked
    /// HTTP/1.0 streaming: no length, the body ends when the connection closes.
    case untilClose
}

/// Serialises response heads and chunk framing into a byte buffer.
public enum ResponseWriter {
    /// Appends a status line and header block.
    /// - Parameters:
    ///   - keepAlive: false adds `connection: close`; true on HTTP/1.0 adds `connection: keep-alive`.
    ///   - date: the cached `date` header value.
    public static func appendHead(
        status: Int, headers: HTTPFields, framing: BodyFraming, version: HTTPVersion,
        keepAlive: Bool, date: String, into out: inout ByteBuffer
    ) {
        switch status {
        case 200: out.append(ascii: "HTTP/1.1 200 OK\r\n")  // the hot path skips the reason lookup
        default:
            out.append(ascii: "HTTP/1.1 ")
            out.append(decimal: status)
            out.append(UInt8(ascii: " "))
            out.append(utf8: HTTPStatus.reason(status))
            out.append(ascii: "\r\n")
        }
        for field in headers {
            out.append(utf8: field.name)
            out.append(ascii: ": ")
            out.append(utf8: field.value)
            out.append(ascii: "\r\n")
        }
        switch framing {
        case .length(let n):
            // RFC 9110 8.6: never in a 1xx or 204 response, which have no content by definition;
            // nor in a 304, where it would have to be the length of the 200 it stands for (8.6).
            guard status >= 200 && status != 204 && status != 304 else { break }
            out.append(ascii: "content-length: ")
            out.append(decimal: n)
            out.append(ascii: "\r\n")
        case .chunked:
            out.append(ascii: "transfer-encoding: chunked\r\n")
        case .untilClose:
            break
        }
        out.append(ascii: "date: ")
        out.append(utf8: date)
        out.append(ascii: "\r\n")
        if !keepAlive {
            out.append(ascii: "connection: close\r\n")
        } else if version == .http10 {
            out.append(ascii: "connection: keep-alive\r\n")
        }
        out.append(ascii: "\r\n")
    }

    public static func appendContinue(into out: inout ByteBuffer) {
        out.append(ascii: "HTTP/1.1 100 Continue\r\n\r\n")
    }

    /// Appends `payload` as one chunk. An empty payload is skipped: it would end the body.
    public static func appendChunk(_ payload: ByteBuffer, into out: inout ByteBuffer) {
        guard !payload.isEmpty else { return }
        out.append(hex: payload.count)
        out.append(ascii: "\r\n")
        out.append(payload)
        out.append(ascii: "\r\n")
    }

    public static func appendLastChunk(into out: inout ByteBuffer) {
        out.append(ascii: "0\r\n\r\n")
    }
}
