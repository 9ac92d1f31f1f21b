import MockLLM
import MockLLMCore
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import MockLLMSimulation
import Testing

/// The conformance table: requests the parser must refuse, each with the status it answers.
///
/// Every rule of docs/ARCHITECTURE.md, "Strict HTTP/1.1", appears here at least once, with the RFC section
/// that makes it a rule. Two test targets read it: CoreTests feeds each row to the parser
/// (whole, byte by byte, in random pieces), and EndToEndTests sends each row to a real server
/// over a socket (answered once in the provider's error shape, then the connection closes).
package struct MalformedRequest: Sendable, CustomTestStringConvertible {
    package let name: String
    package let wire: [UInt8]
    package let status: Int

    package init(_ name: String, _ wire: String, _ status: Int) {
        self.init(name, Array(wire.utf8), status)
    }

    package init(_ name: String, _ wire: [UInt8], _ status: Int) {
        self.name = name
        self.wire = wire
        self.status = status
    }

    package var testDescription: String { "\(status) \(name)" }

    /// A complete HTTP/1.1 request with a Host and `fields` (each ending in CRLF).
    package static func request(_ fields: String = "", body: String = "", method: String = "POST", target: String = "/v1/chat/completions") -> String {
        "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n\(fields)\r\n\(body)"
    }

    package static func chunked(_ body: String) -> String {
        request("Transfer-Encoding: chunked\r\n", body: body)
    }

    package static let all: [MalformedRequest] = framing + fieldSyntax + requestLine + host + chunkedBodies + limits + expectations

    /// Message framing: RFC 9112 section 6 (the smuggling rules).
    package static let framing: [MalformedRequest] = [
        // 6.1: a server MAY reject CL with TE; this one always does, and closes (6.3 rule 3).
        .init("Content-Length and Transfer-Encoding", request("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), 400),
        .init("Transfer-Encoding and Content-Length", request("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", body: "0\r\n\r\n"), 400),
        // Framing is judged before size: a 413 would claim the framing was understood.
        .init("Transfer-Encoding with an oversized Content-Length", request("Transfer-Encoding: chunked\r\nContent-Length: 99999999999\r\n", body: "0\r\n\r\n"), 400),
        .init("two Content-Length, oversized first", request("Content-Length: 99999999999\r\nContent-Length: 2\r\n", body: "{}"), 400),
        // RFC 9110 8.6 lets a recipient accept identical duplicates; this parser allows one (docs/ARCHITECTURE.md, "Strict HTTP/1.1").
        .init("two Content-Length, same value", request("Content-Length: 2\r\nContent-Length: 2\r\n", body: "{}"), 400),
        .init("two Content-Length, different values", request("Content-Length: 2\r\nContent-Length: 3\r\n", body: "{}x"), 400),
        .init("Content-Length as a list", request("Content-Length: 2, 2\r\n", body: "{}"), 400),
        // RFC 9110 8.6: Content-Length = 1*DIGIT.
        .init("signed Content-Length (+)", request("Content-Length: +2\r\n", body: "{}"), 400),
        .init("signed Content-Length (-)", request("Content-Length: -1\r\n"), 400),
        .init("empty Content-Length", request("Content-Length: \r\n"), 400),
        .init("hexadecimal Content-Length", request("Content-Length: 0x2\r\n", body: "{}"), 400),
        .init("Content-Length with a letter", request("Content-Length: 2a\r\n", body: "{}"), 400),
        .init("Content-Length with inner space", request("Content-Length: 1 2\r\n", body: "{}"), 400),
        .init("Content-Length in exponent form", request("Content-Length: 1e1\r\n"), 400),
        .init("Content-Length overflowing 64 bits", request("Content-Length: 99999999999999999999999\r\n"), 400),
        .init("Content-Length of 19 digits", request("Content-Length: 0000000000000000002\r\n", body: "{}"), 400),
        // 6.3 rule 4: chunked not the final coding, the length cannot be known: MUST 400.
        .init("Transfer-Encoding gzip", request("Transfer-Encoding: gzip\r\n"), 400),
        .init("Transfer-Encoding identity", request("Transfer-Encoding: identity\r\n"), 400),
        .init("Transfer-Encoding chunked, identity", request("Transfer-Encoding: chunked, identity\r\n", body: "0\r\n\r\n"), 400),
        .init("Transfer-Encoding xchunked", request("Transfer-Encoding: xchunked\r\n", body: "0\r\n\r\n"), 400),
        .init("Transfer-Encoding chunkedx", request("Transfer-Encoding: chunkedx\r\n", body: "0\r\n\r\n"), 400),
        .init("Transfer-Encoding with a parameter", request("Transfer-Encoding: chunked;q=1\r\n", body: "0\r\n\r\n"), 400),
        .init("empty Transfer-Encoding", request("Transfer-Encoding: \r\n", body: "0\r\n\r\n"), 400),
        // 6.1: a sender MUST NOT apply chunked more than once.
        .init("Transfer-Encoding chunked, chunked", request("Transfer-Encoding: chunked, chunked\r\n", body: "0\r\n\r\n"), 400),
        // 6.1: chunked is final, but the coding under it is not implemented: SHOULD 501.
        .init("Transfer-Encoding gzip, chunked", request("Transfer-Encoding: gzip, chunked\r\n", body: "0\r\n\r\n"), 501),
        // Transfer-Encoding only exactly chunked (docs/ARCHITECTURE.md), so at most one field.
        .init("two Transfer-Encoding fields", request("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", body: "0\r\n\r\n"), 400),
        // 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        .init("Transfer-Encoding on HTTP/1.0", "POST /v1/chat/completions HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ]

    /// Field syntax: RFC 9112 sections 2.2 and 5, RFC 9110 section 5.
    package static let fieldSyntax: [MalformedRequest] = [
        // 5.2: obs-fold is rejected (a server MUST reject it or replace it; this one rejects).
        .init("obs-fold with a space", request("X-A: a\r\n b\r\n"), 400),
        .init("obs-fold with a tab", request("X-A: a\r\n\tb\r\n"), 400),
        // 2.2: whitespace between the start line and the first field MUST be rejected or skipped.
        .init("whitespace before the first field", "GET / HTTP/1.1\r\n Host: localhost\r\n\r\n", 400),
        // 2.2: bare LF is not a line terminator here (CRLF only).
        .init("bare LF ending the request line", "GET / HTTP/1.1\nHost: localhost\r\n\r\n", 400),
        .init("bare LF ending a field", "GET / HTTP/1.1\r\nHost: localhost\n\r\n", 400),
        .init("bare LF ending the head", "GET / HTTP/1.1\r\nHost: localhost\r\n\n", 400),
        .init("bare LF before the request line", "\nGET / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("bare LF inside a field value", request("X-A: a\nb\r\n"), 400),
        // 2.2: a bare CR MUST be rejected or replaced by SP.
        .init("bare CR inside a field value", request("X-A: a\rb\r\n"), 400),
        .init("bare CR ending a field", request("X-A: a\r\r\n"), 400),
        .init("bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("bare CR after the version", "GET / HTTP/1.1\rX\r\nHost: localhost\r\n\r\n", 400),
        .init("bare CR as the blank line", "GET / HTTP/1.1\r\nHost: localhost\r\n\rX\r\n\r\n", 400),
        // RFC 9110 5.5: a field value with NUL or another CTL is invalid.
        .init("NUL in a field value", request("X-A: a\u{0}b\r\n"), 400),
        .init("SOH in a field value", request("X-A: a\u{1}b\r\n"), 400),
        .init("ESC in a field value", request("X-A: \u{1B}[31m\r\n"), 400),
        .init("vertical tab in a field value", request("X-A: a\u{0B}b\r\n"), 400),
        .init("form feed in a field value", request("X-A: a\u{0C}b\r\n"), 400),
        .init("DEL in a field value", request("X-A: a\u{7F}b\r\n"), 400),
        // RFC 9110 5.1: a field name is a token.
        .init("NUL in a field name", request("X-\u{0}A: b\r\n"), 400),
        .init("CTL in a field name", request("X-\u{1}A: b\r\n"), 400),
        .init("tab in a field name", request("X\tA: b\r\n"), 400),
        .init("separator in a field name", request("X(A): b\r\n"), 400),
        .init("slash in a field name", request("X/A: b\r\n"), 400),
        .init("non-ASCII in a field name", request("X-Ä: b\r\n"), 400),
        .init("empty field name", request(": b\r\n"), 400),
        .init("field without a colon", request("X-A b\r\n"), 400),
        // 5.1: no whitespace between the field name and the colon; MUST 400.
        .init("space before the colon", request("X-A : b\r\n"), 400),
        .init("tab before the colon", request("X-A\t: b\r\n"), 400),
        .init("space before the colon of Content-Length", request("Content-Length : 2\r\n", body: "{}"), 400),
        .init("space before the colon of Transfer-Encoding", request("Transfer-Encoding : chunked\r\n", body: "0\r\n\r\n"), 400),
    ]

    /// The request line: RFC 9112 section 3, versions: RFC 9112 2.3 and RFC 9110 2.5.
    package static let requestLine: [MalformedRequest] = [
        .init("separator in the method", "GE(T / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("at sign in the method", "G@T / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("NUL in the method", "GE\u{0}T / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("empty method", " / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("tab between method and target", "GET\t/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("two spaces between method and target", "GET  / HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("space after the version", "GET / HTTP/1.1 \r\nHost: localhost\r\n\r\n", 400),
        .init("no version (HTTP/0.9 style)", "GET /\r\n\r\n", 400),
        .init("request line only a method", "GET\r\n\r\n", 400),
        // 2.3: HTTP-name is case-sensitive.
        .init("lower-case http/1.1", "GET / http/1.1\r\nHost: localhost\r\n\r\n", 400),
        // 2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT.
        .init("version HTTP/1", "GET / HTTP/1\r\nHost: localhost\r\n\r\n", 400),
        .init("version HTTP/1.", "GET / HTTP/1.\r\nHost: localhost\r\n\r\n", 400),
        .init("version HTTP/11.1", "GET / HTTP/11.1\r\nHost: localhost\r\n\r\n", 400),
        .init("version HTTP/1.10", "GET / HTTP/1.10\r\nHost: localhost\r\n\r\n", 400),
        .init("version HTTP/1.x", "GET / HTTP/1.x\r\nHost: localhost\r\n\r\n", 400),
        .init("version HTTPS/1.1", "GET / HTTPS/1.1\r\nHost: localhost\r\n\r\n", 400),
        // Well-formed but not served (1.0 and 1.1, else 505; RFC 9110 15.6.6).
        .init("version HTTP/2.0", "GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505),
        .init("version HTTP/3.0", "GET / HTTP/3.0\r\nHost: localhost\r\n\r\n", 505),
        .init("version HTTP/0.9", "GET / HTTP/0.9\r\nHost: localhost\r\n\r\n", 505),
        // RFC 9110 2.5 says a recipient SHOULD treat an unknown higher minor version as the
        // highest it implements; no HTTP/1.2 exists, so a client sending it is broken or
        // probing, and "1.0 and 1.1, else 505" is kept (a SHOULD, not a MUST). 505
        // rather than 400 because the syntax is valid and only the version is refused.
        .init("version HTTP/1.2", "GET / HTTP/1.2\r\nHost: localhost\r\n\r\n", 505),
        .init("version HTTP/1.9", "GET / HTTP/1.9\r\nHost: localhost\r\n\r\n", 505),
        // 3.2: origin-form starts with "/", absolute-form with a scheme; asterisk-form is OPTIONS only.
        .init("target without a leading slash", "GET v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("space inside the target", "GET /a b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("tab inside the target", "GET /a\tb HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("NUL inside the target", "GET /a\u{0}b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("CTL inside the target", "GET /a\u{1}b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("DEL inside the target", "GET /a\u{7F}b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("non-ASCII inside the target", "GET /caf\u{E9} HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("asterisk-form with GET", "GET * HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("authority-form", "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 400),
        .init("scheme without authority", "GET http:// HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
        .init("unsupported scheme", "GET ftp://example.com/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 400),
    ]

    /// RFC 9112 3.2: MUST 400 for a 1.1 request without Host, for more than one Host (any
    /// version), and for a Host with an invalid value.
    package static let host: [MalformedRequest] = [
        .init("no Host on HTTP/1.1", "GET /health HTTP/1.1\r\n\r\n", 400),
        .init("two Host on HTTP/1.1", "GET /health HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400),
        .init("two Host on HTTP/1.0", "GET /health HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        .init("Host with a space", "GET /health HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        .init("Host with a slash", "GET /health HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        .init("Host with userinfo", "GET /health HTTP/1.1\r\nHost: user@a\r\n\r\n", 400),
        .init("Host with a query", "GET /health HTTP/1.1\r\nHost: a?b\r\n\r\n", 400),
        .init("Host with non-ASCII", "GET /health HTTP/1.1\r\nHost: caf\u{E9}\r\n\r\n", 400),
    ]

    /// The chunked coding: RFC 9112 section 7.1.
    package static let chunkedBodies: [MalformedRequest] = [
        .init("chunk size of 17 hex digits", chunked("00000000000000005\r\nhello\r\n0\r\n\r\n"), 400),
        .init("chunk size overflowing to negative", chunked("FFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n"), 400),
        .init("chunk size 2^63", chunked("8000000000000000\r\nhello\r\n0\r\n\r\n"), 400),
        .init("non-hex chunk size", chunked("g\r\nhello\r\n0\r\n\r\n"), 400),
        .init("empty chunk size", chunked("\r\nhello\r\n0\r\n\r\n"), 400),
        .init("negative chunk size", chunked("-5\r\nhello\r\n0\r\n\r\n"), 400),
        .init("chunk size with 0x prefix", chunked("0x5\r\nhello\r\n0\r\n\r\n"), 400),
        .init("chunk size with leading space", chunked(" 5\r\nhello\r\n0\r\n\r\n"), 400),
        .init("chunk data longer than its size", chunked("5\r\nhelloXX\r\n0\r\n\r\n"), 400),
        .init("chunk data shorter than its size", chunked("5\r\nhell\r\n0\r\n\r\n"), 400),
        .init("chunk data followed by bare LF", chunked("5\r\nhello\n0\r\n\r\n"), 400),
        .init("chunk data followed by bare CR", chunked("5\r\nhello\r0\r\n\r\n"), 400),
        .init("bare LF ending a chunk size", chunked("5\nhello\r\n0\r\n\r\n"), 400),
        .init("bare LF ending the last chunk", chunked("5\r\nhello\r\n0\n\r\n"), 400),
        .init("bare LF ending the body", chunked("5\r\nhello\r\n0\r\n\n"), 400),
        .init("bare CR in a chunk size line", chunked("5\rX\r\nhello\r\n0\r\n\r\n"), 400),
        .init("NUL in a chunk extension", chunked("5;a=\u{0}\r\nhello\r\n0\r\n\r\n"), 400),
        .init("CTL in a chunk extension", chunked("5;a=\u{1}\r\nhello\r\n0\r\n\r\n"), 400),
        .init("bare CR in a chunk extension", chunked("5;a\rb\r\nhello\r\n0\r\n\r\n"), 400),
        .init("DEL in a chunk extension", chunked("5;a=\u{7F}\r\nhello\r\n0\r\n\r\n"), 400),
        .init("chunk line over 4 KiB", chunked("5;" + String(repeating: "a", count: 5000) + "\r\nhello\r\n0\r\n\r\n"), 400),
        .init("junk after the chunk size", chunked("5 x\r\nhello\r\n0\r\n\r\n"), 400),
        .init("trailer with space before the colon", chunked("0\r\nX-T : v\r\n\r\n"), 400),
        .init("trailer without a colon", chunked("0\r\nX-T v\r\n\r\n"), 400),
        .init("trailer with obs-fold", chunked("0\r\nX-T: v\r\n w\r\n\r\n"), 400),
        .init("trailer with a CTL", chunked("0\r\nX-T: a\u{1}b\r\n\r\n"), 400),
        .init("trailer with bare LF", chunked("0\r\nX-T: v\n\r\n"), 400),
    ]

    /// Limits: head 16 KiB and 100 fields (431, RFC 6585 section 5), body 8 MiB (413, RFC 9110
    /// 15.5.14); a request line that alone passes the head limit has a target longer than the
    /// server parses, which RFC 9112 3 says MUST be answered 414.
    package static let limits: [MalformedRequest] = [
        .init("head over 16 KiB", request("X-Big: " + String(repeating: "a", count: 16 * 1024) + "\r\n"), 431),
        .init("head over 16 KiB with a long target", request("X-Big: " + String(repeating: "a", count: 8 * 1024) + "\r\n",
                                                           target: "/" + String(repeating: "t", count: 8 * 1024)), 431),
        .init("request line over 16 KiB", "GET /" + String(repeating: "a", count: 16 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 414),
        .init("more than 100 fields", request(String(repeating: "X-A: b\r\n", count: 100)), 431),
        .init("Content-Length over the body limit", request("Content-Length: 8388609\r\n"), 413),
        .init("chunk over the body limit", chunked("800001\r\n"), 413),
        .init("chunk size at the 63-bit maximum", chunked("7FFFFFFFFFFFFFFF\r\n"), 413),
        .init("trailer section over 16 KiB", chunked("0\r\n" + String(repeating: "X-T: " + String(repeating: "v", count: 93) + "\r\n", count: 200) + "\r\n"), 431),
    ]

    /// RFC 9110 10.1.1: an expectation other than 100-continue MAY be answered 417.
    package static let expectations: [MalformedRequest] = [
        .init("Expect other than 100-continue", request("Expect: 200-ok\r\nContent-Length: 2\r\n", body: "{}"), 417),
        .init("Expect 100-continue with a parameter", request("Expect: 100-continue;x=1\r\nContent-Length: 2\r\n", body: "{}"), 417),
        .init("Expect list with 100-continue", request("Expect: 100-continue, foo\r\nContent-Length: 2\r\n", body: "{}"), 417),
        .init("empty Expect", request("Expect: \r\nContent-Length: 2\r\n", body: "{}"), 417),
    ]
}
