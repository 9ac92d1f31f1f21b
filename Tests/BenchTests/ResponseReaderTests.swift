@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("HTTP response reader")
struct ResponseReaderTests {
    /// What the reader made of a byte stream.
    struct Reading: Equatable {
        var statuses: [Int] = []
        var bodies: [String] = []
        var ends: [Bool] = []  // keep-alive of each end
        var endOfInput: ResponseReader.EndOfInput?
        var error: String?
    }

    /// Feeds `wire` cut at `cuts` (offsets), then the end of the connection if `eof`.
    func read(_ wire: String, cuts: [Int] = [], eof: Bool = false) -> Reading {
        let bytes = Array(wire.utf8)
        var reader = ResponseReader()
        var reading = Reading()
        var current: [UInt8] = []
        var bounds = [0] + cuts.filter { $0 > 0 && $0 < bytes.count } + [bytes.count]
        bounds = Array(Set(bounds)).sorted()
        for (start, end) in zip(bounds, bounds.dropFirst()) {
            let piece = Array(bytes[start..<end])
            let failed = piece.withUnsafeBytes { p -> Bool in
                var i = 0
                do {
                    while true {
                        switch try reader.next(p, from: &i) {
                        case .needMoreData: return false
                        case .head(let head): reading.statuses.append(head.status)
                        case .body(let range): current += p[range]
                        case .end(let keepAlive):
                            reading.bodies.append(String(decoding: current, as: UTF8.self))
                            current = []
                            reading.ends.append(keepAlive)
                        }
                    }
                } catch {
                    reading.error = (error as? ResponseReadError)?.reason ?? "\(error)"
                    return true
                }
            }
            if failed { return reading }
        }
        if eof {
            reading.endOfInput = reader.endOfInput()
            if reading.endOfInput == .complete {
                reading.bodies.append(String(decoding: current, as: UTF8.self))
                reading.ends.append(false)
            }
        }
        return reading
    }

    let chunkedThenLength =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "6\r\ndata: \r\n1a;ext=1\r\n{\"a\":1}\n\n0123456789abcdefg\r\n0\r\nX-Trailer: t\r\n\r\n"
        + "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 5\r\nx-mockllm-rule: r\r\n\r\nslow!"

    var expected: Reading {
        Reading(statuses: [200, 429], bodies: ["data: {\"a\":1}\n\n0123456789abcdefg", "slow!"], ends: [true, true])
    }

    @Test func readsChunkedAndLengthFramedResponsesOnOneConnection() {
        #expect(read(chunkedThenLength) == expected)
    }

    @Test func givesTheSameResultWhereverTheBytesAreCut() {
        let count = chunkedThenLength.utf8.count
        for cut in 1..<count {
            #expect(read(chunkedThenLength, cuts: [cut]) == expected, "cut at \(cut)")
        }
        #expect(read(chunkedThenLength, cuts: Array(1..<count)) == expected, "one byte at a time")
    }

    @Test func readsABodyFramedByTheEndOfTheConnection() {
        let wire = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: x\n\n"
        #expect(read(wire, cuts: [20, 50], eof: true)
                == Reading(statuses: [200], bodies: ["data: x\n\n"], ends: [false], endOfInput: .complete))
    }

    @Test func reportsAResponseCutShort() {
        let chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"
        #expect(read(chunked, eof: true).endOfInput == .truncated)
        #expect(read("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc", eof: true).endOfInput == .truncated)
        #expect(read("HTTP/1.1 200 O", eof: true).endOfInput == .truncated)
        #expect(read("", eof: true).endOfInput == .idle)
    }

    @Test func skipsInterimResponsesAndFramesBodilessOnes() {
        let wire = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
        #expect(read(wire) == Reading(statuses: [204, 200], bodies: ["", ""], ends: [true, true]))
    }

    @Test func acceptsBareLineFeeds() {
        let wire = "HTTP/1.1 200 OK\nContent-Length: 2\n\nok"
        #expect(read(wire) == Reading(statuses: [200], bodies: ["ok"], ends: [true]))
    }

    @Test func knowsWhenTheConnectionCanBeReused() {
        #expect(read("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").ends == [false])
        #expect(read("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").ends == [false])
        #expect(read("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n").ends == [true])
    }

    @Test func parsesTheHeadFieldsItNeedsCaseInsensitively() throws {
        let head = "HTTP/1.1 503 Busy\r\nX-MockLLM-Rule: rule busy\r\nCONTENT-LENGTH:  12 \r\nConnection: keep-alive, close\r\n\r\n"
        let bytes = Array(head.utf8)
        let parsed = try bytes.withUnsafeBufferPointer { (p) throws(ResponseReadError) in try ResponseHead(parsing: p) }
        #expect(parsed.status == 503)
        #expect(parsed.mockllmRule == "rule busy")
        #expect(parsed.contentLength == 12)
        #expect(!parsed.keepAlive)
        #expect(!parsed.isChunked)
    }

    @Test func rejectsWhatItCannotFrame() {
        #expect(read("HTTP/2 200\r\n\r\n").error == "malformed status line")
        #expect(read("HTTP/1.1 2x0 OK\r\n\r\n").error == "malformed status line")
        #expect(read("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n").error == "invalid content-length")
        #expect(read("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").error == "invalid content-length")
        #expect(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").error == "invalid chunk size")
        #expect(read("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc").error == "chunk data not followed by CRLF")
        #expect(read("HTTP/1.1 200 OK\r\nno colon\r\n\r\n").error == "malformed header line")
    }
}
