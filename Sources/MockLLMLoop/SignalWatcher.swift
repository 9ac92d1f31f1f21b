import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// Watches process signals (SIGINT, SIGTERM) on a loop and runs an action on the loop thread.
package final class SignalWatcher {
    private var handles: [UnsafeMutablePointer<uv_signal_t>] = []
    fileprivate let action: (Int32) -> Void

    package init(loop: EventLoop, signals: [Int32], action: @escaping (Int32) -> Void) throws(UVError) {
        self.action = action
        // A process can inherit these signals blocked (spawned from a thread that blocks them,
        // as test runners and some supervisors do); then SIGTERM would never stop it.
        var set = sigset_t()
        sigemptyset(&set)
        for signum in signals { sigaddset(&set, signum) }
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        for signum in signals {
            let h = UnsafeMutablePointer<uv_signal_t>.allocate(capacity: 1)
            uv_signal_init(loop.raw, h)
            h.pointee.data = Unmanaged.passRetained(self).toOpaque()
            handles.append(h)
            try UVError.check(uv_signal_start(h, onSignal, signum), "uv_signal_start")
        }
    }

    package func close() {
        for h in handles { uv_close(mockllm_signal_as_handle(h), onSignalClosed) }
        handles = []
    }
}

private func onSignal(_ handle: UnsafeMutablePointer<uv_signal_t>?, _ signum: Int32) {
    guard let data = handle?.pointee.data else { return }
    Unmanaged<SignalWatcher>.fromOpaque(data).takeUnretainedValue().action(signum)
}

private func onSignalClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data { Unmanaged<SignalWatcher>.fromOpaque(data).release() }
    handle.withMemoryRebound(to: uv_signal_t.self, capacity: 1) { $0.deallocate() }
}
