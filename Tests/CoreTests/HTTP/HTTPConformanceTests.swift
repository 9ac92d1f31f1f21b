@testable import MockLLMCore
import TestSupport
import Testing

@Suite("HTTP/1.1 conformance: malformed requests")
struct HTTPConformanceTests {
    /// Each malformed request is refused with its status, whether it arrives whole, one byte
    /// at a time or in random pieces, and nothing before the refusal is taken for a request.
    @Test(arguments: MalformedRequest.all)
    func isRefusedWithItsStatus(_ malformed: MalformedRequest) {
        let whole = ParserHarness.whole(malformed.wire)
        #expect(whole == [.error(status: malformed.status)], "fed whole")
        #expect(ParserHarness.bytewise(malformed.wire) == [.error(status: malformed.status)], "fed one byte at a time")
        #expect(ParserHarness.randomPieces(malformed.wire, seed: 7) == [.error(status: malformed.status)], "fed in random pieces")
    }

    /// The error stays: bytes appended after a refusal are never parsed, so a request smuggled
    /// behind a malformed one is never answered.
    @Test(arguments: MalformedRequest.all)
    func staysFailedAfterTheRefusal(_ malformed: MalformedRequest) {
        var parser = RequestParser()
        parser.append(malformed.wire + Array("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        var events: [Int?] = []
        for _ in 0..<3 {
            if case .error(let error) = parser.next() { events.append(error.status) } else { events.append(nil) }
        }
        parser.append(Array("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8))
        if case .error(let error) = parser.next() { events.append(error.status) } else { events.append(nil) }
        #expect(events == Array(repeating: malformed.status, count: 4))
    }

    @Test func everyStatusOfTheTableHasAReasonPhrase() {
        for status in Set(MalformedRequest.all.map(\.status)) {
            #expect(!HTTPStatus.reason(status).hasPrefix("Status"), "\(status)")
        }
    }

    @Test func theTableHasNoDuplicateNames() {
        let names = MalformedRequest.all.map(\.name)
        #expect(Set(names).count == names.count)
    }
}
