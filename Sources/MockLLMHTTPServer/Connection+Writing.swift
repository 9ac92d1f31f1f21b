import MockLLMCore
import MockLLMLoop

extension Connection {
    /// Writes `out` (then empties it for reuse): `uv_try_write` first, and only the part the
    /// kernel did not take is copied into a queued write request.
    func send(_ out: inout ByteBuffer) {
        write(out)
        server.recycle(&out)
        perform(state.wrote(queued: socket.writeQueueSize))
    }

    /// Hands `bytes` to the socket now: whatever the kernel does not take is queued.
    func write(_ bytes: ByteBuffer) {
        guard !bytes.isEmpty, !state.isClosed else { return }
        if !bytes.withUnsafeReadableBytes({ (try? socket.write($0)) != nil }) { close() }
    }
}
