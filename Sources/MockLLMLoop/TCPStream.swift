import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// What a `TCPStream` reports, on the loop thread. Nothing is reported once `close()` or
/// `reset()` has been called, except `streamDidClose`.
package protocol TCPStreamDelegate: AnyObject {
    /// Bytes arrived. They lie in the loop's shared read buffer: use them before returning.
    func streamDidRead(_ bytes: UnsafeRawBufferPointer)
    /// The peer closed its side (`error` false: EOF) or reading failed (`error` true).
    func streamDidReachEnd(error: Bool)
    /// A write that had to be queued is done (`failed`: the socket refused it).
    func streamDidWrite(failed: Bool)
    /// The timer of `startTimer(milliseconds:)` fired.
    func streamTimerFired()
    /// Every handle of the stream is closed: the last call.
    func streamDidClose()
}

/// One accepted TCP connection: reading into the loop's shared buffer, writing (`uv_try_write`
/// first, then a queued copy of the rest), shutting down the write side, closing (or resetting),
/// and one timer of its own, created only when first started.
///
/// Lifetime: its handles hold the stream from `init` until their close callbacks have run; the
/// delegate is not retained and must outlive the stream until `streamDidClose`.
package final class TCPStream {
    private let tcp: UnsafeMutablePointer<uv_tcp_t>
    private var timer: UnsafeMutablePointer<uv_timer_t>?
    private let loop: EventLoop
    fileprivate let readBuffer: SharedReadBuffer
    /// Set once, before the stream is used; unchecked, as nothing writes it while it is read.
    @exclusivity(unchecked) package unowned(unsafe) var delegate: (any TCPStreamDelegate)?
    private var openHandles = 1
    package private(set) var isClosing = false

    private var stream: UnsafeMutablePointer<uv_stream_t> { mockllm_tcp_as_stream(tcp) }

    package init(loop: EventLoop, readBuffer: SharedReadBuffer) {
        BrokenPipe.ignored
        self.loop = loop
        self.readBuffer = readBuffer
        tcp = .allocate(capacity: 1)
        uv_tcp_init(loop.raw, tcp)
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Takes the connection pending on `listener`; false when there is none (close the stream).
    package func accept(from listener: TCPListener) -> Bool {
        guard uv_accept(listener.stream, stream) == 0 else { return false }
        uv_tcp_nodelay(tcp, 1)
        return true
    }

    /// Starts (or resumes) reading; false when libuv refuses (close the stream).
    package func startReading() -> Bool {
        uv_read_start(stream, allocateStreamReadBuffer, onStreamRead) == 0
    }

    package func stopReading() {
        uv_read_stop(stream)
    }

    /// Writes `bytes`: whatever the kernel does not take at once is copied and queued. False
    /// when the socket refuses the write (close the stream).
    package func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        StreamWrite.send(bytes, on: stream, done: onStreamWriteDone) == 0
    }

    /// Bytes queued because the kernel did not take them yet.
    package var writeQueueSize: Int { uv_stream_get_write_queue_size(stream) }

    /// Sends FIN once what is queued is written; reading goes on. False when libuv refuses.
    package func shutdownWrite() -> Bool {
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        if uv_shutdown(request, stream, onStreamShutdownDone) != 0 {
            request.deallocate()
            return false
        }
        return true
    }

    /// (Re)starts the stream's one-shot timer: `streamTimerFired` after `milliseconds`.
    package func startTimer(milliseconds: UInt64) {
        if timer == nil {
            let t = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
            uv_timer_init(loop.raw, t)
            t.pointee.data = Unmanaged.passUnretained(self).toOpaque()
            timer = t
            openHandles += 1
        }
        uv_timer_start(timer, onStreamTimer, milliseconds, 0)
    }

    /// Closes the socket and the timer; queued writes are cancelled.
    package func close() {
        guard !isClosing else { return }
        isClosing = true
        uv_close(mockllm_tcp_as_handle(tcp), onStreamHandleClosed)
        if let timer { uv_close(mockllm_timer_as_handle(timer), onStreamHandleClosed) }
    }

    /// Closes with an RST (SO_LINGER 0) instead of a FIN: what a crashed peer looks like.
    package func reset() {
        var fd = uv_os_fd_t()
        if !isClosing, uv_fileno(mockllm_tcp_as_handle(tcp), &fd) == 0 {
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        }
        close()
    }

    fileprivate func didRead(_ nread: Int, _ base: UnsafeMutablePointer<CChar>?) {
        if nread > 0, let base {
            delegate?.streamDidRead(UnsafeRawBufferPointer(start: base, count: nread))
        } else if nread < 0 {
            delegate?.streamDidReachEnd(error: nread != Int(UV_EOF.rawValue))
        }
    }

    fileprivate func writeCompleted(status: Int32) {
        if !isClosing { delegate?.streamDidWrite(failed: status < 0) }
    }

    fileprivate func timerFired() {
        if !isClosing { delegate?.streamTimerFired() }
    }

    /// True once the last handle is closed: then the hold taken in `init` is released.
    fileprivate func handleClosed() -> Bool {
        openHandles -= 1
        guard openHandles == 0 else { return false }
        delegate?.streamDidClose()
        return true
    }
}

/// A peer that vanished must surface as EPIPE on write, not kill the process.
enum BrokenPipe {
    static let ignored: Void = mockllm_ignore_sigpipe()
}

private func tcpStream(_ data: UnsafeMutableRawPointer?) -> TCPStream? {
    data.map { Unmanaged<TCPStream>.fromOpaque($0).takeUnretainedValue() }
}

private func allocateStreamReadBuffer(
    _ handle: UnsafeMutablePointer<uv_handle_t>?, _ suggested: Int, _ buf: UnsafeMutablePointer<uv_buf_t>?
) {
    guard let handle, let buf, let stream = tcpStream(handle.pointee.data) else { return }
    let storage = stream.readBuffer.bytes
    buf.pointee = uv_buf_init(storage.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(storage.count))
}

private func onStreamRead(_ handle: UnsafeMutablePointer<uv_stream_t>?, _ nread: Int, _ buf: UnsafePointer<uv_buf_t>?) {
    guard let handle, let stream = tcpStream(handle.pointee.data) else { return }
    stream.didRead(nread, buf?.pointee.base)
}

private func onStreamWriteDone(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request else { return }
    let data = request.pointee.handle.pointee.data
    StreamWrite.release(request)
    tcpStream(data)?.writeCompleted(status: status)
}

private func onStreamShutdownDone(_ request: UnsafeMutablePointer<uv_shutdown_t>?, _ status: Int32) {
    request?.deallocate()
}

private func onStreamTimer(_ timer: UnsafeMutablePointer<uv_timer_t>?) {
    tcpStream(timer?.pointee.data)?.timerFired()
}

private func onStreamHandleClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    let data = handle.pointee.data
    if handle.pointee.type == UV_TCP {
        handle.withMemoryRebound(to: uv_tcp_t.self, capacity: 1) { $0.deallocate() }
    } else {
        handle.withMemoryRebound(to: uv_timer_t.self, capacity: 1) { $0.deallocate() }
    }
    guard let data else { return }
    let stream = Unmanaged<TCPStream>.fromOpaque(data)
    if stream.takeUnretainedValue().handleClosed() { stream.release() }
}
