/// One read buffer for all of a loop's client connections: a read is consumed before control
/// returns to the loop, so connections need no buffer of their own.
package final class SharedReadBuffer {
    let bytes: UnsafeMutableRawBufferPointer

    package init(size: Int = 64 * 1024) {
        bytes = .allocate(byteCount: size, alignment: 16)
    }

    deinit { bytes.deallocate() }
}
