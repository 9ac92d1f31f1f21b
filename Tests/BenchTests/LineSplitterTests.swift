@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Line splitter")
struct LineSplitterTests {
    /// The lines of `text` fed in pieces cut at `cuts`, then the unfinished rest at the end.
    func lines(_ text: String, endsAtCR: Bool, cuts: [Int] = []) -> (lines: [String], rest: String?) {
        let bytes = Array(text.utf8)
        var splitter = LineSplitter(endsAtCR: endsAtCR)
        var lines: [String] = []
        var start = 0
        for end in cuts.filter({ $0 > 0 && $0 < bytes.count }).sorted() + [bytes.count] {
            bytes[start..<end].withUnsafeBytes { piece in splitter.split(piece) { lines.append(String(decoding: $0, as: UTF8.self)) } }
            start = end
        }
        var rest: String?
        splitter.finish { rest = String(decoding: $0, as: UTF8.self) }
        return (lines, rest)
    }

    @Test func serverSentEventsEndLinesAtCRLFLFOrCR() {
        let text = "a\r\nb\nc\rd\r\n\r\n\n\re"
        let expected = ["a", "b", "c", "d", "", "", ""]
        #expect(lines(text, endsAtCR: true).lines == expected)
        #expect(lines(text, endsAtCR: true).rest == "e")
        for cut in 1..<text.utf8.count {
            let split = lines(text, endsAtCR: true, cuts: [cut])
            #expect(split.lines == expected && split.rest == "e", "cut at \(cut)")
        }
        #expect(lines(text, endsAtCR: true, cuts: Array(1..<text.utf8.count)).lines == expected, "byte by byte")
    }

    @Test func aCREndingAPieceTakesTheLFOfTheNextOnly() {
        #expect(lines("a\r\nb\n", endsAtCR: true, cuts: [2]).lines == ["a", "b"])
        #expect(lines("a\r\rb\n", endsAtCR: true, cuts: [2]).lines == ["a", "", "b"])
        #expect(lines("a\r\n\nb\n", endsAtCR: true, cuts: [2, 3]).lines == ["a", "", "b"])
    }

    @Test func ndjsonEndsLinesAtLFOnly() {
        let split = lines("{\"a\":1}\r\n{\"b\":\r2}\n{\"c\"", endsAtCR: false, cuts: [3, 9])
        #expect(split.lines == ["{\"a\":1}\r", "{\"b\":\r2}"])
        #expect(split.rest == "{\"c\"")
    }

    @Test func aCutLineOverTheLimitOverflows() {
        var splitter = LineSplitter(endsAtCR: false)
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: LineSplitter.maxLineBytes)
        var count = 0
        big.withUnsafeBytes { piece in splitter.split(piece) { _ in count += 1 } }
        #expect(!splitter.overflowed)
        Array("yy\nz\n".utf8).withUnsafeBytes { piece in splitter.split(piece) { _ in count += 1 } }
        #expect(splitter.overflowed)
        #expect(count == 2)
        splitter.reset()
        #expect(!splitter.overflowed)
    }
}
