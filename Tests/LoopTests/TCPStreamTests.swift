import MockLLMLoop
import Testing

/// Records what a `TCPStream` reports, and does what the test says on each event.
private final class Recorder: TCPStreamDelegate {
    enum Event: Equatable {
        case read(String)
        case end(error: Bool)
        case wrote(error: Bool)
        case timer
        case closed
    }

    var events: [Event] = []
    var onRead: (String) -> Void = { _ in }
    var onEnd: () -> Void = {}
    var onTimer: () -> Void = {}

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        events.append(.read(text))
        onRead(text)
    }

    func streamDidReachEnd(error: UVError?) {
        events.append(.end(error: error != nil))
        onEnd()
    }

    func streamDidWrite(error: UVError?) { events.append(.wrote(error: error != nil)) }

    func streamTimerFired() {
        events.append(.timer)
        onTimer()
    }

    func streamDidClose() { events.append(.closed) }

    /// Everything read, in one string (reads may split or join the peer's writes).
    var text: String {
        events.reduce(into: "") { if case .read(let part) = $1 { $0 += part } }
    }
}

/// One loop, a listener on an ephemeral loopback port, a client stream connected to it and the
/// server's stream for the accepted connection. The test sets up what each side does, then
/// `run()` runs the loop on this thread until every handle is closed.
private final class Pair {
    let loop: EventLoop
    let buffer = SharedReadBuffer()
    let client: TCPStream
    let clientEvents = Recorder()
    let serverEvents = Recorder()
    private(set) var server: TCPStream?
    private var listener: TCPListener?
    private var guardTimer: LoopTimer?
    /// How the client's connect went: nil until it is known.
    var connected: Bool?
    /// What the server side does once it has accepted the connection.
    var onAccept: (TCPStream) -> Void = { _ in }
    /// What the client side does once connected.
    var onConnect: (TCPStream) -> Void = { _ in }

    init() throws {
        loop = try EventLoop()
        client = TCPStream(loop: loop, readBuffer: buffer)
        client.delegate = clientEvents
    }

    func run(connectingToPort port: Int? = nil) throws {
        let listener = try TCPListener(loop: loop, host: "127.0.0.1", port: 0, backlog: 8, reusePort: false) { [unowned self] listener in
            let stream = TCPStream(loop: self.loop, readBuffer: self.buffer)
            stream.delegate = self.serverEvents
            self.server = stream
            try? stream.accept(from: listener)
            try? stream.startReading()
            self.listener?.close()
            self.onAccept(stream)
        }
        self.listener = listener
        // Not a timing assertion: only what keeps a broken test from hanging the run.
        let guardTimer = LoopTimer(loop: loop) { [unowned self] in
            Issue.record("the streams did not close within 10 s")
            self.listener?.close()
            self.client.close()
            self.server?.close()
        }
        guardTimer.unref()
        guardTimer.start(after: 10_000)
        self.guardTimer = guardTimer
        client.connect(to: try ResolvedAddress(host: "127.0.0.1", port: port ?? listener.port)) { [unowned self] error in
            self.connected = error == nil
            if error != nil {
                self.client.close()
                self.listener?.close()
                return
            }
            try? self.client.startReading()
            self.onConnect(self.client)
        }
        loop.run()
        guardTimer.close()
        loop.run()
        #expect(loop.openHandleCount == 0, "libuv handles left open")
    }
}

private func write(_ text: String, on stream: TCPStream) {
    var bytes = Array(text.utf8)
    bytes.withUnsafeMutableBytes { #expect((try? stream.write(UnsafeRawBufferPointer($0))) != nil) }
}

@Suite("TCP streams over loopback")
struct TCPStreamTests {
    @Test func whatOneSideWritesTheOtherReads() throws {
        let pair = try Pair()
        pair.onConnect = { write("ping", on: $0) }
        pair.serverEvents.onRead = { [unowned pair] _ in
            guard pair.serverEvents.text == "ping", let server = pair.server else { return }
            write("pong", on: server)
        }
        pair.clientEvents.onRead = { [unowned pair] _ in
            guard pair.clientEvents.text == "pong" else { return }
            pair.client.close()
        }
        pair.serverEvents.onEnd = { [unowned pair] in pair.server?.close() }
        try pair.run()
        #expect(pair.connected == true)
        #expect(pair.serverEvents.text == "ping")
        #expect(pair.clientEvents.text == "pong")
        #expect(pair.clientEvents.events.last == .closed)
        #expect(pair.serverEvents.events.last == .closed)
        #expect(pair.serverEvents.events.filter { $0 == .end(error: false) }.count == 1, "the client's close is an EOF")
    }

    @Test func aShutDownWriteSideIsTheEndOfInputForThePeerAfterWhatWasWritten() throws {
        let pair = try Pair()
        pair.onAccept = { server in
            write("last words", on: server)
            #expect((try? server.shutdownWrite()) != nil)
        }
        pair.clientEvents.onEnd = { [unowned pair] in pair.client.close() }
        pair.serverEvents.onEnd = { [unowned pair] in pair.server?.close() }
        try pair.run()
        #expect(pair.clientEvents.text == "last words")
        #expect(pair.clientEvents.events.contains(.end(error: false)))
        #expect(pair.serverEvents.events.contains(.end(error: false)), "reading went on after the shutdown")
    }

    @Test func aResetIsAnErrorForThePeer() throws {
        let pair = try Pair()
        pair.onConnect = { write("hello", on: $0) }
        pair.serverEvents.onRead = { [unowned pair] _ in pair.server?.reset() }
        pair.clientEvents.onEnd = { [unowned pair] in pair.client.close() }
        try pair.run()
        #expect(pair.clientEvents.events.contains(.end(error: true)))
        #expect(pair.serverEvents.events == [.read("hello"), .closed], "nothing is reported after a reset but the close")
    }

    @Test func theTimerFiresAndClosingClosesItToo() throws {
        let pair = try Pair()
        pair.onAccept = { $0.startTimer(milliseconds: 1) }
        pair.serverEvents.onTimer = { [unowned pair] in
            pair.server?.close()
            pair.client.close()
        }
        try pair.run()
        #expect(pair.serverEvents.events == [.timer, .closed], "the timer's handle closes with the socket's: one closed")
    }

    @Test func aTimerStartedAfterCloseIsNeverMade() throws {
        let pair = try Pair()
        pair.onAccept = { [unowned pair] server in
            server.close()
            server.startTimer(milliseconds: 1)  // would keep the loop alive and the stream unreleased
            pair.client.close()
        }
        try pair.run()
        #expect(pair.serverEvents.events == [.closed], "no timer fires and the stream closes once")
    }

    @Test func connectingWhereNothingListensFails() throws {
        // A port just released by a listener of our own: nothing listens there.
        let loop = try EventLoop()
        let probe = try TCPListener(loop: loop, host: "127.0.0.1", port: 0, backlog: 1, reusePort: false) { _ in }
        let port = probe.port
        probe.close()
        loop.run()
        let pair = try Pair()
        try pair.run(connectingToPort: port)
        #expect(pair.connected == false)
        #expect(pair.clientEvents.events == [.closed])
    }
}
