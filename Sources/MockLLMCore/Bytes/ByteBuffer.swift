#if canImport(Glibc)
import Glibc
#endif

/// A growable byte buffer with value semantics whose appends are one `memcpy`.
///
/// `Array<UInt8>.append(contentsOf:)` from a buffer pointer copies element by element (about
/// 135 instructions for 21 bytes, measured with callgrind), and replies and stream events are
/// built from dozens of small appends. Here an append is a uniqueness check, a capacity check
/// and a copy (about 30 instructions). Storage is copied only when a shared buffer is written.
public struct ByteBuffer: @unchecked Sendable, Equatable, CustomStringConvertible {
    // @unchecked: the storage is never mutated while shared (copy on write, checked with
    // isKnownUniquelyReferenced), so a buffer handed to another thread is never written under it.

    //
    // The appends are @inlinable, and what they touch @usableFromInline: every layer above
    // writes replies with them, and a call across the module boundary per append cost about
    // 7 % of a request's instructions (docs/BENCHMARKS.md, "Layers as modules").

    @usableFromInline
    final class Storage {
        @usableFromInline let pointer: UnsafeMutableRawPointer
        @usableFromInline let capacity: Int

        @usableFromInline
        init(capacity: Int) {
            self.capacity = capacity
            pointer = .allocate(byteCount: capacity, alignment: 16)
        }

        deinit { pointer.deallocate() }
    }

    /// Owns the memory; `base` and `capacity` mirror it so that appends never touch the
    /// reference (no retain/release per append).
    @usableFromInline var storage: Storage?
    @usableFromInline var base: UnsafeMutableRawPointer?
    @usableFromInline var _capacity = 0
    @usableFromInline var _count = 0

    public var capacity: Int {
        @inlinable get { _capacity }
    }

    public var count: Int {
        @inlinable get { _count }
    }

    @inlinable
    public init(capacity: Int = 0) {
        if capacity > 0 { reallocate(capacity) }
    }

    public init(_ bytes: [UInt8]) {
        self.init(capacity: bytes.count)
        append(contentsOf: bytes)
    }

    public init(_ text: String) {
        self.init(capacity: text.utf8.count)
        append(utf8: text)
    }

    @inlinable
    public var isEmpty: Bool { _count == 0 }

    /// The bytes in use, copied into an array.
    public var bytes: [UInt8] { withUnsafeReadableBytes { Array($0) } }

    public var description: String { withUnsafeReadableBytes { String(decoding: $0, as: UTF8.self) } }

    public static func == (a: ByteBuffer, b: ByteBuffer) -> Bool {
        a.count == b.count && a.withUnsafeReadableBytes { pa in
            b.withUnsafeReadableBytes { pb in a.count == 0 || memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 }
        }
    }

    @inlinable
    public func withUnsafeReadableBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: _count))
    }

    @inlinable
    public mutating func reserveCapacity(_ minimum: Int) {
        if _capacity < minimum { reallocate(minimum) }
    }

    /// Forgets the contents, keeping the capacity.
    @inlinable
    public mutating func removeAll() {
        _count = 0
    }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        makeRoom(1)
        base.unsafelyUnwrapped.storeBytes(of: byte, toByteOffset: _count, as: UInt8.self)
        _count += 1
    }

    @inlinable
    public mutating func append(bytes source: UnsafeRawBufferPointer) {
        let n = source.count
        guard n > 0 else { return }
        makeRoom(n)
        memcpy(base.unsafelyUnwrapped + _count, source.baseAddress!, n)
        _count += n
    }

    @inlinable
    public mutating func append(bytes source: UnsafeBufferPointer<UInt8>) {
        append(bytes: UnsafeRawBufferPointer(source))
    }

    @inlinable
    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { append(bytes: $0) }
    }

    @inlinable
    public mutating func append(_ other: ByteBuffer) {
        other.withUnsafeReadableBytes { append(bytes: $0) }
    }

    /// Makes the storage writable (unshared) with room for `n` more bytes.
    @inlinable @inline(__always)
    mutating func makeRoom(_ n: Int) {
        if _capacity - _count < n || !isKnownUniquelyReferenced(&storage) {
            reallocate(Swift.max(_count + n, _capacity * 2, 64))
        }
    }

    @usableFromInline
    mutating func reallocate(_ newCapacity: Int) {
        let fresh = Storage(capacity: newCapacity)
        if let base, _count > 0 { fresh.pointer.copyMemory(from: base, byteCount: _count) }
        storage = fresh
        base = fresh.pointer
        _capacity = newCapacity
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
