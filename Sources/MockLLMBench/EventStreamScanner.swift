import MockLLMCore

/// Reads an AWS event stream (Bedrock's `ConverseStream`) as its body arrives in pieces cut
/// anywhere (`EventStreamDecoder`: lengths, both checksums and the headers checked), and tallies
/// its messages: a `contentBlockDelta` event is a token, `messageStop` the end, a message of
/// `:message-type` `exception` (or `error`) an error; a payload that is not well-formed JSON, a
/// message that fails its checks, or one cut off by the end of the body is malformed (every
/// AWS SDK raises on those). Messages are read where they lie; only a message cut by a read is
/// copied, into a buffer kept for the next stream.
struct EventStreamScanner {
    private(set) var tally = StreamTally()
    private var decoder = EventStreamDecoder()

    mutating func reset() {
        tally = StreamTally()
        decoder.reset()
    }

    mutating func scan(_ bytes: UnsafeRawBufferPointer) {
        var tally = self.tally
        if decoder.feed(bytes, { tally.record(Self.meaning(of: $0)) }) != nil { tally.markMalformed() }
        self.tally = tally
    }

    /// The body ended: a message still incomplete was cut off.
    mutating func endOfBody() {
        if decoder.hasPartialMessage { tally.markMalformed() }
    }

    static func meaning(of frame: EventStreamFrame) -> EventMeaning {
        guard JSONWalk.isWellFormed(frame.payload) else { return .malformed }
        if let kind = frame.value(of: ":message-type"), !kind.equals("event") { return .error }
        guard let type = frame.value(of: ":event-type") else { return [] }
        if type.equals("contentBlockDelta") { return .token }
        return type.equals("messageStop") ? .end : []
    }
}
