import Glibc
import MockLLMLoop
import Testing

private final class PollRecorder: SocketPollDelegate {
    var seen: [SocketEvents] = []
    var onReady: (SocketPoll, SocketEvents) -> Void = { _, _ in }

    func socketPoll(_ poll: SocketPoll, events: SocketEvents, error: UVError?) {
        #expect(error == nil)
        seen.append(events)
        onReady(poll, events)
    }
}

@Suite struct SocketPollTests {
    /// A socket pair: the poll reports the writable end, then, once a byte is written to the
    /// other end, the readable one; closing the poll leaves the descriptor open and the loop empty.
    @Test func reportsReadinessAndClosesWithoutClosingTheDescriptor() throws {
        var fds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let loop = try EventLoop()
        let poll = try SocketPoll(loop: loop, socket: fds[0])
        let recorder = PollRecorder()
        poll.delegate = recorder
        recorder.onReady = { poll, events in
            if events.contains(.writable) {
                try? poll.watch(.readable)  // replaces what was watched
                var byte: UInt8 = 7
                _ = write(fds[1], &byte, 1)
            } else if events.contains(.readable) {
                poll.close()
            }
        }
        try poll.watch(.writable)
        loop.run()
        #expect(recorder.seen == [.writable, .readable])
        #expect(poll.isClosed)
        #expect(loop.openHandleCount == 0)
        var byte: UInt8 = 0
        #expect(read(fds[0], &byte, 1) == 1)  // still open, and the byte still unread
        #expect(byte == 7)
    }

    @Test func stoppedPollDoesNotKeepTheLoopAlive() throws {
        var fds: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let loop = try EventLoop()
        let poll = try SocketPoll(loop: loop, socket: fds[0])
        try poll.watch([.readable, .writable])
        poll.stop()
        loop.run()  // returns: a stopped poll is not active
        #expect(loop.openHandleCount == 1)
        poll.close()
        loop.run()
        #expect(loop.openHandleCount == 0)
    }
}
