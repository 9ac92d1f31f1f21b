import CLibUV

/// What a `TCPClientConnection` reports, on the loop thread.
package protocol TCPClientConnectionDelegate: AnyObject {
    /// The connection is established: requests can be written.
    func connectionDidConnect(_ connection: TCPClientConnection)
    /// Bytes arrived. They lie in the loop's shared read buffer: use them before returning.
    func connection(_ connection: TCPClientConnection, didRead bytes: UnsafeRawBufferPointer)
    /// The connection ended without `close()` being called: the connect failed (`error` set),
    /// the peer closed (`error` nil) or the socket failed. The socket is already closing.
    func connection(_ connection: TCPClientConnection, didCloseWith error: UVError?)
}

/// One outgoing TCP connection: connect, read into a buffer shared by the loop's connections,
/// write (`uv_try_write` first, then a queued copy of the rest), close.
///
/// Lifetime: the socket handle holds the object from `init` until its close callback, so the
/// owner may drop it as soon as it has called `close()` or been told the connection ended.
/// Once closed, the delegate hears nothing more.
package final class TCPClientConnection {
    private let tcp: UnsafeMutablePointer<uv_tcp_t>
    let readBuffer: SharedReadBuffer
    weak var delegate: (any TCPClientConnectionDelegate)?
    package private(set) var isConnected = false
    private(set) var isClosing = false

    private var stream: UnsafeMutablePointer<uv_stream_t> { mockllm_tcp_as_stream(tcp) }

    package init(loop: EventLoop, readBuffer: SharedReadBuffer, delegate: any TCPClientConnectionDelegate) {
        BrokenPipe.ignored
        self.readBuffer = readBuffer
        self.delegate = delegate
        tcp = .allocate(capacity: 1)
        uv_tcp_init(loop.raw, tcp)
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Starts connecting; the delegate hears `connectionDidConnect` or `didCloseWith`.
    package func connect(to address: ResolvedAddress) {
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        var storage = address.storage
        let rc = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_connect(request, tcp, $0, onConnected) }
        }
        if rc != 0 {
            request.deallocate()
            end(UVError(rc, "connect to \(address.display)"))
        }
    }

    fileprivate func didConnect(status: Int32) {
        guard !isClosing else { return }
        if status != 0 { return end(UVError(status, "connect")) }
        isConnected = true
        uv_tcp_nodelay(tcp, 1)
        let rc = uv_read_start(stream, allocateClientReadBuffer, onClientRead)
        if rc != 0 { return end(UVError(rc, "read")) }
        delegate?.connectionDidConnect(self)
    }

    fileprivate func didRead(_ nread: Int, _ base: UnsafeMutablePointer<CChar>?) {
        guard !isClosing else { return }
        if nread > 0, let base {
            delegate?.connection(self, didRead: UnsafeRawBufferPointer(start: base, count: nread))
        } else if nread < 0 {
            end(nread == Int(UV_EOF.rawValue) ? nil : UVError(Int32(nread), "read"))
        }
    }

    /// Writes `bytes`; whatever the kernel does not take at once is copied and queued.
    /// Returns false (and the connection ends) when the socket refuses the write.
    @discardableResult
    package func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard isConnected, !isClosing, !bytes.isEmpty else { return false }
        let rc = StreamWrite.send(bytes, on: stream, done: onClientWriteDone)
        if rc != 0 {
            end(UVError(rc, "write"))
            return false
        }
        return true
    }

    fileprivate func writeCompleted(status: Int32) {
        if status < 0 && status != UV_ECANCELED.rawValue && !isClosing { end(UVError(status, "write")) }
    }

    /// Closes the socket; queued writes are cancelled. The delegate is not called.
    package func close() {
        guard !isClosing else { return }
        isClosing = true
        isConnected = false
        uv_close(mockllm_tcp_as_handle(tcp), onClientClosed)
    }

    /// The connection ended on its own: close, then tell the delegate.
    private func end(_ error: UVError?) {
        guard !isClosing else { return }
        close()
        delegate?.connection(self, didCloseWith: error)
    }
}

private func connection(of handle: UnsafeMutableRawPointer?) -> TCPClientConnection? {
    guard let handle else { return nil }
    return Unmanaged<TCPClientConnection>.fromOpaque(handle).takeUnretainedValue()
}

private func onConnected(_ request: UnsafeMutablePointer<uv_connect_t>?, _ status: Int32) {
    guard let request else { return }
    let data = request.pointee.handle.pointee.data
    request.deallocate()
    connection(of: data)?.didConnect(status: status)
}

private func allocateClientReadBuffer(
    _ handle: UnsafeMutablePointer<uv_handle_t>?, _ suggested: Int, _ buf: UnsafeMutablePointer<uv_buf_t>?
) {
    guard let handle, let buf, let client = connection(of: handle.pointee.data) else { return }
    let storage = client.readBuffer.bytes
    buf.pointee = uv_buf_init(storage.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(storage.count))
}

private func onClientRead(_ stream: UnsafeMutablePointer<uv_stream_t>?, _ nread: Int, _ buf: UnsafePointer<uv_buf_t>?) {
    guard let stream, let client = connection(of: stream.pointee.data) else { return }
    client.didRead(nread, buf?.pointee.base)
}

private func onClientWriteDone(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request else { return }
    let data = request.pointee.handle.pointee.data
    StreamWrite.release(request)
    connection(of: data)?.writeCompleted(status: status)
}

private func onClientClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    let data = handle.pointee.data
    handle.withMemoryRebound(to: uv_tcp_t.self, capacity: 1) { $0.deallocate() }
    if let data { Unmanaged<TCPClientConnection>.fromOpaque(data).release() }
}
