@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("NDJSON scanner")
struct NDJSONScannerTests {
    typealias Counts = BenchStreams.Counts

    /// An Ollama chat stream as mockllm writes it: 3 chunks, then the done line.
    let ollama = """
        {"model":"llama3.2","created_at":"2023-11-14T22:13:20Z","message":{"role":"assistant","content":"H"},"done":false}
        {"model":"llama3.2","created_at":"2023-11-14T22:13:20.001Z","message":{"role":"assistant","content":"\\"\\n"},"done":false}
        {"model":"llama3.2","created_at":"2023-11-14T22:13:20.002Z","message":{"role":"assistant","content":"!"},"done":false}
        {"model":"llama3.2","created_at":"2023-11-14T22:13:20.003Z","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":3000}

        """

    @Test func countsLinesWithContentAsTokensAndEndsAtDone() {
        #expect(BenchStreams.scan(ollama, .ollama) == Counts(events: 4, tokens: 3, failure: nil))
    }

    @Test func givesTheSameCountsWhereverTheBytesAreCut() {
        BenchStreams.expectSameCountsWhereverCut(Array(ollama.utf8), .ollama, Counts(events: 4, tokens: 3, failure: nil))
        BenchStreams.expectSameCountsWhereverCut(BenchStreams.lineEnds(Array(ollama.utf8), "\r\n"), .ollama, Counts(events: 4, tokens: 3, failure: nil))
    }

    @Test func theLastLineCountsWithoutItsLineFeed() {
        let unterminated = String(ollama.dropLast())
        #expect(BenchStreams.scan(unterminated, .ollama) == Counts(events: 4, tokens: 3, failure: nil))
        #expect(BenchStreams.scan(unterminated, .ollama, cuts: [400]) == Counts(events: 4, tokens: 3, failure: nil))
    }

    @Test func aCarriageReturnAloneDoesNotEndALine() {
        // Only LF ends an NDJSON line: two objects on one line are not JSON.
        let text = "{\"done\":false,\"message\":{\"content\":\"x\"}}\r{\"done\":true}\n"
        #expect(BenchStreams.scan(text, .ollama) == Counts(events: 1, tokens: 0, failure: .malformed))
    }

    @Test func blankLinesAreNotEvents() {
        let text = "\n \r\n{\"done\":false,\"message\":{\"content\":\"x\"}}\n\n{\"done\":true}\n\n"
        #expect(BenchStreams.scan(text, .ollama) == Counts(events: 2, tokens: 1, failure: nil))
    }

    @Test func anErrorLineOrABrokenLineFailsTheStream() {
        let error = "{\"done\":false,\"message\":{\"content\":\"x\"}}\n{\"error\":\"boom\"}\n"
        #expect(BenchStreams.scan(error, .ollama) == Counts(events: 2, tokens: 1, failure: .errorEvent))
        let broken = "{\"model\":\"mock\",\"message\":{\"role\":\"assistant\",\"content\":\"unterminated\n{\"done\":true}\n"
        #expect(BenchStreams.scan(broken, .ollama) == Counts(events: 2, tokens: 0, failure: .malformed))
        let cut = "{\"done\":false,\"message\":{\"content\":\"x\"}}\n"
        #expect(BenchStreams.scan(cut, .ollama) == Counts(events: 1, tokens: 1, failure: .malformed))
    }

    @Test func resetKeepsNothingOfTheLastStream() {
        var scanner = NDJSONScanner(provider: .ollama)
        Array("{\"done\":false,\"message\":{\"content\":\"x\"}}\n{\"do".utf8).withUnsafeBytes { scanner.scan($0) }
        scanner.reset()
        Array("{\"done\":true}\n".utf8).withUnsafeBytes { scanner.scan($0) }
        scanner.endOfBody()
        #expect(scanner.tally.events == 1 && scanner.tally.tokenEvents == 0 && scanner.tally.failure == nil)
    }
}
