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

/// One outgoing TCP connection for `mockllm bench`: a `TCPStream` that connects, with the
/// client's view of its ends (connected or not; closed by the owner, or ended on its own).
///
/// Lifetime: the connection holds itself from `init` until its socket is closed, so the owner
/// may drop it as soon as it has called `close()` or been told the connection ended. Once
/// closed, the delegate hears nothing more.
package final class TCPClientConnection: TCPStreamDelegate {
    private let stream: TCPStream
    weak var delegate: (any TCPClientConnectionDelegate)?
    package private(set) var isConnected = false
    private(set) var isClosing = false

    package init(loop: EventLoop, readBuffer: SharedReadBuffer, delegate: any TCPClientConnectionDelegate) {
        self.delegate = delegate
        stream = TCPStream(loop: loop, readBuffer: readBuffer)
        stream.delegate = self
        _ = Unmanaged.passRetained(self)  // released by `streamDidClose`
    }

    /// Starts connecting; the delegate hears `connectionDidConnect` or `didCloseWith`.
    package func connect(to address: ResolvedAddress) {
        stream.connect(to: address) { [self] error in
            if let error { return end(error) }
            isConnected = true
            do throws(UVError) {
                try stream.startReading()
            } catch {
                return end(error)
            }
            delegate?.connectionDidConnect(self)
        }
    }

    /// Writes `bytes`; whatever the kernel does not take at once is copied and queued.
    /// Returns false (and the connection ends) when the socket refuses the write.
    @discardableResult
    package func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard isConnected, !isClosing, !bytes.isEmpty else { return false }
        do throws(UVError) {
            try stream.write(bytes)
            return true
        } catch {
            end(error)
            return false
        }
    }

    /// Closes the socket; queued writes are cancelled. The delegate is not called.
    package func close() {
        guard !isClosing else { return }
        isClosing = true
        isConnected = false
        stream.close()
    }

    /// The connection ended on its own: close, then tell the delegate.
    private func end(_ error: UVError?) {
        guard !isClosing else { return }
        close()
        delegate?.connection(self, didCloseWith: error)
    }

    // MARK: TCPStreamDelegate

    package func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        guard !isClosing else { return }
        delegate?.connection(self, didRead: bytes)
    }

    package func streamDidReachEnd(error: UVError?) { end(error) }
    package func streamDidWrite(error: UVError?) { if let error { end(error) } }
    package func streamTimerFired() {}
    package func streamDidClose() { Unmanaged.passUnretained(self).release() }
}
