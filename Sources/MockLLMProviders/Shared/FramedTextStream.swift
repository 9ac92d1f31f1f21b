import MockLLMCore
import MockLLMSimulation

/// A stream of a reply's text in a protocol described from outside (a declared provider's
/// templates, a custom provider's closures): an optional opening event sent at once, one event per
/// chunk of the text paced by the schedule, an optional closing event right after the last.
struct FramedTextStream: EventSource {
    typealias Frame = @Sendable (inout ByteBuffer) -> Void
    typealias ChunkFrame = @Sendable (_ chunk: Substring, _ index: Int, inout ByteBuffer) -> Void

    private var chunks: TextChunks
    private var schedule: StreamSchedule
    private let start: Frame?
    private let event: ChunkFrame
    private let end: Frame?
    private var pending: Substring?
    private var index = 0
    private var phase: Phase
    let firstPayloadEvent: Int

    private enum Phase { case start, chunks, end, done }

    init(text: String, chunking: Chunking, schedule: StreamSchedule, start: Frame?, event: @escaping ChunkFrame, end: Frame?) {
        chunks = TextChunks(text, chunking: chunking)
        self.schedule = schedule
        self.start = start
        self.event = event
        self.end = end
        phase = start == nil ? .chunks : .start
        firstPayloadEvent = start == nil ? 0 : 1
    }

    mutating func nextDelay() -> UInt64? {
        switch phase {
        case .start:
            return 0
        case .chunks:
            if let chunk = chunks.next() {
                pending = chunk
                return schedule.delay(before: chunk)
            }
            phase = .end
            return end == nil ? nil : 0
        case .end:
            return end == nil ? nil : 0
        case .done:
            return nil
        }
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        switch phase {
        case .start:
            start?(&out)
            phase = .chunks
        case .chunks:
            guard let chunk = pending else { return }
            pending = nil
            event(chunk, index, &out)
            index += 1
        case .end:
            end?(&out)
            phase = .done
        case .done:
            break
        }
    }
}
