import MockLLMCore
import MockLLMLoop

extension Connection {
    /// Writes `out` (then empties it for reuse): `uv_try_write` first, and only the part the
    /// kernel did not take is copied into a queued write request.
    func send(_ out: inout ByteBuffer) {
        write(out)
        server.recycle(&out)
        if closeWhenFlushed && !closing && socket.writeQueueSize == 0 {
            startLingeringClose()
        }
    }

    /// Hands `bytes` to the socket now: whatever the kernel does not take is queued.
    func write(_ bytes: ByteBuffer) {
        guard !bytes.isEmpty, !closing else { return }
        if !bytes.withUnsafeReadableBytes({ socket.write($0) }) { close() }
    }

    func writeCompleted(failed: Bool) {
        if closing { return }
        if failed { return close() }
        let queued = socket.writeQueueSize
        if queued == 0 && closeWhenFlushed {
            startLingeringClose()
        } else if case .streaming(let run) = phase, run.paused, queued <= server.options.writeHighWaterMark / 2 {
            resumeAfterBackpressure(run)
        }
    }

    /// Sends FIN after the last response and keeps reading (discarding) until the client
    /// closes or the linger time passes. Closing at once could make the kernel answer unread
    /// request bytes with a reset that destroys the response before the client reads it.
    func startLingeringClose() {
        guard !lingering, !closing else { return }
        lingering = true
        if peerClosed { return close() }
        if !socket.shutdownWrite() { return close() }
        resumeReading()
        socket.startTimer(milliseconds: server.options.lingerMilliseconds)
    }

    /// Closes the socket and timer now; pending writes are cancelled.
    func close() {
        guard endReply() else { return }
        socket.close()
    }

    /// Closes with an RST (SO_LINGER 0): a scripted connection reset.
    func reset() {
        guard endReply() else { return }
        socket.reset()
    }

    /// What closing does besides the socket: a reply in progress is reported cut and leaves the
    /// schedule. False when the connection was already closing.
    private func endReply() -> Bool {
        guard !closing else { return false }
        closing = true
        switch phase {
        case .streaming(let run):
            server.stats.streamsAborted += 1
            report(run, aborted: true)
        case .delayed(let reply):
            report(reply, aborted: true)
        case .idle:
            break
        }
        phase = .idle
        server.deadlines.cancel(self)
        return true
    }
}
