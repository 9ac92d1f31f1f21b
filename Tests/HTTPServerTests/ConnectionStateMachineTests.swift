@testable import MockLLMHTTPServer
import Testing

/// The connection's decisions, without sockets: delayed replies and streams are plain strings.
private typealias Machine = ConnectionStateMachine<String, String>

private let limit = 64 * 1024
private let resumeAt = 128 * 1024

extension Machine {
    /// A machine that has parsed a request and started a stream.
    fileprivate static func streaming(_ stream: String = "s", now: UInt64 = 0) -> Machine {
        var m = Machine(now: now)
        #expect(m.bytesRead(now: now) == .parseRequests)
        #expect(m.requestParsed() == .answerRequest)
        m.streamStarted(stream)
        return m
    }

    /// A machine that has parsed a request whose reply waits for its delay.
    fileprivate static func delayed(_ reply: String = "d") -> Machine {
        var m = Machine(now: 0)
        #expect(m.requestParsed() == .answerRequest)
        m.delayedReplyStarted(reply)
        return m
    }

    /// A machine that has sent its last response, written whole: lingering.
    fileprivate static func lingering() -> Machine {
        var m = Machine(now: 0)
        m.replied(keepAlive: false)
        #expect(m.wrote(queued: 0) == .shutdownAndLinger(resumeReading: false))
        return m
    }
}

