@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Every protocol bench speaks, against the bytes mockllm's providers stream for the request
/// bench sends: exact event and token counts, whatever the pieces the body arrives in and
/// whatever the line ends, and each stream fault counted as the failure it is.
@Suite("Bench protocols against mockllm's own streams")
struct BenchProtocolTests {
    typealias Counts = BenchStreams.Counts

    static let reply = "Hi!"

    /// Events and token events of a 3-character reply (one event per character):
    /// OpenAI role, 3 chunks, finish, `[DONE]`; Anthropic 3 opening events, 3 deltas, 3 closing;
    /// Responses created, in_progress, item and part added, 3 deltas, text done, part done, item
    /// done, completed; Gemini 3 chunks (also on Vertex AI, like Anthropic's events) (the last with `finishReason`); Ollama 3 lines and the done line;
    /// Azure OpenAI's as OpenAI's after its content-filter chunk.
    /// Bedrock messageStart, 3 deltas, contentBlockStop, messageStop, metadata.
    static func expected(_ provider: BenchProvider) -> Counts {
        switch provider {
        case .openai: Counts(events: 6, tokens: 3)
        case .anthropic, .vertexAnthropic: Counts(events: 9, tokens: 3)
        case .responses: Counts(events: 11, tokens: 3)
        case .gemini, .vertex: Counts(events: 3, tokens: 3)
        case .ollama: Counts(events: 4, tokens: 3)
        case .azure: Counts(events: 7, tokens: 3)
        case .bedrock: Counts(events: 7, tokens: 3)
        case .realtime: Counts(events: 0, tokens: 0)  // a WebSocket session: RealtimeBenchTests
        }
    }

    @Test(arguments: BenchProvider.allCases.filter { $0 != .realtime })
    func countsEveryEventOfTheServersStreamWhereverItIsCut(provider: BenchProvider) throws {
        let body = try BenchStreams.body(provider, reply: Self.reply)
        BenchStreams.expectSameCountsWhereverCut(body, provider, Self.expected(provider))
    }

    @Test(arguments: BenchProvider.allCases.filter { $0.framing == .sse }, ["\r\n", "\n", "\r"])
    func readsTheServersEventsWithAnyLineEnd(provider: BenchProvider, end: String) throws {
        let body = BenchStreams.lineEnds(try BenchStreams.body(provider, reply: Self.reply), end)
        BenchStreams.expectSameCountsWhereverCut(body, provider, Self.expected(provider))
    }

    @Test func geminiSeparatesEventsWithCRLF() throws {
        let body = String(decoding: try BenchStreams.body(.gemini, reply: Self.reply), as: UTF8.self)
        #expect(body.hasPrefix("data: {\"candidates\": ["))
        #expect(body.hasSuffix("}\r\n\r\n"))
    }

    @Test(arguments: BenchProvider.allCases.filter { $0 != .realtime })
    func anErrorEventFailsTheStream(provider: BenchProvider) throws {
        let body = try BenchStreams.body(provider, reply: Self.reply, headers: ["x-mockllm-fault: error:2"])
        // Two events of the stream, then the error event, then the end of the body.
        let tokens = [.gemini, .vertex, .ollama].contains(provider) ? 2 : [.openai, .bedrock].contains(provider) ? 1 : 0
        BenchStreams.expectSameCountsWhereverCut(body, provider, Counts(events: 3, tokens: tokens, failure: .errorEvent))
    }

    @Test(arguments: BenchProvider.allCases.filter { $0 != .realtime })
    func aTruncatedStreamIsMalformed(provider: BenchProvider) throws {
        let body = try BenchStreams.body(provider, reply: Self.reply, headers: ["x-mockllm-fault: truncate:2"])
        let tokens = [.gemini, .vertex, .ollama].contains(provider) ? 2 : [.openai, .bedrock].contains(provider) ? 1 : 0
        BenchStreams.expectSameCountsWhereverCut(body, provider, Counts(events: 2, tokens: tokens, failure: .malformed))
    }

    @Test(arguments: BenchProvider.allCases.filter { $0 != .realtime })
    func anEventThatIsNotJSONIsMalformed(provider: BenchProvider) throws {
        let body = try BenchStreams.body(provider, reply: Self.reply, headers: ["x-mockllm-fault: malformed:2"])
        // The broken event comes on top of the whole stream, and carries no token.
        var counts = Self.expected(provider)
        counts.events += 1
        counts.failure = .malformed
        BenchStreams.expectSameCountsWhereverCut(body, provider, counts)
    }
}

extension BenchStreams.Counts {
    init(events: Int, tokens: Int) {
        self.init(events: events, tokens: tokens, failure: nil)
    }
}
