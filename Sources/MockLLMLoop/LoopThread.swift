import CLibUV
import MockLLMCore

#if canImport(Glibc)
import Glibc
#endif

/// A thread that runs one body (a loop's `run()`), joined when the server stops.
package final class LoopThread {
    private final class Body {
        let name: String
        let run: () -> Void
        init(_ name: String, _ run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    private var thread = pthread_t()
    private var joined = false

    /// Starts the thread. `body` runs on it alone; nothing else touches what it captures until
    /// `join()` returns.
    package init(name: String, body: @escaping () -> Void) throws(UVError) {
        let box = Unmanaged.passRetained(Body(String(name.prefix(15)), body)).toOpaque()
        let rc = pthread_create(&thread, nil, loopThreadMain, box)
        if rc != 0 {
            Unmanaged<Body>.fromOpaque(box).release()
            throw UVError(-rc, "pthread_create")
        }
    }

    /// Waits for the body to return.
    package func join() {
        guard !joined else { return }
        joined = true
        pthread_join(thread, nil)
    }

    fileprivate static func main(_ box: UnsafeMutableRawPointer) {
        let body = Unmanaged<Body>.fromOpaque(box).takeRetainedValue()
        mockllm_name_thread(body.name)
        body.run()
    }
}

private func loopThreadMain(_ box: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    if let box { LoopThread.main(box) }
    return nil
}
