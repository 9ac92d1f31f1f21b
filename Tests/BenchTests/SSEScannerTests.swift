@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("SSE scanner")
struct SSEScannerTests {
    typealias Counts = BenchStreams.Counts

    func scan(_ text: String, provider: BenchProvider, cuts: [Int] = []) -> Counts {
        BenchStreams.scan(text, provider, cuts: cuts)
    }

    static let completed: BenchFailure? = nil

    /// An OpenAI stream as mockllm writes it: role, 3 content chunks, finish, [DONE].
    let openAI = """
        data: {"id":"mock-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"delta":{"role":"assistant","content":null},"index":0,"finish_reason":null}]}

        data: {"id":"mock-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"delta":{"role":null,"content":"H"},"index":0,"finish_reason":null}]}

        data: {"id":"mock-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"delta":{"role":null,"content":"\\""},"index":0,"finish_reason":null}]}

        data: {"id":"mock-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"delta":{"content":""},"index":0,"finish_reason":null}]}

        data: {"id":"mock-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"delta":{"role":null,"content":"i"},"index":0,"finish_reason":null}]}

        data: {"id":"mock-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"delta":{},"index":0,"finish_reason":"stop"}]}

        data: [DONE]


        """

    /// An Anthropic stream as mockllm writes it: 2 text deltas.
    let anthropic = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_1","content":[]}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"H"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"i"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":1}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    @Test func countsOpenAIContentChunksAsTokens() {
        // The role event (content null) and an empty content are not tokens; an escaped quote is.
        #expect(scan(openAI, provider: .openai) == Counts(events: 7, tokens: 3, failure: Self.completed))
    }

    @Test func countsAnthropicTextDeltasAsTokens() {
        #expect(scan(anthropic, provider: .anthropic) == Counts(events: 8, tokens: 2, failure: Self.completed))
    }

    @Test func recognisesAnthropicEventsWithoutEventLines() {
        let dataOnly = anthropic.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("event:") }.joined(separator: "\n")
        #expect(scan(dataOnly, provider: .anthropic) == Counts(events: 8, tokens: 2, failure: Self.completed))
    }

    @Test func givesTheSameCountsWhereverTheBytesAreCut() {
        BenchStreams.expectSameCountsWhereverCut(Array(openAI.utf8), .openai, Counts(events: 7, tokens: 3, failure: Self.completed))
        BenchStreams.expectSameCountsWhereverCut(Array(anthropic.utf8), .anthropic, Counts(events: 8, tokens: 2, failure: Self.completed))
    }

    /// The specification's three line ends, each cut anywhere: CRLF, LF, and CR alone.
    @Test(arguments: ["\r\n", "\n", "\r"])
    func acceptsEveryLineEndWhereverTheBytesAreCut(end: String) {
        for (text, provider, counts) in [(openAI, BenchProvider.openai, Counts(events: 7, tokens: 3, failure: Self.completed)),
                                         (anthropic, .anthropic, Counts(events: 8, tokens: 2, failure: Self.completed))] {
            BenchStreams.expectSameCountsWhereverCut(BenchStreams.lineEnds(Array(text.utf8), end), provider, counts)
        }
    }

    @Test func aCRLFCutBetweenItsTwoBytesIsOneLineEnd() {
        // Were the LF a line of its own, it would end the event after its first data line.
        let text = "data: {\"choices\":\r\ndata: [{\"delta\":{\"content\":\"x\"}}]}\r\n\r\ndata: [DONE]\r\n\r\n"
        let cr = Array(text.utf8).firstIndex(of: 0x0D)!
        #expect(scan(text, provider: .openai, cuts: [cr + 1]) == Counts(events: 2, tokens: 1, failure: Self.completed))
        // A CR at the end of one read and a CR at the start of the next: two line ends, a blank line.
        let crs = "data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\r\rdata: [DONE]\r\r"
        let firstCR = Array(crs.utf8).firstIndex(of: 0x0D)!
        #expect(scan(crs, provider: .openai, cuts: [firstCR + 1]) == Counts(events: 2, tokens: 1, failure: Self.completed))
    }

    @Test func joinsTheDataLinesOfAnEventWithLineFeeds() {
        // One JSON object over two data lines: whole only when joined.
        let text = "data: {\"choices\":[{\"delta\":\ndata: {\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n"
        #expect(scan(text, provider: .openai) == Counts(events: 2, tokens: 1, failure: Self.completed))
    }

    @Test func readsFieldsAsTheSpecificationDoes() {
        // One space after the colon is dropped, no space is needed, a second space is the value's.
        #expect(scan("data:[DONE]\n\n", provider: .openai) == Counts(events: 1, tokens: 0, failure: Self.completed))
        #expect(scan("data:  [DONE]\n\n", provider: .openai) == Counts(events: 1, tokens: 0, failure: .malformed))
        // A line without a colon is a field with an empty value: `data` alone makes an event.
        #expect(scan("data\n\ndata: [DONE]\n\n", provider: .openai) == Counts(events: 2, tokens: 0, failure: .malformed))
        // The last `event:` line names the event; an unknown field is ignored.
        let renamed = "event: ping\nevent: message_stop\nfoo: bar\ndata: {}\n\n"
        #expect(scan(renamed, provider: .anthropic) == Counts(events: 1, tokens: 0, failure: Self.completed))
    }

    @Test func dropsALeadingByteOrderMarkEvenWhenCut() {
        let text = "\u{FEFF}data: [DONE]\n\n"
        #expect(scan(text, provider: .openai) == Counts(events: 1, tokens: 0, failure: Self.completed))
        #expect(scan(text, provider: .openai, cuts: [1, 2]) == Counts(events: 1, tokens: 0, failure: Self.completed))
        // Only at the start of the stream.
        #expect(scan("data: {}\n\n\u{FEFF}data: [DONE]\n\n", provider: .openai) == Counts(events: 1, tokens: 0, failure: .malformed))
    }

    @Test func doesNotDispatchAnEventCutOffByTheEndOfTheBody() {
        let cut = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n"
        #expect(scan(cut, provider: .openai) == Counts(events: 1, tokens: 1, failure: .malformed))
    }

    @Test func anOpenAITokenIsTextInAChoicesDelta() {
        func tokens(_ data: String) -> Int { scan("data: \(data)\n\ndata: [DONE]\n\n", provider: .openai).tokens }
        #expect(tokens(#"{"choices":[{"index":1,"delta":{"content":"x"}}]}"#) == 1)
        #expect(tokens(#"{"choices":[{"delta":{"role":"assistant","content":null}}]}"#) == 0)
        #expect(tokens(#"{"choices":[{"delta":{"reasoning_content":"hm","content":""}}]}"#) == 0)
        #expect(tokens(#"{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{\"content\":\"x\"}"}}]}}]}"#) == 0)
        #expect(tokens(#"{"content":"x","choices":[]}"#) == 0)
    }

    @Test func anErrorEventFailsTheStreamAsSuch() {
        let openAIError = "data: {\"error\":{\"message\":\"boom\"}}\n\ndata: [DONE]\n\n"
        #expect(scan(openAIError, provider: .openai) == Counts(events: 2, tokens: 0, failure: .errorEvent))
        let anthropicError = "event: error\ndata: {\"type\":\"error\",\"error\":{}}\n\nevent: message_stop\ndata: {}\n\n"
        #expect(scan(anthropicError, provider: .anthropic) == Counts(events: 2, tokens: 0, failure: .errorEvent))
    }

    @Test func dataThatIsNotJSONIsMalformed() {
        // What mockllm's `malformed` fault sends: a chunk cut off inside its JSON, then the rest.
        let text = "data: {\"choices\":[{\"delta\":{\"content\":\"unterminated\n\ndata: [DONE]\n\n"
        #expect(scan(text, provider: .openai) == Counts(events: 2, tokens: 0, failure: .malformed))
        let named = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"x\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
        #expect(scan(named, provider: .anthropic) == Counts(events: 2, tokens: 0, failure: .malformed))
    }

    @Test func ignoresCommentsAndOtherFields() {
        let text = ": keep-alive\n\nid: 1\nretry: 10\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\ndata: [DONE]\n\n"
        #expect(scan(text, provider: .openai) == Counts(events: 2, tokens: 1, failure: Self.completed))
    }

    @Test func aLineOverTheLimitIsMalformed() {
        var bytes = Array("data: {\"content\":\"".utf8) + Array(repeating: UInt8(ascii: "x"), count: LineSplitter.maxLineBytes)
        bytes += Array("\"}\n\ndata: [DONE]\n\n".utf8)
        #expect(BenchStreams.scan(bytes, .openai, cuts: [100]).failure == .malformed)
    }

    @Test func resetKeepsNothingOfTheLastStream() {
        var scanner = SSEScanner(provider: .openai)
        Array("\u{FEFF}data: {\"content\":\"x\"}\n\ndata: [DO".utf8).withUnsafeBytes { scanner.scan($0) }
        scanner.reset()
        Array("data: [DONE]\n\n".utf8).withUnsafeBytes { scanner.scan($0) }
        #expect(scanner.tally.events == 1 && scanner.tally.tokenEvents == 0 && scanner.tally.failure == nil)
    }
}
