import CLibUV
import Synchronization

/// Lets another thread run an action on a loop's thread (`uv_async_t`).
///
/// `send()` is the only member used off the loop thread; it is guarded so that a send racing
/// with `close()` never touches a closed handle. Not on the hot path: used to stop a server and
/// to deliver a reloaded script.
package final class LoopWakeup: @unchecked Sendable {
    private let handle: UnsafeMutablePointer<uv_async_t>
    private let state = Mutex(false)  // closed?
    /// Runs on the loop thread. Only touched there.
    fileprivate let action: () -> Void

    package init(loop: EventLoop, action: @escaping () -> Void) throws(UVError) {
        self.action = action
        handle = .allocate(capacity: 1)
        let rc = uv_async_init(loop.raw, handle, onWakeup)
        if rc != 0 {
            handle.deallocate()
            throw UVError(rc, "uv_async_init")
        }
        handle.pointee.data = Unmanaged.passRetained(self).toOpaque()
    }

    /// Thread-safe. Coalesces: several sends before the loop wakes run the action once.
    package func send() {
        state.withLock { closed in
            if !closed { uv_async_send(handle) }
        }
    }

    /// Loop thread only.
    package func close() {
        let wasClosed = state.withLock { closed in
            defer { closed = true }
            return closed
        }
        if !wasClosed { uv_close(mockllm_async_as_handle(handle), onWakeupClosed) }
    }
}

private func onWakeup(_ handle: UnsafeMutablePointer<uv_async_t>?) {
    guard let data = handle?.pointee.data else { return }
    Unmanaged<LoopWakeup>.fromOpaque(data).takeUnretainedValue().action()
}

private func onWakeupClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data { Unmanaged<LoopWakeup>.fromOpaque(data).release() }
    handle.withMemoryRebound(to: uv_async_t.self, capacity: 1) { $0.deallocate() }
}
