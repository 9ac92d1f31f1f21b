import CLibUV

/// One libuv loop. A loop and everything on it belong to the thread that runs it: no locks,
/// no actors. Other threads reach it only through a `LoopWakeup`.
package final class EventLoop {
    let raw: UnsafeMutablePointer<uv_loop_t>

    package init() throws(UVError) {
        raw = .allocate(capacity: 1)
        let rc = uv_loop_init(raw)
        if rc != 0 {
            raw.deallocate()
            throw UVError(rc, "uv_loop_init")
        }
    }

    deinit {
        // Let close callbacks of handles closed at the very end run, then release the loop.
        uv_run(raw, UV_RUN_NOWAIT)
        _ = uv_loop_close(raw)
        raw.deallocate()
    }

    /// Runs until no handle is active any more (everything was closed).
    package func run() {
        uv_run(raw, UV_RUN_DEFAULT)
    }

    /// The loop's cached monotonic time in milliseconds (updated once per iteration).
    package var nowMilliseconds: UInt64 { uv_now(raw) }

    /// CPUs this process may run on (its affinity mask, cgroup quota aside): `--workers auto`.
    package static var availableParallelism: Int { Int(uv_available_parallelism()) }

    /// Monotonic time in nanoseconds, read now.
    package static var hrtime: UInt64 { uv_hrtime() }

    /// Number of handles still open on the loop (0 after a clean shutdown).
    package var openHandleCount: Int {
        var count = 0
        withUnsafeMutablePointer(to: &count) { ptr in
            uv_walk(raw, countHandle, UnsafeMutableRawPointer(ptr))
        }
        return count
    }
}

private func countHandle(_ handle: UnsafeMutablePointer<uv_handle_t>?, _ arg: UnsafeMutableRawPointer?) {
    guard let handle, uv_is_closing(handle) == 0 else { return }
    arg?.assumingMemoryBound(to: Int.self).pointee += 1
}
