@testable import MockLLMHTTPServer
import MockLLMCore
import Testing

/// Push-driven replies (`Reply.Body.pushed`, `.deferred`): the machine's part, without sockets,
/// and the `ReplyLink` between the connection and the feeder.
private typealias Machine = ConnectionStateMachine<String, String>

@Suite("Pushed and deferred replies")
struct PushedReplyTests {
    private func parsed() -> Machine {
        var m = Machine(now: 0)
        #expect(m.bytesRead(now: 0) == .parseRequests)
        #expect(m.requestParsed() == .answerRequest)
        return m
    }

    @Test func aWakeDeliversTheDeferredReplyOrPumpsTheStream() {
        var deferred = parsed()
        deferred.delayedReplyStarted("d")
        #expect(deferred.woken() == .sendDelayedReply("d"))
        var stream = parsed()
        stream.streamStarted("s")
        #expect(stream.woken() == .pumpStream("s"))
    }

    @Test func aWakeWhileTheClientReadsSlowlyWaitsForTheResume() {
        var m = parsed()
        m.streamStarted("s")
        m.streamBlocked()
        #expect(m.woken() == .none, "a paused stream goes on when the client has read, not when fed")
        #expect(m.writeCompleted(failed: false, queued: 0, resumeAt: 10) == .resumeStream("s"))
        #expect(m.woken() == .pumpStream("s"))
    }

    @Test func aWakeBetweenRequestsOrAfterTheEndDoesNothing() {
        var m = Machine(now: 0)
        #expect(m.woken() == .none)
        m = parsed()
        m.streamStarted("s")
        m.replyEnded(keepAlive: false, now: 5)
        #expect(m.woken() == .none)
        _ = m.close()
        #expect(m.woken() == .none)
    }

    @Test func aSuppliedDeferredReplyBeginsAsANewReplyAndResetsTheIdleClock() {
        var m = parsed()
        m.delayedReplyStarted("d")
        m.deferredReplySupplied(now: 40)
        #expect(m.state == .idle)
        #expect(m.lastActivity == 40, "the time waiting for the feeder is not idle time")
        m.streamStarted("s")
        #expect(m.state == .streaming("s", paused: false))
    }

    @Test func suppliedOutsideADeferredReplyChangesNothing() {
        var m = parsed()
        m.streamStarted("s")
        m.deferredReplySupplied(now: 9)
        #expect(m.state == .streaming("s", paused: false))
    }

    @Test func aClientThatGoesAwayCutsTheReplyWaitingForItsFeeder() {
        var m = parsed()
        m.delayedReplyStarted("d")
        #expect(m.peerClosed(cleanly: true, queued: 0) == .close(cutting: .delayed("d")))
        var s = parsed()
        s.streamStarted("s")
        #expect(s.peerClosed(cleanly: false, queued: 0) == .close(cutting: .stream("s")))
    }

    @Test func aDrainWaitsForTheFeederThenCloses() {
        var m = parsed()
        m.delayedReplyStarted("d")
        #expect(m.drain(queued: 0) == .none)
        m.deferredReplySupplied(now: 1)
        m.streamStarted("s")
        #expect(m.draining, "the drain mark survives the supply")
        m.replyEnded(keepAlive: true, now: 2)
        #expect(m.state == .flushing(peerClosed: false))
        var cut = parsed()
        cut.delayedReplyStarted("d")
        _ = cut.drain(queued: 0)
        #expect(cut.close() == .close(cutting: .delayed("d")), "at the drain's deadline the waiting reply is cut")
    }
}

/// A stand-in for the connection: counts wakes.
private final class Woken: ReplyLinkTarget {
    var count = 0
    func replyLinkWoken() { count += 1 }
}

@Suite("Reply link")
struct ReplyLinkTests {
    @Test func wakesReachTheAttachedTargetOnly() {
        let link = ReplyLink()
        let target = Woken()
        link.wake()
        link.attach(target)
        link.wake()
        link.wake()
        #expect(target.count == 2)
        link.detach()
        link.wake()
        #expect(target.count == 2)
    }

    @Test func aSuppliedReplyIsTakenOnceAndWakes() {
        let link = ReplyLink()
        let target = Woken()
        link.attach(target)
        link.supply(Reply.json(429, ByteBuffer("{}")))
        #expect(target.count == 1)
        #expect(link.takeSupplied()?.status == 429)
        #expect(link.takeSupplied() == nil)
    }

    @Test func aCutTellsTheFeederOnceAndRefusesLaterSupplies() {
        var cuts = 0
        let link = ReplyLink { cuts += 1 }
        let target = Woken()
        link.attach(target)
        link.cut()
        link.cut()
        #expect(cuts == 1)
        #expect(link.isClosed)
        link.supply(Reply.json(200, ByteBuffer("{}")))
        #expect(link.takeSupplied() == nil)
        #expect(target.count == 0)
    }

    @Test func aClosedLinkIsNotCut() {
        var cuts = 0
        let link = ReplyLink { cuts += 1 }
        link.close()
        link.cut()
        #expect(cuts == 0, "a reply the feeder completed is not cancelled when its connection closes")
    }
}
