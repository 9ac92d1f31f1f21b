/// Reads a stream's body in its provider's framing: server-sent events (`SSEScanner`), or
/// NDJSON lines for Ollama (`NDJSONScanner`), AWS event stream messages for Bedrock
/// (`EventStreamScanner`). One per `StreamClient`, reset for each stream.
struct BodyScanner {
    private var sse: SSEScanner?
    private var ndjson: NDJSONScanner?
    private var eventStream: EventStreamScanner?

    init(provider: BenchProvider) {
        switch provider.framing {
        case .sse: sse = SSEScanner(provider: provider)
        case .ndjson: ndjson = NDJSONScanner(provider: provider)
        case .eventStream: eventStream = EventStreamScanner()
        case .webSocket: break  // RealtimeClient reads its frames
        }
    }

    /// The stream's events so far, and how it ended once its body has.
    var tally: StreamTally { sse?.tally ?? ndjson?.tally ?? eventStream?.tally ?? StreamTally() }

    mutating func reset() {
        sse?.reset()
        ndjson?.reset()
        eventStream?.reset()
    }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        sse?.scan(bytes)
        ndjson?.scan(bytes)
        eventStream?.scan(bytes)
    }

    /// The body is complete (events still pending are judged as their framing says).
    mutating func endOfBody() {
        sse?.endOfBody()
        ndjson?.endOfBody()
        eventStream?.endOfBody()
    }
}
