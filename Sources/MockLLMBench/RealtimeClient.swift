import MockLLMCore
import MockLLMLoop

/// One slot of a `--provider realtime` load: each "stream" is one OpenAI Realtime session on a
/// connection of its own. It sends the opening handshake, checks the 101 and its accept value,
/// sends the plan's events (`session.update`, `conversation.item.create`, `response.create`)
/// as masked text frames, reads the server's frames with the core's parser in the client role,
/// and counts `response.output_audio.delta` events as tokens (`BenchProvider.realtimeEvent`).
/// At `response.done` it closes (1000) and the session completes when the server's close
/// frame arrives; the connection is then closed.
///
/// Timing as `StreamClient`'s: TTFT from the events written to the first audio delta; ITL
/// between reads that carry deltas (0 for further deltas in the same read).
final class RealtimeClient: BenchSlot, TCPClientConnectionDelegate {
    private enum Step {
        /// Waiting for the 101.
        case handshake
        /// Upgraded: reading the session's events.
        case session
        /// `response.done` came (or the server closed first): waiting for the close handshake.
        case closing
    }

    unowned let runner: BenchRunner
    private var connection: TCPClientConnection?
    private(set) var phase = BenchSlotPhase.idle
    private var step = Step.handshake
    private(set) var startedAt: UInt64 = 0
    private var head: [UInt8] = []
    private var parser = WebSocketFrameParser(role: .client)
    private var tally = StreamTally()
    private var writtenAt: UInt64 = 0
    private var timing = TokenTiming()
    /// When `response.done` came: the session's end as measured.
    private var doneAt: UInt64 = 0
    private var maskState: UInt32

    private static let expectedAccept = WebSocketHandshake.accept(key: BenchRequest.webSocketKey)

    init(runner: BenchRunner) {
        self.runner = runner
        maskState = UInt32(truncatingIfNeeded: EventLoop.hrtime) | 1
    }

    func start(at now: UInt64) {
        startedAt = now
        head.removeAll(keepingCapacity: true)
        parser = WebSocketFrameParser(role: .client)
        tally = StreamTally()
        timing.reset()
        step = .handshake
        phase = .connecting
        let fresh = TCPClientConnection(loop: runner.loop, readBuffer: runner.readBuffer, delegate: self)
        connection = fresh
        fresh.connect(to: runner.address)
    }

    func connectionDidConnect(_ connection: TCPClientConnection) {
        guard connection === self.connection, phase == .connecting else { return }
        phase = .active
        _ = runner.plan.request.withUnsafeBytes { connection.write($0) }
    }

    func connection(_ connection: TCPClientConnection, didRead bytes: UnsafeRawBufferPointer) {
        guard connection === self.connection else { return }
        let now = EventLoop.hrtime
        runner.metrics.bytes += bytes.count
        guard phase == .active else { return dropConnection() }
        var frames = bytes
        if step == .handshake {
            // The head ends at the first blank line; what follows it is already frames.
            let before = head.count
            head.append(contentsOf: bytes)
            guard let end = Self.headEnd(head) else {
                if head.count > 64 * 1024 { fail(.malformed, at: now) }
                return
            }
            guard let parsed = try? head[..<end].withUnsafeBufferPointer({ try ResponseHead(parsing: $0) }) else {
                return fail(.malformed, at: now)
            }
            // A 101 names no rule (the session's responses do): any upgrade is worth asking
            // for mockllm's stats, which a server that is not mockllm refuses (no lateness then).
            var probe = parsed
            if probe.status == 101, probe.mockllmRule == nil { probe.mockllmRule = "" }
            runner.didReceiveHead(probe)
            guard parsed.status == 101 else { return fail(.status(parsed.status), at: now) }
            guard Self.acceptValue(in: head[..<end]) == Self.expectedAccept else { return fail(.malformed, at: now) }
            frames = UnsafeRawBufferPointer(rebasing: bytes[(end - before)...])
            step = .session
            sendEvents(on: connection)
        }
        let failure = parser.feed(frames) { event in
            switch event {
            case .message(.text(let text)):
                guard step == .session else { return }
                let meaning = text.withUnsafeReadableBytes { BenchProvider.realtimeEvent($0) }
                tally.record(meaning)
                if meaning.contains(.end) {
                    doneAt = now
                    step = .closing
                    sendClose(on: connection)
                }
            case .message(.binary):
                if step == .session { tally.record(.malformed) }
            case .ping(let data):
                write(.pong, payload: data, on: connection)
            case .pong:
                break
            case .close:
                if step == .session {
                    // The server closed before `response.done`: the session did not complete.
                    sendClose(on: connection)
                    doneAt = now
                    tally.markMalformed()
                }
                step = .closing
            }
        }
        timeTokens(at: now)
        if failure != nil { return fail(.malformed, at: now) }
        if parser.closed { finishSession() }
    }

