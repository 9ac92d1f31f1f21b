import CLibUV

/// A one-shot or repeating timer on a loop, running an action on the loop thread.
/// (Connections keep their own bare timer: one per connection, no closure.)
package final class LoopTimer {
    private var handle: UnsafeMutablePointer<uv_timer_t>?
    fileprivate let action: () -> Void

    package init(loop: EventLoop, action: @escaping () -> Void) {
        self.action = action
        let h = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop.raw, h)
        h.pointee.data = Unmanaged.passRetained(self).toOpaque()
        handle = h
    }

    /// (Re)starts the timer: first run after `milliseconds`, then every `repeat` ms if non-zero.
    package func start(after milliseconds: UInt64, repeat interval: UInt64 = 0) {
        guard let handle else { return }
        uv_timer_start(handle, onTimer, milliseconds, interval)
    }

    package func stop() {
        if let handle { uv_timer_stop(handle) }
    }

    /// Keeps the loop alive again while active (undoes `unref`).
    package func ref() {
        if let handle { uv_ref(mockllm_timer_as_handle(handle)) }
    }

    /// Does not keep the loop alive on its own.
    package func unref() {
        if let handle { uv_unref(mockllm_timer_as_handle(handle)) }
    }

    package func close() {
        guard let h = handle else { return }
        handle = nil
        uv_close(mockllm_timer_as_handle(h), onTimerClosed)
    }
}

private func onTimer(_ handle: UnsafeMutablePointer<uv_timer_t>?) {
    guard let data = handle?.pointee.data else { return }
    Unmanaged<LoopTimer>.fromOpaque(data).takeUnretainedValue().action()
}

private func onTimerClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data { Unmanaged<LoopTimer>.fromOpaque(data).release() }
    handle.withMemoryRebound(to: uv_timer_t.self, capacity: 1) { $0.deallocate() }
}
