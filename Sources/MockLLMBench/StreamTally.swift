/// What one event of a stream says, for the counts: it carries generated text (a token event),
/// it is the stream's end marker, it reports an error, or it is not well-formed; none of these
/// for any other event. Several at once: Gemini's last chunk carries text and `finishReason`.
struct EventMeaning: OptionSet, Equatable {
    let rawValue: UInt8

    static let token = EventMeaning(rawValue: 1)
    static let end = EventMeaning(rawValue: 2)
    static let error = EventMeaning(rawValue: 4)
    static let malformed = EventMeaning(rawValue: 8)
}

/// The counts of one stream's events and what they tell about how it ended.
struct StreamTally: Equatable {
    private(set) var events = 0
    private(set) var tokenEvents = 0
    private var sawEnd = false
    private var sawError = false
    private var sawMalformed = false

    mutating func record(_ meaning: EventMeaning) {
        events += 1
        if meaning.contains(.token) { tokenEvents += 1 }
        if meaning.contains(.end) { sawEnd = true }
        if meaning.contains(.error) { sawError = true }
        if meaning.contains(.malformed) { sawMalformed = true }
    }

    /// Something that is not an event was wrong (a line over the size limit).
    mutating func markMalformed() {
        sawMalformed = true
    }

    /// Why the stream failed, once its body has ended: an error event, else a malformed event
    /// or a missing end marker; nil when it completed.
    var failure: BenchFailure? {
        if sawError { return .errorEvent }
        if sawMalformed || !sawEnd { return .malformed }
        return nil
    }
}