    func connection(_ connection: TCPClientConnection, didCloseWith error: UVError?) {
        guard connection === self.connection else { return }
        self.connection = nil
        let now = EventLoop.hrtime
        switch phase {
        case .idle:
            return
        case .connecting:
            finish(.failed(.connect), at: now)
        case .active:
            if step == .closing {
                finishSession()  // the close frame may have been lost with the connection: done counts
            } else {
                finish(.failed(.closedEarly), at: now)
            }
        }
    }

    func cut(_ failure: BenchFailure, at now: UInt64) {
        guard phase != .idle else { return }
        fail(failure, at: now)
    }

    func closeConnection() {
        dropConnection()
    }

    // MARK: Sending

    private func sendEvents(on connection: TCPClientConnection) {
        var out = ByteBuffer()
        for message in runner.plan.messages {
            WebSocketFrame.append(.text, payload: message, maskKey: nextMask(), into: &out)
        }
        if out.withUnsafeReadableBytes({ connection.write($0) }) { writtenAt = EventLoop.hrtime }
    }

    private func sendClose(on connection: TCPClientConnection) {
        write(.close, payload: WebSocketFrame.closePayload(code: WebSocketFrame.CloseCode.normal, reason: ""), on: connection)
    }

    private func write(_ opcode: WebSocketFrame.Opcode, payload: ByteBuffer, on connection: TCPClientConnection) {
        var out = ByteBuffer()
        WebSocketFrame.append(opcode, payload: payload, maskKey: nextMask(), into: &out)
        _ = out.withUnsafeReadableBytes { connection.write($0) }
    }

    /// A fresh masking key per frame (xorshift: the server only unmasks; RFC 6455 10.3's
    /// unpredictability guards proxies a bench does not go through).
    private func nextMask() -> UInt32 {
        maskState ^= maskState << 13
        maskState ^= maskState >> 17
        maskState ^= maskState << 5
        return maskState
    }

    // MARK: Measuring

    private func timeTokens(at now: UInt64) {
        timing.record(tally, at: now, writtenAt: writtenAt, into: &runner.metrics)
    }

    /// The close handshake is done: the session counts as it ended at `response.done`.
    private func finishSession() {
        guard phase == .active else { return }
        dropConnection()
        finish(tally.failure.map(StreamOutcome.failed) ?? .completed, at: doneAt == 0 ? EventLoop.hrtime : doneAt)
    }

    private func fail(_ failure: BenchFailure, at now: UInt64) {
        dropConnection()
        finish(.failed(failure), at: now)
    }

    private func finish(_ outcome: StreamOutcome, at now: UInt64) {
        phase = .idle
        doneAt = 0
        runner.streamEnded(self, outcome, at: now)
    }

    private func dropConnection() {
        connection?.close()
        connection = nil
    }

    // MARK: The handshake's response

    /// The index just past the head's blank line, if it has arrived.
    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 3..<bytes.count where bytes[i] == 10 && bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13 {
            return i + 1
        }
        return nil
    }

    /// The `Sec-WebSocket-Accept` value of a response head.
    private static func acceptValue(in head: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: head, as: UTF8.self)
        for line in text.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == "sec-websocket-accept" {
                return line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            }
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var s = self
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }
}
