import MockLLMCore

/// Reading a stream body without a server: what the loop would write, event by event, without
/// waiting for the delays (it only records them).
extension EventSource {
    /// Every event of the stream, with the delay before it (nanoseconds), and how the stream ends.
    package func drained() -> (events: [(delay: UInt64, text: String)], ending: StreamEnding) {
        var source = self
        var events: [(delay: UInt64, text: String)] = []
        while let delay = source.nextDelay() {
            var out = ByteBuffer()
            source.writeNext(into: &out)
            events.append((delay, out.description))
        }
        return (events, source.ending)
    }
}

extension Reply {
    /// A stream reply's events, each with the delay before it; none for a reply that is not a
    /// stream (so a test that expects events fails on it).
    package var streamEvents: [(delay: UInt64, text: String)] {
        guard case .stream(let source) = body else { return [] }
        return source.drained().events
    }

    /// A stream reply's events, their text only.
    package var streamTexts: [String] { streamEvents.map(\.text) }

    /// A stream reply's events as bytes, each event whole (binary framings such as AWS's event
    /// stream are not text).
    package var streamEventBytes: [[UInt8]] {
        guard case .stream(var source) = body else { return [] }
        var events: [[UInt8]] = []
        while source.nextDelay() != nil {
            var out = ByteBuffer()
            source.writeNext(into: &out)
            events.append(out.bytes)
        }
        return events
    }
}
