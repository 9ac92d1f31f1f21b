import CLibUV

/// Writing to a libuv stream without copying what the kernel takes at once: `uv_try_write`
/// first (when nothing is queued ahead), and only the unsent rest is copied into a queued
/// `uv_write` request, one allocation for the request and the bytes. The write callback frees it
/// with `release`. Shared by the server's connections and `mockllm bench`'s client connections.
enum StreamWrite {
    /// Returns 0, or the libuv error that refused the write (the caller closes).
    static func send(_ bytes: UnsafeRawBufferPointer, on stream: UnsafeMutablePointer<uv_stream_t>,
                     done: @escaping uv_write_cb) -> Int32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return 0 }
        var written = 0
        if uv_stream_get_write_queue_size(stream) == 0 {
            // libuv takes a mutable pointer but only reads through it.
            var buf = uv_buf_init(UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CChar.self)), UInt32(bytes.count))
            let rc = uv_try_write(stream, &buf, 1)
            if rc >= 0 {
                written = Int(rc)
            } else if rc != UV_EAGAIN.rawValue {
                return rc
            }
        }
        if written == bytes.count { return 0 }
        return queue(UnsafeRawBufferPointer(rebasing: bytes[written...]), on: stream, done: done)
    }

    private static func queue(_ bytes: UnsafeRawBufferPointer, on stream: UnsafeMutablePointer<uv_stream_t>,
                              done: @escaping uv_write_cb) -> Int32 {
        let header = MemoryLayout<uv_write_t>.stride
        let raw = UnsafeMutableRawPointer.allocate(byteCount: header + bytes.count, alignment: MemoryLayout<uv_write_t>.alignment)
        let request = raw.bindMemory(to: uv_write_t.self, capacity: 1)
        let payload = raw + header
        payload.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        var buf = uv_buf_init(payload.assumingMemoryBound(to: CChar.self), UInt32(bytes.count))
        let rc = uv_write(request, stream, &buf, 1, done)
        if rc != 0 { raw.deallocate() }
        return rc
    }

    /// Frees a request `send` queued; call it in the write callback.
    static func release(_ request: UnsafeMutablePointer<uv_write_t>) {
        UnsafeMutableRawPointer(request).deallocate()
    }
}
