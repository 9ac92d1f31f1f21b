import CLibUV

/// A one-shot timer for an absolute monotonic deadline in nanoseconds, on a loop's thread.
///
/// libuv's timers count whole milliseconds from the loop's cached time, so an event due at
/// 200.3 ms would be written at 201 ms: up to a millisecond late, every time. On Linux this
/// timer is a `timerfd` polled by the loop, which wakes the loop at the deadline itself (the
/// kernel applies no timer slack to it). Elsewhere it falls back to a `uv_timer_t`, rounded up
/// so it never fires early.
package final class PreciseTimer {
    private let loop: EventLoop
    private var poll: UnsafeMutablePointer<uv_poll_t>?
    private var fallback: LoopTimer?
    private var fd: Int32 = -1
    fileprivate let action: () -> Void

    package init(loop: EventLoop, action: @escaping () -> Void) {
        self.loop = loop
        self.action = action
        let fd = mockllm_timerfd_create()
        if fd >= 0 {
            let p = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
            if uv_poll_init(loop.raw, p, fd) == 0 {
                self.fd = fd
                p.pointee.data = Unmanaged.passRetained(self).toOpaque()
                uv_poll_start(p, Int32(UV_READABLE.rawValue), onTimerReadable)
                poll = p
                return
            }
            p.deallocate()
            mockllm_close_fd(fd)
        }
        fallback = LoopTimer(loop: loop, action: action)
    }

    /// (Re)arms for `deadline` (monotonic nanoseconds, `EventLoop.hrtime`'s clock); 0 disarms.
    /// A deadline already past fires on the next loop iteration. Arming also clears an expiry
    /// not yet read, so the owner either reads nothing or re-arms before returning to the loop.
    package func arm(at deadline: UInt64) {
        if poll != nil {
            _ = mockllm_timerfd_arm(fd, deadline)
        } else if let fallback {
            if deadline == 0 { return fallback.stop() }
            let loopNow = loop.nowMilliseconds &* 1_000_000
            let timeout = deadline > loopNow ? (deadline - loopNow + 999_999) / 1_000_000 : 0
            fallback.start(after: timeout)
        }
    }

    /// Does not keep the loop alive on its own.
    package func unref() {
        if let poll { uv_unref(mockllm_poll_as_handle(poll)) }
        fallback?.unref()
    }

    package func close() {
        if let p = poll {
            poll = nil
            uv_poll_stop(p)
            uv_close(mockllm_poll_as_handle(p), onTimerPollClosed)
        }
        fallback?.close()
        fallback = nil
    }

    fileprivate func fired() {
        action()  // the owner re-arms or disarms, which clears the expiry
    }

    fileprivate func closed() {
        mockllm_close_fd(fd)
        fd = -1
    }
}

private func onTimerReadable(_ handle: UnsafeMutablePointer<uv_poll_t>?, _ status: Int32, _ events: Int32) {
    guard let data = handle?.pointee.data else { return }
    Unmanaged<PreciseTimer>.fromOpaque(data).takeUnretainedValue().fired()
}

private func onTimerPollClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data {
        let timer = Unmanaged<PreciseTimer>.fromOpaque(data)
        timer.takeUnretainedValue().closed()
        timer.release()
    }
    handle.withMemoryRebound(to: uv_poll_t.self, capacity: 1) { $0.deallocate() }
}
