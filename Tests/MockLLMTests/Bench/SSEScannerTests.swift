@testable import MockLLM
import Testing

@Suite("SSE scanner")
struct SSEScannerTests {
    struct Counts: Equatable {
        var events: Int
        var tokens: Int
        var complete: Bool
    }

    func scan(_ text: String, provider: BenchProvider, cuts: [Int] = []) -> Counts {
        let bytes = Array(text.utf8)
        var scanner = SSEScanner(provider: provider)
        var start = 0
        for end in cuts.filter({ $0 > 0 && $0 < bytes.count }).sorted() + [bytes.count] {
            bytes[start..<end].withUnsafeBytes { scanner.scan($0) }
            start = end
        }
        return Counts(events: scanner.events, tokens: scanner.tokenEvents, complete: scanner.isComplete)
    }

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
        #expect(scan(openAI, provider: .openai) == Counts(events: 7, tokens: 3, complete: true))
    }

    @Test func countsAnthropicTextDeltasAsTokens() {
        #expect(scan(anthropic, provider: .anthropic) == Counts(events: 8, tokens: 2, complete: true))
    }

    @Test func recognisesAnthropicEventsWithoutEventLines() {
        let dataOnly = anthropic.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("event:") }.joined(separator: "\n")
        #expect(scan(dataOnly, provider: .anthropic) == Counts(events: 8, tokens: 2, complete: true))
    }

    @Test func givesTheSameCountsWhereverTheBytesAreCut() {
        for (text, provider, counts) in [(openAI, BenchProvider.openai, Counts(events: 7, tokens: 3, complete: true)),
                                         (anthropic, .anthropic, Counts(events: 8, tokens: 2, complete: true))] {
            let count = text.utf8.count
            for cut in 1..<count {
                #expect(scan(text, provider: provider, cuts: [cut]) == counts, "cut at \(cut)")
            }
            for cut in stride(from: 1, to: count - 7, by: 5) {
                #expect(scan(text, provider: provider, cuts: [cut, cut + 3, cut + 7]) == counts, "cuts at \(cut)")
            }
            #expect(scan(text, provider: provider, cuts: Array(1..<count)) == counts, "one byte at a time")
        }
    }

    @Test func acceptsCRLFLineEnds() {
        let crlf = openAI.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\r\n")
        #expect(scan(crlf, provider: .openai) == Counts(events: 7, tokens: 3, complete: true))
        #expect(scan(crlf, provider: .openai, cuts: [150, 151, 152, 300]) == Counts(events: 7, tokens: 3, complete: true))
    }

    @Test func doesNotDispatchAnEventCutOffByTheEndOfTheBody() {
        let cut = "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n"
        #expect(scan(cut, provider: .openai) == Counts(events: 1, tokens: 1, complete: false))
    }

    @Test func anErrorEventMakesTheStreamIncomplete() {
        let openAIError = "data: {\"error\":{\"message\":\"boom\"}}\n\ndata: [DONE]\n\n"
        #expect(scan(openAIError, provider: .openai) == Counts(events: 2, tokens: 0, complete: false))
        let anthropicError = "event: error\ndata: {\"type\":\"error\",\"error\":{}}\n\nevent: message_stop\ndata: {}\n\n"
        #expect(scan(anthropicError, provider: .anthropic) == Counts(events: 2, tokens: 0, complete: false))
    }

    @Test func ignoresCommentsAndOtherFields() {
        let text = ": keep-alive\n\nid: 1\nretry: 10\ndata: {\"content\":\"x\"}\n\ndata: [DONE]\n\n"
        #expect(scan(text, provider: .openai) == Counts(events: 2, tokens: 1, complete: true))
    }

    @Test func resetKeepsNothingOfTheLastStream() {
        var scanner = SSEScanner(provider: .openai)
        Array("data: {\"content\":\"x\"}\n\ndata: [DO".utf8).withUnsafeBytes { scanner.scan($0) }
        scanner.reset()
        Array("data: [DONE]\n\n".utf8).withUnsafeBytes { scanner.scan($0) }
        #expect(scanner.events == 1 && scanner.tokenEvents == 0 && scanner.isComplete)
    }
}