@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    // MARK: Requests and keep-alive

    @Test func bytesBetweenRequestsAreParsedAndResetTheIdleClock() {
        var m = Machine(now: 10)
        #expect(m.state == .idle)
        #expect(m.lastActivity == 10)
        #expect(m.bytesRead(now: 25) == .parseRequests)
        #expect(m.lastActivity == 25)
    }

    @Test func aKeepAliveReplyLeavesTheConnectionIdleForTheNextRequest() {
        var m = Machine(now: 0)
        #expect(m.requestParsed() == .answerRequest)
        m.replied(keepAlive: true)
        #expect(m.state == .idle)
        #expect(m.wrote(queued: 0) == .none, "a keep-alive connection does not close when its output is written")
        #expect(m.needMoreData(bufferedBytes: 0, now: 1) == .none)
        #expect(m.bytesRead(now: 2) == .parseRequests)
    }

    @Test func aReplyWithoutKeepAliveIsWrittenThenTheConnectionLingersThenCloses() {
        var m = Machine(now: 0)
        #expect(m.requestParsed() == .answerRequest)
        m.replied(keepAlive: false)
        #expect(m.state == .flushing(peerClosed: false))
        #expect(m.bytesRead(now: 1) == .none, "nothing after the last response is processed")
        #expect(m.wrote(queued: 500) == .none, "the write side stays open while output is queued")
        #expect(m.writeCompleted(failed: false, queued: 100, resumeAt: resumeAt) == .none)
        #expect(m.writeCompleted(failed: false, queued: 0, resumeAt: resumeAt) == .shutdownAndLinger(resumeReading: false))
        #expect(m.state == .lingering)
        #expect(m.bytesRead(now: 2) == .none, "lingering reads are discarded")
        #expect(m.peerClosed(cleanly: true, queued: 0) == .close(cutting: nil))
        #expect(m.state == .closed)
    }

    @Test func theLingerTimeEndsALingeringConnection() {
        var m = Machine.lingering()
        #expect(m.lingerExpired() == .close(cutting: nil))
        #expect(m.isClosed)
    }

    @Test func aDelayedReplyWithoutKeepAliveEndsInFlushing() {
        var m = Machine.delayed()
        m.replyEnded(keepAlive: false, now: 5)
        #expect(m.state == .flushing(peerClosed: false))
        #expect(m.lastActivity == 5)
    }

    // MARK: Pipelining

    @Test func pipelinedRequestsWaitWhileAReplyIsDelayed() {
        var m = Machine.delayed()
        #expect(m.state == .delayed("d"))
        #expect(m.bytesRead(now: 3) == .holdInput)
        #expect(m.lastActivity == 3)
        #expect(m.inputHeld(bufferedBytes: 1_000, limit: limit) == .none)
        #expect(m.deadlineDue() == .sendDelayedReply("d"))
        m.replyEnded(keepAlive: true, now: 4)
        #expect(m.isIdle, "idle again: the requests that waited are parsed next")
    }

    @Test func pipelinedRequestsWaitWhileAStreamRuns() {
        var m = Machine.streaming()
        #expect(m.bytesRead(now: 1) == .holdInput)
        #expect(m.deadlineDue() == .pumpStream("s"))
        #expect(m.timeoutCheck(now: 1_000_000, idleTimeout: 10, requestTimeout: 10, queued: 0) == .none,
                "no timeout while a reply is in progress")
        m.replyEnded(keepAlive: true, now: 2)
        #expect(m.isIdle)
        #expect(m.deadlineDue() == .none, "nothing is due between requests")
    }

    @Test func tooManyPipelinedBytesPauseReadingUntilTheyAreParsed() {
        var m = Machine.streaming()
        #expect(m.inputHeld(bufferedBytes: limit, limit: limit) == .none)
        #expect(m.inputHeld(bufferedBytes: limit + 1, limit: limit) == .pauseReading)
        #expect(m.readPaused)
        #expect(m.inputHeld(bufferedBytes: limit + 2, limit: limit) == .none, "paused once")
        m.replyEnded(keepAlive: true, now: 1)
        #expect(m.needMoreData(bufferedBytes: 10, now: 2) == .resumeReading)
        #expect(!m.readPaused)
        #expect(m.needMoreData(bufferedBytes: 10, now: 3) == .none)
    }

    @Test func readingPausedBehindALastReplyResumesToLinger() {
        var m = Machine.streaming()
        #expect(m.inputHeld(bufferedBytes: limit + 1, limit: limit) == .pauseReading)
        m.replyEnded(keepAlive: false, now: 1)
        #expect(m.wrote(queued: 0) == .shutdownAndLinger(resumeReading: true))
        #expect(!m.readPaused)
    }

    // MARK: The client goes away

    @Test func aClientThatClosesMidStreamCutsTheStream() {
        var m = Machine.streaming()
        #expect(m.peerClosed(cleanly: true, queued: 300) == .close(cutting: .stream("s")))
        #expect(m.isClosed)
        #expect(m.deadlineDue() == .none, "the stream left the schedule")
    }

    @Test func aClientThatClosesDuringADelayCutsTheDelayedReply() {
        var m = Machine.delayed()
        #expect(m.peerClosed(cleanly: true, queued: 0) == .close(cutting: .delayed("d")))
    }

    @Test func endOfInputBetweenRequestsClosesOnceTheOutputIsWritten() {
        var m = Machine(now: 0)
        #expect(m.peerClosed(cleanly: true, queued: 10) == .stopReading)
        #expect(m.state == .flushing(peerClosed: true))
        #expect(m.writeCompleted(failed: false, queued: 0, resumeAt: resumeAt) == .close(cutting: nil),
                "no lingering for a peer that has closed")

        var empty = Machine(now: 0)
        #expect(empty.peerClosed(cleanly: true, queued: 0) == .close(cutting: nil))
    }

    @Test func endOfInputWhileFlushingClosesOnceTheOutputIsWritten() {
        var m = Machine(now: 0)
        m.replied(keepAlive: false)
        #expect(m.peerClosed(cleanly: true, queued: 10) == .stopReading)
        #expect(m.wrote(queued: 0) == .close(cutting: nil))
    }

    @Test func aReadErrorClosesAtOnceWhateverIsQueued() {
        var m = Machine(now: 0)
        #expect(m.peerClosed(cleanly: false, queued: 10) == .close(cutting: nil))
        var lingering = Machine.lingering()
        #expect(lingering.peerClosed(cleanly: false, queued: 0) == .close(cutting: nil))
    }

    @Test func aRefusedWriteClosesAndCutsTheStream() {
        var m = Machine.streaming()
        #expect(m.writeCompleted(failed: true, queued: 0, resumeAt: resumeAt) == .close(cutting: .stream("s")))
    }

    // MARK: Draining

    @Test func drainingBetweenRequestsClosesAtOnceWhenNothingIsQueued() {
        var m = Machine(now: 0)
        #expect(m.drain(queued: 0) == .close(cutting: nil))
    }

    @Test func drainingBetweenRequestsWithOutputQueuedClosesAfterIt() {
        var m = Machine(now: 0)
        #expect(m.drain(queued: 10) == .none)
        #expect(m.state == .flushing(peerClosed: false))
        #expect(m.bytesRead(now: 1) == .none, "no further request is read")
        #expect(m.writeCompleted(failed: false, queued: 0, resumeAt: resumeAt) == .shutdownAndLinger(resumeReading: false))
    }

    @Test func drainingDuringAStreamLetsItFinishThenCloses() {
        var m = Machine.streaming()
        #expect(m.drain(queued: 100) == .none)
        #expect(m.state == .streaming("s", paused: false), "the stream goes on")
        #expect(m.deadlineDue() == .pumpStream("s"))
        m.replyEnded(keepAlive: true, now: 1)
        #expect(m.state == .flushing(peerClosed: false), "no next request: the connection ends")
        #expect(m.wrote(queued: 0) == .shutdownAndLinger(resumeReading: false))
    }

    @Test func drainingDuringADelayedReplyLetsItGoOutThenCloses() {
        var m = Machine.delayed()
        #expect(m.drain(queued: 0) == .none)
        #expect(m.deadlineDue() == .sendDelayedReply("d"))
        m.replyEnded(keepAlive: true, now: 1)
        #expect(m.state == .flushing(peerClosed: false))
    }

    @Test func drainingEndsALingeringConnectionAtOnce() {
        var m = Machine.lingering()
        #expect(m.drain(queued: 0) == .close(cutting: nil))
    }

    // MARK: Refusals

    @Test func aRefusedRequestIsAnsweredOnceThenTheConnectionLingers() {
        var m = Machine(now: 0)
        #expect(m.bytesRead(now: 1) == .parseRequests)
        m.parseFailed()
        #expect(m.state == .flushing(peerClosed: false))
        #expect(m.bytesRead(now: 2) == .none, "nothing after a refused request is processed")
        #expect(m.timeoutCheck(now: 1_000_000, idleTimeout: 1, requestTimeout: 1, queued: 0) == .none)
        #expect(m.wrote(queued: 0) == .shutdownAndLinger(resumeReading: false))
        #expect(m.bytesRead(now: 3) == .none)
        #expect(m.lingerExpired() == .close(cutting: nil))
    }

    @Test func overTheConnectionLimitTheFirstRequestGets503ThenTheConnectionLingers() {
        var m = Machine(overLimit: true, now: 0)
        #expect(m.bytesRead(now: 1) == .parseRequests)
        #expect(m.requestParsed() == .refuseOverLimit)
        #expect(m.state == .flushing(peerClosed: false))
        #expect(m.wrote(queued: 0) == .shutdownAndLinger(resumeReading: false))
    }

    // MARK: Backpressure

    @Test func aStreamPausesWhileItsClientReadsSlowlyAndResumesAtHalfTheMark() {
        var m = Machine.streaming()
        m.streamBlocked()
        #expect(m.state == .streaming("s", paused: true))
        #expect(m.deadlineDue() == .none, "a paused stream produces nothing")
        #expect(m.writeCompleted(failed: false, queued: resumeAt + 1, resumeAt: resumeAt) == .none)
        #expect(m.writeCompleted(failed: false, queued: resumeAt, resumeAt: resumeAt) == .resumeStream("s"))
        #expect(m.state == .streaming("s", paused: false))
        #expect(m.writeCompleted(failed: false, queued: 0, resumeAt: resumeAt) == .none, "resumed once")
    }

    @Test func aPausedStreamWhoseClientLeavesIsCut() {
        var m = Machine.streaming()
        m.streamBlocked()
        #expect(m.peerClosed(cleanly: true, queued: 200_000) == .close(cutting: .stream("s")))
    }

    // MARK: Timeouts

    @Test func anIdleConnectionClosesAfterTheIdleTimeoutOnceNothingIsQueued() {
        var m = Machine(now: 1_000)
        #expect(m.timeoutCheck(now: 75_999, idleTimeout: 75_000, requestTimeout: 30_000, queued: 0) == .none)
        #expect(m.timeoutCheck(now: 76_000, idleTimeout: 75_000, requestTimeout: 30_000, queued: 5) == .none)
        #expect(m.timeoutCheck(now: 76_000, idleTimeout: 75_000, requestTimeout: 30_000, queued: 0) == .close(cutting: nil))
    }

    @Test func readingAndRepliesRestartTheIdleClock() {
        var m = Machine(now: 0)
        #expect(m.bytesRead(now: 50_000) == .parseRequests)
        #expect(m.timeoutCheck(now: 100_000, idleTimeout: 75_000, requestTimeout: 30_000, queued: 0) == .none)
        m.streamStarted("s")
        m.replyEnded(keepAlive: true, now: 200_000)
        #expect(m.timeoutCheck(now: 274_999, idleTimeout: 75_000, requestTimeout: 30_000, queued: 0) == .none)
    }

    @Test func aRequestThatDoesNotArriveWholeInTimeGets408() {
        var m = Machine(now: 0)
        #expect(m.needMoreData(bufferedBytes: 10, now: 1_000) == .none)
        #expect(m.requestStarted == 1_000)
        #expect(m.needMoreData(bufferedBytes: 20, now: 20_000) == .none)
        #expect(m.requestStarted == 1_000, "the clock runs from the request's first byte")
        #expect(m.timeoutCheck(now: 30_999, idleTimeout: 75_000, requestTimeout: 30_000, queued: 0) == .none)
        #expect(m.timeoutCheck(now: 31_000, idleTimeout: 75_000, requestTimeout: 30_000, queued: 0) == .answerRequestTimeout)
        #expect(m.state == .flushing(peerClosed: false))
    }

    @Test func aRequestThatArrivesStopsTheRequestClock() {
        var m = Machine(now: 0)
        _ = m.needMoreData(bufferedBytes: 10, now: 1_000)
        #expect(m.requestParsed() == .answerRequest)
        #expect(m.requestStarted == 0)
        m.replied(keepAlive: true)
        _ = m.needMoreData(bufferedBytes: 0, now: 40_000)
        #expect(m.timeoutCheck(now: 40_000, idleTimeout: 75_000, requestTimeout: 30_000, queued: 0) == .none)
    }

    // MARK: Closing

    @Test func aScriptedResetCutsTheStreamWithAnRST() {
        var m = Machine.streaming()
        #expect(m.reset() == .reset(cutting: .stream("s")))
        #expect(m.isClosed)
        #expect(m.reset() == .none)
    }

    @Test func closedIsFinal() {
        var m = Machine.streaming()
        #expect(m.close() == .close(cutting: .stream("s")))
        #expect(m.close() == .none)
        #expect(m.reset() == .none)
        #expect(m.bytesRead(now: 1) == .none)
        #expect(m.peerClosed(cleanly: true, queued: 0) == .none)
        #expect(m.peerClosed(cleanly: false, queued: 0) == .none)
        #expect(m.writeCompleted(failed: true, queued: 0, resumeAt: resumeAt) == .none)
        #expect(m.writeCompleted(failed: false, queued: 0, resumeAt: resumeAt) == .none)
        #expect(m.wrote(queued: 0) == .none)
        #expect(m.drain(queued: 0) == .none)
        #expect(m.timeoutCheck(now: .max, idleTimeout: 0, requestTimeout: 0, queued: 0) == .none)
        #expect(m.lingerExpired() == .none)
        #expect(m.deadlineDue() == .none)
        #expect(m.state == .closed)
    }
}

