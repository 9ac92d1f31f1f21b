import CLibUV

/// Tells its owner when a file may have changed, however it changed.
///
/// Two sources, because each misses cases the other catches: inotify on the file's directory
/// (`uv_fs_event`), which sees an editor that writes a new file and renames it over the old
/// one (watching the file itself would follow the old inode); and stat polling of the path
/// (`uv_fs_poll`), which sees changes inotify never reports, such as a file bind-mounted into a
/// container and edited on the host. Notifications come in bursts; the owner debounces.
package final class FileWatcher {
    private var event: UnsafeMutablePointer<uv_fs_event_t>?
    private var poll: UnsafeMutablePointer<uv_fs_poll_t>?
    fileprivate let name: String
    fileprivate let onChange: () -> Void

    /// - Parameter isDirectory: `path` is a directory of scripts: any `*.yml` or `*.yaml` in it
    ///   that is created, changed, renamed or deleted is a change (inotify on the directory; the
    ///   stat poll sees files added and removed).
    package init(loop: EventLoop, path: String, isDirectory: Bool = false, pollMilliseconds: UInt32 = 1000,
                 onChange: @escaping () -> Void) throws(UVError) {
        self.onChange = onChange
        let slash = path.lastIndex(of: "/")
        let directory = isDirectory ? path : slash.map { path[..<$0].isEmpty ? "/" : String(path[..<$0]) } ?? "."
        name = isDirectory ? "" : slash.map { String(path[path.index(after: $0)...]) } ?? path
        let data = Unmanaged.passUnretained(self).toOpaque()
        let e = UnsafeMutablePointer<uv_fs_event_t>.allocate(capacity: 1)
        uv_fs_event_init(loop.raw, e)
        e.pointee.data = data
        event = e
        let p = UnsafeMutablePointer<uv_fs_poll_t>.allocate(capacity: 1)
        uv_fs_poll_init(loop.raw, p)
        p.pointee.data = data
        poll = p
        // Each handle holds a reference to the watcher, released by its close callback.
        _ = Unmanaged.passRetained(self)
        _ = Unmanaged.passRetained(self)
        do throws(UVError) {
            try UVError.check(uv_fs_event_start(e, onDirectoryEvent, directory, 0), "watch \(directory)")
            try UVError.check(uv_fs_poll_start(p, onStatChange, path, pollMilliseconds), "poll \(path)")
        } catch {
            close()
            throw error
        }
    }

    package func close() {
        if let e = event {
            event = nil
            uv_close(mockllm_fs_event_as_handle(e), onWatchClosed)
        }
        if let p = poll {
            poll = nil
            uv_close(mockllm_fs_poll_as_handle(p), onWatchClosed)
        }
    }
}

private func watcher(_ data: UnsafeMutableRawPointer?) -> FileWatcher? {
    data.map { Unmanaged<FileWatcher>.fromOpaque($0).takeUnretainedValue() }
}

private func onDirectoryEvent(
    _ handle: UnsafeMutablePointer<uv_fs_event_t>?, _ filename: UnsafePointer<CChar>?, _ events: Int32, _ status: Int32
) {
    guard let w = watcher(handle?.pointee.data) else { return }
    // No name (some kernels, overflow): treat as a change, the reload decides.
    if let filename {
        let changed = String(cString: filename)
        if w.name.isEmpty ? !(changed.hasSuffix(".yml") || changed.hasSuffix(".yaml")) : changed != w.name { return }
    }
    w.onChange()
}

private func onStatChange(
    _ handle: UnsafeMutablePointer<uv_fs_poll_t>?, _ status: Int32,
    _ previous: UnsafePointer<uv_stat_t>?, _ current: UnsafePointer<uv_stat_t>?
) {
    watcher(handle?.pointee.data)?.onChange()
}

private func onWatchClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    if let data = handle.pointee.data { Unmanaged<FileWatcher>.fromOpaque(data).release() }
    if handle.pointee.type == UV_FS_EVENT {
        handle.withMemoryRebound(to: uv_fs_event_t.self, capacity: 1) { $0.deallocate() }
    } else {
        handle.withMemoryRebound(to: uv_fs_poll_t.self, capacity: 1) { $0.deallocate() }
    }
}
