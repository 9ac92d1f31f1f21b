@testable import MockLLMCore
import TestSupport
import Testing

@Suite("HTTP response writer")
struct ResponseWriterTests {
    let date = "Sun, 06 Nov 1994 08:49:37 GMT"

    func head(
        _ status: Int = 200, headers: HTTPFields = HTTPFields(), framing: BodyFraming = .length(0),
        version: HTTPVersion = .http11, keepAlive: Bool = true
    ) -> String {
        var out = ByteBuffer()
        ResponseWriter.appendHead(status: status, headers: headers, framing: framing, version: version,
                                  keepAlive: keepAlive, date: date, into: &out)
        return out.description
    }

    @Test func writesStatusLineFieldsLengthAndDateInOrder() {
        let headers = HTTPFields([HTTPFields.Field(name: "content-type", value: "application/json"),
                                  HTTPFields.Field(name: "X-Request-Id", value: "abc")])
        #expect(head(headers: headers, framing: .length(15)) ==
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nX-Request-Id: abc\r\ncontent-length: 15\r\ndate: \(date)\r\n\r\n")
    }

    @Test func alwaysAnswersAsHTTP11() {
        // RFC 9110 6.2: a server sends its own highest conformant version, even to 1.0 clients.
        #expect(head(version: .http10, keepAlive: false).hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test(arguments: [
        (HTTPVersion.http11, true, nil as String?),
        (.http11, false, "close"),
        (.http10, true, "keep-alive"),
        (.http10, false, "close"),
    ])
    func signalsTheConnectionFate(_ version: HTTPVersion, _ keepAlive: Bool, _ connection: String?) {
        let text = head(version: version, keepAlive: keepAlive)
        let fields = text.split(separator: "\r\n").filter { $0.hasPrefix("connection: ") }
        #expect(fields == (connection.map { ["connection: \($0)"] } ?? []))
        #expect(text.hasSuffix("\r\n\r\n"))
    }

    @Test func framesBodiesByLengthChunksOrClose() {
        #expect(head(framing: .length(0)).contains("\r\ncontent-length: 0\r\n"))
        let chunked = head(framing: .chunked)
        #expect(chunked.contains("\r\ntransfer-encoding: chunked\r\n"))
        #expect(!chunked.contains("content-length"))
        let untilClose = head(framing: .untilClose, version: .http10, keepAlive: false)
        #expect(!untilClose.contains("content-length") && !untilClose.contains("transfer-encoding"))
    }

    @Test(arguments: [(100, "Continue"), (200, "OK"), (304, "Not Modified"), (400, "Bad Request"), (404, "Not Found"), (413, "Content Too Large"),
                      (417, "Expectation Failed"), (431, "Request Header Fields Too Large"), (501, "Not Implemented"),
                      (505, "HTTP Version Not Supported"), (299, "Status 299")])
    func writesTheReasonPhrase(_ status: Int, _ reason: String) {
        #expect(head(status).hasPrefix("HTTP/1.1 \(status) \(reason)\r\n"))
    }

    @Test func sendsNoContentLengthWithA204() {
        // RFC 9110 8.6: a server MUST NOT send Content-Length in a 1xx or 204 response.
        #expect(head(204, framing: .length(0)) == "HTTP/1.1 204 No Content\r\ndate: \(date)\r\n\r\n")
        #expect(head(205, framing: .length(0)).contains("\r\ncontent-length: 0\r\n"))
    }

    @Test func sendsNoContentLengthWithA304() {
        // RFC 9110 8.6: in a 304 it could only be the length of the 200 it stands for, not 0.
        #expect(head(304, framing: .length(0)) == "HTTP/1.1 304 Not Modified\r\ndate: \(date)\r\n\r\n")
    }

    @Test func writesContinue() {
        var out = ByteBuffer()
        ResponseWriter.appendContinue(into: &out)
        #expect(out.description == "HTTP/1.1 100 Continue\r\n\r\n")
    }

    @Test(arguments: [(1, "1"), (15, "f"), (16, "10"), (255, "ff"), (4096, "1000"), (65_537, "10001")])
    func framesAChunkWithLowerCaseHexSize(_ size: Int, _ hex: String) {
        var out = ByteBuffer()
        ResponseWriter.appendChunk(ByteBuffer(Array(repeating: UInt8(ascii: "x"), count: size)), into: &out)
        #expect(out.bytes == Array("\(hex)\r\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: size) + Array("\r\n".utf8))
    }

    @Test func skipsAnEmptyChunkBecauseItWouldEndTheBody() {
        var out = ByteBuffer()
        ResponseWriter.appendChunk(ByteBuffer(), into: &out)
        #expect(out.isEmpty)
        ResponseWriter.appendLastChunk(into: &out)
        #expect(out.description == "0\r\n\r\n")
    }

    @Test func appendsToWhatIsAlreadyInTheBuffer() {
        var out = ByteBuffer("previous")
        ResponseWriter.appendHead(status: 201, headers: HTTPFields(), framing: .length(0), version: .http11,
                                  keepAlive: true, date: date, into: &out)
        #expect(out.description.hasPrefix("previousHTTP/1.1 201 Created\r\n"))
    }
}
