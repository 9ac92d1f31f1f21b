@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMSimulation
import Testing

/// A stand-in stream: frames (delay 0) and tokens (delay 1), as an engine model's pacing marks them.
private struct Marked: EventSource {
    var events: [(delay: UInt64, text: String)]
    var index = -1

    mutating func nextDelay() -> UInt64? {
        index += 1
        return index < events.count ? events[index].delay : nil
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        out.append(ByteBuffer(events[index].text))
    }
}

@Suite("Engine streams")
struct EngineStreamTests {
    private func drained(_ events: [(UInt64, String)]) -> EngineStreamEvents {
        var source = Marked(events: events.map { (delay: $0.0, text: $0.1) })
        return EngineStreamEvents(draining: &source)
    }

    /// What the source releases with `tokens` produced, from where it stands.
    private func release(_ events: EngineStreamEvents, upTo tokens: Int) -> [String] {
        events.released = tokens
        var source = EngineStreamSource(events)
        var written: [String] = []
        while let delay = source.nextDelay(), delay != Reply.notReady {
            #expect(delay == 0)
            var out = ByteBuffer()
            source.writeNext(into: &out)
            written.append(out.description)
        }
        return written
    }

    @Test func framesGoWithTheFirstTokenAndTheEndWithTheLast() {
        let events = drained([(0, "role"), (1, "a"), (1, "b"), (0, "between"), (1, "c"), (0, "finish"), (0, "[DONE]")])
        #expect(events.tokens == 3)
        #expect(events.firstPayloadEvent == 1)
        var source = EngineStreamSource(events)
        #expect(source.nextDelay() == Reply.notReady, "nothing before the first token")
        #expect(release(events, upTo: 1) == ["role", "a"])
        #expect(release(events, upTo: 1) == [], "the next token is not produced yet")
        #expect(release(events, upTo: 2) == ["b"])
        #expect(release(events, upTo: 3) == ["between", "c", "finish", "[DONE]"])
        source = EngineStreamSource(events)
        #expect(source.nextDelay() == nil, "the stream has ended")
    }

    @Test func aReplyWithoutTokensIsReleasedWhole() {
        let events = drained([(0, "start"), (0, "stop")])
        #expect(events.tokens == 1)
        #expect(release(events, upTo: 1) == ["start", "stop"])
    }

    @Test func fillerHasExactlyTheTokensAskedForOneChunkEach() {
        for n in [1, 2, 7, 100, 1000] {
            let text = fillerText(tokens: n)
            #expect(TokenEstimator.count(text) == n)
            var chunks = TextChunks(text, chunking: .token)
            var count = 0
            while chunks.next() != nil { count += 1 }
            #expect(count == n)
        }
    }
}
