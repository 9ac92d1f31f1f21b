import CLibUV
import MockLLMCore

#if canImport(Glibc)
import Glibc
#endif

extension Connection {
    /// Writes `out` (then empties it for reuse): `uv_try_write` first, and only the part the
    /// kernel did not take is copied into a queued write request.
    func send(_ out: inout ByteBuffer) {
        write(out)
        server.recycle(&out)
        if closeWhenFlushed && !closing && uv_stream_get_write_queue_size(stream) == 0 {
            startLingeringClose()
        }
    }

    /// Hands `bytes` to the socket now: whatever the kernel does not take is queued.
    func write(_ bytes: ByteBuffer) {
        guard !bytes.isEmpty, !closing else { return }
        let rc = bytes.withUnsafeReadableBytes { StreamWrite.send($0, on: stream, done: onWriteDone) }
        if rc != 0 { close() }
    }

    func writeCompleted(status: Int32) {
        if closing { return }
        if status < 0 { return close() }
        let queued = uv_stream_get_write_queue_size(stream)
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
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        if uv_shutdown(request, stream, onShutdownDone) != 0 {
            request.deallocate()
            return close()
        }
        resumeReading()
        closeAfter(milliseconds: server.options.lingerMilliseconds)
    }

    /// Closes the socket and timer now; pending writes are cancelled.
    func close() {
        guard !closing else { return }
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
        uv_close(mockllm_tcp_as_handle(tcp), onConnectionHandleClosed)
        if let lingerTimer { uv_close(mockllm_timer_as_handle(lingerTimer), onConnectionHandleClosed) }
    }

    /// Closes with an RST (SO_LINGER 0): a scripted connection reset.
    func reset() {
        var fd = uv_os_fd_t()
        if uv_fileno(mockllm_tcp_as_handle(tcp), &fd) == 0 {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        close()
    }

    func handleClosed() {
        openHandles -= 1
        if openHandles == 0 { server.remove(self) }
    }
}

private func onWriteDone(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request else { return }
    let data = request.pointee.handle.pointee.data
    StreamWrite.release(request)
    guard let data else { return }
    Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue().writeCompleted(status: status)
}

private func onShutdownDone(_ request: UnsafeMutablePointer<uv_shutdown_t>?, _ status: Int32) {
    request?.deallocate()
}

private func onConnectionHandleClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    let data = handle.pointee.data
    if handle.pointee.type == UV_TCP {
        handle.withMemoryRebound(to: uv_tcp_t.self, capacity: 1) { $0.deallocate() }
    } else {
        handle.withMemoryRebound(to: uv_timer_t.self, capacity: 1) { $0.deallocate() }
    }
    guard let data else { return }
    Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue().handleClosed()
}