/// The WebSocket mode's transitions: frames are read, deadlines pump the session, backpressure
/// pauses it, draining asks for a 1001, the sweep checks its clocks, and the end of the close
/// handshake leads to the usual flush and linger.
@Suite("Connection state machine: WebSocket")
struct ConnectionStateMachineWebSocketTests {
    private static func upgraded() -> Machine {
        var m = Machine(now: 0)
        #expect(m.requestParsed() == .answerRequest)
        m.webSocketStarted()
        #expect(m.state == .webSocket(paused: false))
        return m
    }

    @Test func bytesAreFramesAndDeadlinesPumpTheSession() {
        var m = Self.upgraded()
        #expect(m.bytesRead(now: 5) == .readFrames)
        #expect(m.lastActivity == 5)
        #expect(m.deadlineDue() == .pumpWebSocket)
        #expect(m.woken() == .pumpWebSocket)
    }

    @Test func aBackedUpSocketPausesTheSessionUntilTheClientReads() {
        var m = Self.upgraded()
        m.webSocketBlocked()
        #expect(m.state == .webSocket(paused: true))
        #expect(m.deadlineDue() == .none)
        #expect(m.writeCompleted(failed: false, queued: resumeAt + 1, resumeAt: resumeAt) == .none)
        #expect(m.writeCompleted(failed: false, queued: resumeAt, resumeAt: resumeAt) == .resumeWebSocket)
        #expect(m.state == .webSocket(paused: false))
    }

    @Test func drainingAsksForTheCloseHandshake() {
        var m = Self.upgraded()
        #expect(m.drain(queued: 0) == .drainWebSocket)
        #expect(m.draining)
    }

    @Test func theSweepChecksTheSessionsClocksNotTheHTTPTimeouts() {
        var m = Self.upgraded()
        #expect(m.timeoutCheck(now: 1_000_000, idleTimeout: 1, requestTimeout: 1, queued: 0) == .checkWebSocket)
    }

    @Test func theEndOfTheCloseHandshakeFlushesThenLingers() {
        var m = Self.upgraded()
        m.webSocketEnded()
        #expect(m.state == .flushing(peerClosed: false))
        #expect(m.bytesRead(now: 1) == .none)
        #expect(m.wrote(queued: 0) == .shutdownAndLinger(resumeReading: false))
    }

    @Test func aPeerThatGoesAwayCutsTheSession() {
        var m = Self.upgraded()
        #expect(m.peerClosed(cleanly: true, queued: 0) == .close(cutting: .webSocket))
        var n = Self.upgraded()
        #expect(n.close() == .close(cutting: .webSocket))
        #expect(n.close() == .none)
    }
}
