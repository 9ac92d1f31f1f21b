import MockLLMCore
import MockLLMScript

/// A stream with a scripted fault: after `fault.after` events of the real stream it stalls,
/// closes or resets the connection, ends early, slips in a malformed event, or sends the
/// protocol's error event and ends. (A slow first token is the schedule's, not this wrapper's.)
struct FaultyStream<Inner: EventSource>: EventSource {
    private var inner: Inner
    private let fault: StreamFault
    /// The provider's mid-stream error event and a malformed event, complete with framing.
    private let errorEvent: ByteBuffer
    private let malformedEvent: ByteBuffer
    private var written = 0
    private var cutDone = false
    private var special: ByteBuffer?
    private var endAfterSpecial = false
    private(set) var ending = StreamEnding.complete

    init(_ inner: Inner, fault: StreamFault, errorEvent: ByteBuffer, malformedEvent: ByteBuffer) {
        self.inner = inner
        self.fault = fault
        self.errorEvent = errorEvent
        self.malformedEvent = malformedEvent
    }

    /// "Forever": past any stream's time limit, so the connection cuts it at that limit.
    static var forever: UInt64 { UInt64.max / 4 }

    mutating func nextDelay() -> UInt64? {
        if endAfterSpecial && special == nil { return nil }
        if !cutDone, written >= fault.after, let cut = fault.cut {
            cutDone = true
            switch cut {
            case .stall(let nanoseconds):
                guard let delay = inner.nextDelay() else { return nil }
                let stall = nanoseconds ?? Self.forever
                return delay > UInt64.max - stall ? UInt64.max : delay + stall
            case .disconnect:
                ending = .close
                return nil
            case .reset:
                ending = .reset
                return nil
            case .truncate:
                return nil
            case .malformed:
                special = malformedEvent
                return 0
            case .error, .contentFilter:  // streamReply turns a content filter it leaves to this wrapper into an error
                special = errorEvent
                endAfterSpecial = true
                return 0
            }
        }
        return inner.nextDelay()
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        if let bytes = special {
            out.append(bytes)
            special = nil
            return
        }
        inner.writeNext(into: &out)
        written += 1
    }
}
