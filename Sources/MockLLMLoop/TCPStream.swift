import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// What a `TCPStream` reports, on the loop thread. Nothing is reported once `close()` or
/// `reset()` has been called, except `streamDidClose`.
package protocol TCPStreamDelegate: AnyObject {
    /// Bytes arrived. They lie in the loop's shared read buffer: use them before returning.
    func streamDidRead(_ bytes: UnsafeRawBufferPointer)
    /// The peer closed its side (`error` nil: EOF) or reading failed.
    func streamDidReachEnd(error: UVError?)
    /// A write that had to be queued is done (`error`: the socket refused it).
    func streamDidWrite(error: UVError?)
    /// The timer of `startTimer(milliseconds:)` fired.
    func streamTimerFired()
    /// Every handle of the stream is closed: the last call.
    func streamDidClose()
}

/// One TCP connection, accepted from a `TCPListener` or connected to an address: reading into
/// the loop's shared buffer, writing (`uv_try_write` first, then a queued copy of the rest),
/// shutting down the write side, closing (or resetting), and one timer of its own, created only
/// when first started. The server's connections and `mockllm bench`'s clients are built on it.
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
    /// Told how `connect(to:then:)` went.
    private var onConnect: ((UVError?) -> Void)?

    private var stream: UnsafeMutablePointer<uv_stream_t> { mockllm_tcp_as_stream(tcp) }

    package init(loop: EventLoop, readBuffer: SharedReadBuffer) {
        BrokenPipe.ignored
        self.loop = loop
        self.readBuffer = readBuffer
        tcp = .allocate(capacity: 1)
        uv_tcp_init(loop.raw, tcp)
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Takes the connection pending on `listener`; throws when there is none (close the stream).
    package func accept(from listener: TCPListener) throws(UVError) {
        try UVError.check(uv_accept(listener.stream, stream), "accept")
        uv_tcp_nodelay(tcp, 1)
    }

    /// Starts connecting; `done` hears how it went (unless the stream is closed first).
    package func connect(to address: ResolvedAddress, then done: @escaping (UVError?) -> Void) {
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        var storage = address.storage
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_connect(request, tcp, $0, onStreamConnected) }
        }
        if rc != 0 {
            request.deallocate()
            return done(UVError(rc, "connect to \(address.display)"))
        }
        onConnect = done
    }

    fileprivate func connected(status: Int32) {
        guard let done = onConnect else { return }
        onConnect = nil
        if isClosing { return }
        if status == 0 { uv_tcp_nodelay(tcp, 1) }
        done(status == 0 ? nil : UVError(status, "connect"))
    }

    /// Starts (or resumes) reading; throws when libuv refuses (close the stream).
    package func startReading() throws(UVError) {
        try UVError.check(uv_read_start(stream, allocateStreamReadBuffer, onStreamRead), "read")
    }

    package func stopReading() {
        uv_read_stop(stream)
    }

    /// Writes `bytes`: whatever the kernel does not take at once is copied and queued. Throws
    /// when the socket refuses the write (close the stream).
    package func write(_ bytes: UnsafeRawBufferPointer) throws(UVError) {
        try UVError.check(StreamWrite.send(bytes, on: stream, done: onStreamWriteDone), "write")
    }

    /// Bytes queued because the kernel did not take them yet.
    package var writeQueueSize: Int { uv_stream_get_write_queue_size(stream) }

    /// Sends FIN once what is queued is written; reading goes on. Throws when libuv refuses.
    package func shutdownWrite() throws(UVError) {
        let request = UnsafeMutablePointer<uv_shutdown_t>.allocate(capacity: 1)
        let rc = uv_shutdown(request, stream, onStreamShutdownDone)
        if rc != 0 {
            request.deallocate()
            throw UVError(rc, "shutdown")
        }
    }

    /// (Re)starts the stream's one-shot timer: `streamTimerFired` after `milliseconds`. Does
    /// nothing once the stream is closing (a timer made then would outlive its stream).
    package func startTimer(milliseconds: UInt64) {
        guard !isClosing else { return }
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
            delegate?.streamDidReachEnd(error: nread == Int(UV_EOF.rawValue) ? nil : UVError(Int32(nread), "read"))
        }
    }

    fileprivate func writeCompleted(status: Int32) {
        if !isClosing { delegate?.streamDidWrite(error: status < 0 ? UVError(status, "write") : nil) }
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

private func onStreamConnected(_ request: UnsafeMutablePointer<uv_connect_t>?, _ status: Int32) {
    guard let request else { return }
    let data = request.pointee.handle.pointee.data
    request.deallocate()
    tcpStream(data)?.connected(status: status)
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
