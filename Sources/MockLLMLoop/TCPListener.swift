import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket on a loop. Each pending connection is announced to `onConnection`,
/// which takes it with `TCPStream.accept(from:)`.
package final class TCPListener {
    private let handle: UnsafeMutablePointer<uv_tcp_t>
    private let onConnection: (TCPListener) -> Void
    /// The port actually bound (differs from the requested one when that was 0).
    package private(set) var port: Int = 0

    var stream: UnsafeMutablePointer<uv_stream_t> { mockllm_tcp_as_stream(handle) }

    package init(loop: EventLoop, host: String, port: Int, backlog: Int32, reusePort: Bool,
                 onConnection: @escaping (TCPListener) -> Void) throws(UVError) {
        self.onConnection = onConnection
        handle = .allocate(capacity: 1)
        var storage = sockaddr_storage()
        let family = try SocketAddress.resolve(host: host, port: port, into: &storage)
        let rc = uv_tcp_init_ex(loop.raw, handle, UInt32(family))
        if rc != 0 {
            handle.deallocate()
            throw UVError(rc, "socket")
        }
        handle.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        do throws(UVError) {
            if reusePort {
                var fd: uv_os_fd_t = -1
                try UVError.check(uv_fileno(mockllm_tcp_as_handle(handle), &fd), "uv_fileno")
                if mockllm_set_reuseport(fd) != 0 { throw UVError(-errno, "setsockopt SO_REUSEPORT") }
            }
            let bound = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_bind(handle, $0, 0) }
            }
            try UVError.check(bound, "bind \(SocketAddress.display(host: host, port: port))")
            try UVError.check(
                uv_listen(stream, backlog, onIncomingConnection),
                "listen on \(SocketAddress.display(host: host, port: port))")
            self.port = SocketAddress.localPort(of: handle)
        } catch {
            uv_close(mockllm_tcp_as_handle(handle), onListenerClosed)
            throw error
        }
    }

    /// Stops accepting. The socket is closed and freed by the loop.
    package func close() {
        guard uv_is_closing(mockllm_tcp_as_handle(handle)) == 0 else { return }
        uv_close(mockllm_tcp_as_handle(handle), onListenerClosed)
    }

    fileprivate func connectionPending() {
        onConnection(self)
    }
}

private func onIncomingConnection(_ stream: UnsafeMutablePointer<uv_stream_t>?, _ status: Int32) {
    guard let stream, status == 0, let data = stream.pointee.data else { return }
    Unmanaged<TCPListener>.fromOpaque(data).takeUnretainedValue().connectionPending()
}

private func onListenerClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    handle?.withMemoryRebound(to: uv_tcp_t.self, capacity: 1) { $0.deallocate() }
}
