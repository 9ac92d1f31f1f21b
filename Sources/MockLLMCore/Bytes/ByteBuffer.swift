#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer with value semantics whose appends are one `memcpy`.
///
/// `Array<UInt8>.append(contentsOf:)` from a buffer pointer copies element by element (about
/// 135 instructions for 21 bytes, measured with callgrind), and replies and stream events are
/// built from dozens of small appends. Here an append is a uniqueness check, a capacity check
/// and a copy (about 30 instructions). Storage is copied only when a shared buffer is written.
package struct ByteBuffer: @unchecked Sendable, Equatable, CustomStringConvertible {
    // @unchecked: the storage is never mutated while shared (copy on write, checked with
    // isKnownUniquelyReferenced), so a buffer handed to another thread is never written under it.

    private final class Storage {
        let pointer: UnsafeMutableRawPointer
        let capacity: Int

        init(capacity: Int) {
            self.capacity = capacity
            pointer = .allocate(byteCount: capacity, alignment: 16)
        }

        deinit { pointer.deallocate() }
    }

    /// Owns the memory; `base` and `capacity` mirror it so that appends never touch the
    /// reference (no retain/release per append).
    private var storage: Storage?
    private var base: UnsafeMutableRawPointer?
    package private(set) var capacity = 0
    package private(set) var count = 0

    package init(capacity: Int = 0) {
        if capacity > 0 { reallocate(capacity) }
    }

    package init(_ bytes: [UInt8]) {
        self.init(capacity: bytes.count)
        append(contentsOf: bytes)
    }

    package init(_ text: String) {
        self.init(capacity: text.utf8.count)
        append(utf8: text)
    }

    package var isEmpty: Bool { count == 0 }

    /// The bytes in use, copied into an array.
    package var bytes: [UInt8] { withUnsafeReadableBytes { Array($0) } }

    package var description: String { withUnsafeReadableBytes { String(decoding: $0, as: UTF8.self) } }

    package static func == (a: ByteBuffer, b: ByteBuffer) -> Bool {
        a.count == b.count && a.withUnsafeReadableBytes { pa in
            b.withUnsafeReadableBytes { pb in a.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 }
        }
    }

    package func withUnsafeReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    package mutating func reserveCapacity(_ minimum: Int) {
        if capacity < minimum { reallocate(minimum) }
    }

    /// Forgets the contents, keeping the capacity.
    package mutating func removeAll() {
        count = 0
    }

    package mutating func append(_ byte: UInt8) {
        makeRoom(1)
        base.unsafelyUnwrapped.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    package mutating func append(bytes source: UnsafeRawBufferPointer) {
        let n = source.count
        guard n > 0 else { return }
        makeRoom(n)
        memcpy(base.unsafelyUnwrapped + count, source.baseAddress!, n)
        count += n
    }

    package mutating func append(bytes source: UnsafeBufferPointer<UInt8>) {
        append(bytes: UnsafeRawBufferPointer(source))
    }

    package mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(bytes: $0) }
    }

    package mutating func append(_ other: ByteBuffer) {
        other.withUnsafeReadableBytes { append(bytes: $0) }
    }

    /// Makes the storage writable (unshared) with room for `n` more bytes.
    @inline(__always)
    private mutating func makeRoom(_ n: Int) {
        if capacity - count < n || !isKnownUniquelyReferenced(&storage) {
            reallocate(Swift.max(count + n, capacity * 2, 64))
        }
    }

    private mutating func reallocate(_ newCapacity: Int) {
        let fresh = Storage(capacity: newCapacity)
        if let base, count > 0 { fresh.pointer.copyMemory(from: base, byteCount: count) }
        storage = fresh
        base = fresh.pointer
        capacity = newCapacity
    }
}

extension Array where Element == UInt8 {
    /// A copy of `bytes` made with one `memcpy` (`Array(_:)` copies a buffer byte by byte).
    init(copying bytes: UnsafeBufferPointer<UInt8>) {
        self.init(unsafeUninitializedCapacity: bytes.count) { out, count in
            if let base = bytes.baseAddress, !bytes.isEmpty { out.baseAddress!.initialize(from: base, count: bytes.count) }
            count = bytes.count
        }
    }
}
