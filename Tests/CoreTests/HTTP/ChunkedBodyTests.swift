@testable import MockLLMCore
import TestSupport
import Testing

@Suite("Chunked request bodies")
struct ChunkedBodyTests {
    enum Result: Equatable {
        case done(body: String, consumed: Int)
        case needMore(consumed: Int)
        case error(Int)
    }

    /// Runs the decoder over `pieces` as the parser would: each call sees everything not yet
    /// consumed plus the new piece.
    func decode(_ pieces: [String], limits: RequestParser.Limits = RequestParser.Limits()) -> Result {
        var decoder = ChunkedBodyDecoder()
        var buffer: [UInt8] = []
        var consumed = 0
        for piece in pieces {
            buffer += Array(piece.utf8)
            do {
                let done = try buffer.withUnsafeBufferPointer { (p) throws(HTTPParseError) -> Bool in
                    var i = consumed
                    defer { consumed = i }
                    return try decoder.decode(p, from: &i, limits: limits)
                }
                if done { return .done(body: String(decoding: decoder.body, as: UTF8.self), consumed: consumed) }
            } catch {
                return .error(error.status)
            }
        }
        return .needMore(consumed: consumed)
    }

    @Test func decodesChunksAndStopsRightAfterTheLastCRLF() {
        let body = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        #expect(decode([body + "GET"]) == .done(body: "abcde", consumed: body.utf8.count))
    }

    @Test func readsUpperAndLowerCaseHex() {
        let sixteen = String(repeating: "x", count: 16), ten = String(repeating: "y", count: 10)
        let wire = "10\r\n\(sixteen)\r\nA\r\n\(ten)\r\na\r\n\(ten)\r\n0\r\n\r\n"
        #expect(decode([wire]) == .done(body: sixteen + ten + ten, consumed: wire.utf8.count))
    }

    @Test func acceptsExtensionsOnEveryChunkIncludingTheLast() {
        let wire = "2;a\r\nab\r\n2 ; b=c\r\ncd\r\n2;q=\"x;y\"\r\nef\r\n0;end\r\n\r\n"
        #expect(decode([wire]) == .done(body: "abcdef", consumed: wire.utf8.count))
    }

    @Test func discardsTrailers() {
        let wire = "1\r\na\r\n0\r\nX-A: 1\r\nX-B:\r\nX-C:\t2 \r\n\r\n"
        #expect(decode([wire]) == .done(body: "a", consumed: wire.utf8.count))
    }

    @Test func waitsForEachPartAndKeepsWhatItConsumed() {
        #expect(decode(["5"]) == .needMore(consumed: 0))
        #expect(decode(["5\r\nhe"]) == .needMore(consumed: 5))
        #expect(decode(["5\r\nhello"]) == .needMore(consumed: 8))
        #expect(decode(["5\r\nhello\r"]) == .needMore(consumed: 8))
        #expect(decode(["5\r\nhello\r\n0\r\n"]) == .needMore(consumed: 13))
        #expect(decode(["5\r\nhello\r\n0\r\nX-T: v\r\n"]) == .needMore(consumed: 21))
        #expect(decode(["5\r\nhe", "llo\r\n0\r", "\n\r\n"]) == .done(body: "hello", consumed: 15))
    }

    @Test func aChunkSizeOfSixteenDigitsIsReadAndSeventeenIsRefused() {
        let wire = "000000000000000f\r\n\(String(repeating: "z", count: 15))\r\n0\r\n\r\n"
        #expect(decode([wire]) == .done(body: String(repeating: "z", count: 15), consumed: wire.utf8.count))
        #expect(decode(["0000000000000000f\r\n"]) == .error(400))
    }

    @Test func countsTheBodyLimitAcrossChunks() {
        let limits = RequestParser.Limits(maxBodyBytes: 4)
        let wire = "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n"
        #expect(decode([wire], limits: limits) == .done(body: "abcd", consumed: wire.utf8.count))
        #expect(decode(["2\r\nab\r\n3\r\n"], limits: limits) == .error(413))
    }

    @Test func aChunkLineOfTheMaximumLengthIsReadAndOneByteMoreIsRefused() {
        // The line is at most 4096 bytes with its CR; the LF ends it.
        let ext = String(repeating: "e", count: ChunkedBodyDecoder.maxChunkLine - 3)
        #expect(decode(["1;\(ext)\r\na\r\n0\r\n\r\n"]) == .done(body: "a", consumed: 4096 + 1 + 3 + 5))
        #expect(decode(["1;\(ext)e\r\na\r\n0\r\n\r\n"]) == .error(400))
    }

    @Test func theTrailerSectionSharesTheHeadLimit() {
        let limits = RequestParser.Limits(maxHeadBytes: 32)
        // 28 bytes of trailer section (blank line included) fit in 32; 34 do not.
        let wire = "0\r\nX-A: 0123456789012345678\r\n\r\n"
        #expect(decode([wire], limits: limits) == .done(body: "", consumed: wire.utf8.count))
        #expect(decode(["0\r\nX-A: 0123456789012345678\r\nB: 1\r\n\r\n"], limits: limits) == .error(431))
    }

    /// The decoder reads back exactly what `ResponseWriter` frames.
    @Test(arguments: [[], ["a"], ["hello", " ", "world"], [String(repeating: "é", count: 300), "", "x"]])
    func roundTripsResponseWriterFraming(_ payloads: [String]) {
        var wire = ByteBuffer()
        for payload in payloads {
            ResponseWriter.appendChunk(ByteBuffer(payload), into: &wire)
        }
        ResponseWriter.appendLastChunk(into: &wire)
        #expect(decode([wire.description]) == .done(body: payloads.joined(), consumed: wire.count))
    }
}
