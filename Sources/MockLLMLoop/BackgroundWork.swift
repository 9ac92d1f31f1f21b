import CLibUV

/// Runs work on libuv's thread pool and its completion back on the loop thread
/// (`uv_queue_work`), so slow work (parsing a reloaded script) never stalls the loop.
package enum BackgroundWork {
    package static func run<T: Sendable>(
        on loop: EventLoop, _ work: @escaping @Sendable () -> T, then completion: @escaping (T) -> Void
    ) {
        let box = ResultBox<T>()
        let job = Job(work: { box.value = work() }, done: { if let value = box.value { completion(value) } })
        let request = UnsafeMutablePointer<uv_work_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(job).toOpaque()
        if uv_queue_work(loop.raw, request, runJob, finishJob) != 0 {
            Unmanaged.passUnretained(job).release()
            request.deallocate()
            completion(work())  // no thread pool: do it here rather than not at all
        }
    }

    /// @unchecked: `work` runs on a pool thread, `done` afterwards on the loop thread; libuv
    /// orders the two (the pool hands the request back through a mutex and the loop's async).
    fileprivate final class Job: @unchecked Sendable {
        let work: () -> Void
        let done: () -> Void

        init(work: @escaping () -> Void, done: @escaping () -> Void) {
            self.work = work
            self.done = done
        }
    }

    private final class ResultBox<T>: @unchecked Sendable {
        var value: T?
    }
}

private func runJob(_ request: UnsafeMutablePointer<uv_work_t>?) {
    guard let data = request?.pointee.data else { return }
    Unmanaged<BackgroundWork.Job>.fromOpaque(data).takeUnretainedValue().work()
}

private func finishJob(_ request: UnsafeMutablePointer<uv_work_t>?, _ status: Int32) {
    guard let request, let data = request.pointee.data else { return }
    let job = Unmanaged<BackgroundWork.Job>.fromOpaque(data).takeRetainedValue()
    request.deallocate()
    if status == 0 { job.done() }
}
