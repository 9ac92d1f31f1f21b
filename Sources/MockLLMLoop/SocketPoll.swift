import CLibUV

/// What a `SocketPoll` watches for, and what it reports.
package struct SocketEvents: OptionSet, Sendable {
    package let rawValue: Int32
    package init(rawValue: Int32) { self.rawValue = rawValue }

    package static let readable = SocketEvents(rawValue: Int32(UV_READABLE.rawValue))
    package static let writable = SocketEvents(rawValue: Int32(UV_WRITABLE.rawValue))
}

/// Told when a polled descriptor is ready, on the loop's thread.
package protocol SocketPollDelegate: AnyObject {
    /// `events` says which of the watched conditions hold; `error` is set when libuv reports one
    /// for the descriptor (then `events` may be empty).
    func socketPoll(_ poll: SocketPoll, events: SocketEvents, error: UVError?)
}

/// A descriptor someone else owns (reads, writes and closes it), watched by the loop for
/// readiness: libuv's `uv_poll_t`. libcurl's multi-socket interface drives its sockets this way
/// (MockLLMUpstream). Closing the poll never closes the descriptor.
package final class SocketPoll {
    package let descriptor: Int32
    package weak var delegate: (any SocketPollDelegate)?
    private var handle: UnsafeMutablePointer<uv_poll_t>?
    private var watching: SocketEvents = []

    package init(loop: EventLoop, socket: Int32) throws(UVError) {
        descriptor = socket
        let h = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
        let rc = uv_poll_init_socket(loop.raw, h, socket)
        if rc != 0 {
            h.deallocate()
            throw UVError(rc, "uv_poll_init_socket")
        }
        h.pointee.data = Unmanaged.passRetained(self).toOpaque()
        handle = h
    }

    /// Watches for `events` from now on (replacing what was watched); empty stops watching.
    package func watch(_ events: SocketEvents) throws(UVError) {
        guard let handle else { return }
        if events.isEmpty { return stop() }
        if events == watching { return }
        try UVError.check(uv_poll_start(handle, events.rawValue, onSocketReady), "uv_poll_start")
        watching = events
    }

    /// Stops watching; `watch` may start again.
    package func stop() {
        guard let handle, !watching.isEmpty else { return }
        uv_poll_stop(handle)
        watching = []
    }

    package var isClosed: Bool { handle == nil }

    /// Stops watching for good and frees the handle (once libuv has closed it). The descriptor
    /// stays open: it is its owner's to close, after this call.
    package func close() {
        guard let h = handle else { return }
        handle = nil
        watching = []
        uv_poll_stop(h)
        uv_close(mockllm_poll_as_handle(h), onSocketPollClosed)
    }

    fileprivate func ready(status: Int32, events: Int32) {
        guard handle != nil else { return }
        let error = status < 0 ? UVError(status, "poll \(descriptor)") : nil
        delegate?.socketPoll(self, events: SocketEvents(rawValue: events).intersection([.readable, .writable]), error: error)
    }
}

private func onSocketReady(_ handle: UnsafeMutablePointer<uv_poll_t>?, _ status: Int32, _ events: Int32) {
    guard let data = handle?.pointee.data else { return }
    Unmanaged<SocketPoll>.fromOpaque(data).takeUnretainedValue().ready(status: status, events: events)
}

private func onSocketPollClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data { Unmanaged<SocketPoll>.fromOpaque(data).release() }
    handle.withMemoryRebound(to: uv_poll_t.self, capacity: 1) { $0.deallocate() }
}
