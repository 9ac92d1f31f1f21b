import CZlib

/// AWS's event stream framing (`application/vnd.amazon.eventstream`), in which Amazon Bedrock
/// streams `ConverseStream` and `InvokeModelWithResponseStream` (and S3 Select, Transcribe, ...).
///
/// A message is a 12-byte prelude (total length and headers length, both big-endian `UInt32`,
/// then the CRC32 of those 8 bytes), the headers, the payload, and the CRC32 of everything
/// before it. A header is a name (one length byte, then the name), a type byte and a value:
/// `0`/`1` true/false (no bytes), `2` a byte, `3`/`4`/`5` int16/32/64, `6` bytes and `7` a
/// UTF-8 string (two length bytes, then the bytes), `8` a timestamp (int64 milliseconds), `9` a
/// UUID (16 bytes). The CRC is zlib's (`crc32`, the same polynomial as gzip).
///
/// A stream's events differ only in their payloads, and each kind's headers, and the start of
/// its payload, are the same bytes every time: a provider makes an `EventStreamLead` of them
/// once, and `startMessage` / `finishMessage` write a message as those bytes plus the rest of
/// the payload written in place, with no allocation of their own (the lengths and checksums are
/// filled in after the payload is written, zlib reading only the bytes after the lead).
public enum EventStream {
    /// The prelude: total length, headers length, prelude CRC.
    public static let preludeLength = 12
    /// The longest message the AWS SDKs accept (16 MiB), and the longest headers (128 KiB).
    public static let maxMessageLength = 16 * 1024 * 1024
    public static let maxHeadersLength = 128 * 1024

    /// The type byte of a header value.
    public enum HeaderType: UInt8, Sendable {
        case boolTrue = 0, boolFalse, byte, int16, int32, int64, byteArray, string, timestamp, uuid
    }

    /// zlib's CRC32 of `bytes`, continuing from `seed` (the CRC of the bytes before them).
    public static func crc32(_ bytes: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return seed }
        return UInt32(truncatingIfNeeded: CZlib.crc32(UInt(seed), base.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count)))
    }

    /// String headers (type 7) encoded in order.
    public static func encodedHeaders(_ headers: KeyValuePairs<String, String>) -> ByteBuffer {
        var out = ByteBuffer(capacity: 64)
        for (name, value) in headers { appendHeader(name: name, string: value, to: &out) }
        return out
    }

    /// Appends one string header: the name's length and bytes (at most 255), type 7, the
    /// value's length (two bytes) and bytes.
    public static func appendHeader(name: String, string value: String, to out: inout ByteBuffer) {
        precondition(name.utf8.count <= 255 && value.utf8.count <= 65_535, "event stream header too long")
        out.append(UInt8(name.utf8.count))
        out.append(utf8: name)
        out.append(HeaderType.string.rawValue)
        out.append(UInt8(value.utf8.count >> 8))
        out.append(UInt8(value.utf8.count & 0xFF))
        out.append(utf8: value)
    }

    /// Appends one header of any type (string headers: `appendHeader(name:string:)`).
    public static func appendHeader(_ header: EventStreamHeader, to out: inout ByteBuffer) {
        precondition(header.name.utf8.count <= 255, "event stream header name too long")
        out.append(UInt8(header.name.utf8.count))
        out.append(utf8: header.name)
        func integer(_ type: HeaderType, _ value: UInt64, bytes: Int) {
            out.append(type.rawValue)
            for i in stride(from: bytes - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
        }
        func bytes(_ type: HeaderType, _ value: [UInt8], withLength: Bool) {
            out.append(type.rawValue)
            if withLength {
                out.append(UInt8(value.count >> 8))
                out.append(UInt8(value.count & 0xFF))
            }
            out.append(contentsOf: value)
        }
        switch header.value {
        case .bool(let value): out.append(value ? HeaderType.boolTrue.rawValue : HeaderType.boolFalse.rawValue)
        case .byte(let value): integer(.byte, UInt64(UInt8(bitPattern: value)), bytes: 1)
        case .int16(let value): integer(.int16, UInt64(UInt16(bitPattern: value)), bytes: 2)
        case .int32(let value): integer(.int32, UInt64(UInt32(bitPattern: value)), bytes: 4)
        case .int64(let value): integer(.int64, UInt64(bitPattern: value), bytes: 8)
        case .timestamp(let value): integer(.timestamp, UInt64(bitPattern: value), bytes: 8)
        case .bytes(let value): bytes(.byteArray, value, withLength: true)
        case .string(let value): bytes(.string, Array(value.utf8), withLength: true)
        case .uuid(let value): bytes(.uuid, value, withLength: false)
        }
    }

    /// Appends one message: `headers` (encoded), the payload `payload` writes, and the prelude
    /// and checksums, each zlib's `crc32` of every byte before it. For messages sent once (an
    /// exception); a stream's events of one kind share their lead (`appendMessage(_:into:payload:)`).
    public static func appendMessage(headers: ByteBuffer, into out: inout ByteBuffer, payload: (inout ByteBuffer) -> Void) {
        let start = out.count
        out.makeRoom(preludeLength + headers.count + 64)
        out._count += preludeLength  // written below, once the lengths are known
        out.append(headers)
        payload(&out)
        out.makeRoom(4)
        out._count += 4
        let message = UnsafeMutableRawBufferPointer(start: out.base!.advanced(by: start), count: out.count - start)
        message.storeBytes(of: UInt32(message.count).bigEndian, toByteOffset: 0, as: UInt32.self)
        message.storeBytes(of: UInt32(headers.count).bigEndian, toByteOffset: 4, as: UInt32.self)
        let preludeCRC = crc32(UnsafeRawBufferPointer(rebasing: message[0..<8]))
        message.storeBytes(of: preludeCRC.bigEndian, toByteOffset: 8, as: UInt32.self)
        let crc = crc32(UnsafeRawBufferPointer(rebasing: message[8..<(message.count - 4)]), seed: preludeCRC)
        message.storeBytes(of: crc.bigEndian, toByteOffset: message.count - 4, as: UInt32.self)
    }

    /// Appends one message of `lead`'s kind: its headers and the payload's fixed first bytes,
    /// then the rest of the payload `payload` writes, then the lengths and checksums.
    public static func appendMessage(_ lead: EventStreamLead, into out: inout ByteBuffer, payload: (inout ByteBuffer) -> Void) {
        let start = startMessage(lead, into: &out)
        payload(&out)
        finishMessage(lead, startedAt: start, in: &out)
    }

    /// Starts a message of `lead`'s kind: room for the prelude, then the lead's bytes (its
    /// headers and the payload's fixed start); returns where the message starts, for
    /// `finishMessage` once the rest of the payload is written.
    @inlinable
    public static func startMessage(_ lead: EventStreamLead, into out: inout ByteBuffer) -> Int {
        let start = out.count
        out.makeRoom(preludeLength + lead.count + 192)
        let at = out.base.unsafelyUnwrapped + start
        at.advanced(by: preludeLength).copyMemory(from: lead.base, byteCount: lead.count)
        out._count = start + preludeLength + lead.count
        return start
    }

    /// Ends the message started at `start`: the lengths, the prelude's CRC, and the message's
    /// CRC. Neither reads the lead's bytes again, nor the prelude: the prelude's CRC is four
    /// lookups (`EventStreamLead.preludeCRC(total:)`), the running CRC through the prelude's CRC,
    /// the headers and the payload's fixed start four more (`EventStreamLead.crc(afterPrelude:)`),
    /// and zlib's `crc32` reads only the bytes written after the lead.
    public static func finishMessage(_ lead: EventStreamLead, startedAt start: Int, in out: inout ByteBuffer) {
        finishMessage(lead, startedAt: start, in: &out, tail: EventStreamTail(count: 0, crc: 0))
    }

    /// `finishMessage`, the payload's last bytes being fixed ones whose CRC is known (`tail`):
    /// zlib's `crc32` reads the bytes between the lead and the tail, and the tail is folded in
    /// (`EventStreamTail`).
    public static func finishMessage(_ lead: EventStreamLead, startedAt start: Int, in out: inout ByteBuffer, tail: EventStreamTail) {
        out.makeRoom(4)
        let variableStart = start + preludeLength + lead.count
        let variableCount = out.count - tail.count - variableStart
        out._count += 4
        let message = out.base.unsafelyUnwrapped + start
        let total = UInt32(truncatingIfNeeded: out.count - start)
        message.storeBytes(of: total.bigEndian, toByteOffset: 0, as: UInt32.self)
        message.storeBytes(of: lead.headersLength.bigEndian, toByteOffset: 4, as: UInt32.self)
        let preludeCRC = lead.preludeCRC(total: total)
        message.storeBytes(of: preludeCRC.bigEndian, toByteOffset: 8, as: UInt32.self)
        var crc = lead.crc(afterPrelude: preludeCRC)
        if variableCount > 0 {
            crc = UInt32(truncatingIfNeeded: CZlib.crc32(UInt(crc), (message + preludeLength + lead.count).assumingMemoryBound(to: UInt8.self),
                                                         UInt32(variableCount)))
        }
        if tail.count > 0 { crc = tail.fold(crc) }
        message.storeBytes(of: crc.bigEndian, toByteOffset: Int(total) - 4, as: UInt32.self)
    }

    static func loadBigEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<count { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }
}

/// The fixed start of a kind of message: its headers (encoded with `EventStream.appendHeader`)
/// and the first bytes of its payload (`{"contentBlockIndex":0,"delta":{"text":`), the same in
/// every message of the kind, and so is the part they play in each message's CRCs.
///
/// zlib's CRC32 is linear over GF(2) up to a constant: of bytes `b` continued from a running CRC
/// `seed`, `crc32(b, seed) == M(seed) ^ crc32(b, 0)`, with `M` linear and depending only on the
/// length of `b`, and `crc32` of bytes of which some vary is the XOR of its values on each
/// varying bit. So:
/// - the prelude's CRC, of the total length `t` and the fixed headers length `h` (4 bytes each),
///   is `crc32(t ++ 0000) ^ crc32(0000 ++ h)`: four lookups in tables of `t`'s bytes (the same
///   for every kind) and a constant of the kind;
/// - the running CRC after the prelude's CRC `p` (written into the message), the headers and the
///   payload's fixed start is `crc32(p ++ lead, seed: p)`, linear in `p` up to a constant: four
///   lookups in tables of `p`'s bytes, made for the kind.
/// Every table is made from zlib's own `crc32`, evaluated on the bits of the byte it covers
/// (32 calls a table set); zlib's `crc32` then reads only the payload's varying rest.
/// (zlib's `crc32_combine_op` does such a fold, but it is versioned ZLIB_1.2.12, which no
/// manylinux policy allows: the wheel could not be built with it.)
///
/// A lead is two pointers and a few numbers, copied without reference counting; its storage
/// (the bytes and 4 KiB of tables) is allocated once and never freed: make leads once per kind,
/// in a `static let`, and keep them in the stream that writes them.
public struct EventStreamLead: @unchecked Sendable {
    // @unchecked: the storage is written once, in init, and only read afterwards.
    @usableFromInline let base: UnsafeRawPointer
    public let count: Int
    public let headersLength: UInt32
    /// `M` of the running CRC on each byte of `p`: entry `256 * k + v` for `v << (8 * k)`.
    @usableFromInline let tables: UnsafePointer<UInt32>
    /// `crc32(0000 ++ lead, seed: 0)`: the running CRC after the lead when `p` is 0.
    @usableFromInline let crcAfterZero: UInt32
    /// The prelude's tables (`EventStreamLead.totalTables`, shared) and the kind's constant.
    @usableFromInline let totalTables: UnsafePointer<UInt32>
    @usableFromInline let preludeConstant: UInt32

    /// - Parameters:
    ///   - headers: the headers, encoded.
    ///   - payloadStart: the payload's first bytes, the same in every message of the kind.
    public init(headers: ByteBuffer, payloadStart: String = "") {
        precondition(headers.count <= EventStream.maxHeadersLength, "event stream headers too long")
        var payloadStart = payloadStart
        count = headers.count + payloadStart.utf8.count
        headersLength = UInt32(headers.count)
        let storage = UnsafeMutableRawPointer.allocate(byteCount: 4 * 256 * 4 + 4 + count, alignment: 16)
        let tables = storage.bindMemory(to: UInt32.self, capacity: 4 * 256)
        // The bytes whose CRC the tables give: p (4 bytes, filled in per bit below), then the lead.
        let bytes = storage + 4 * 256 * 4
        headers.withUnsafeReadableBytes { if let from = $0.baseAddress { (bytes + 4).copyMemory(from: from, byteCount: $0.count) } }
        payloadStart.withUTF8 { if let from = $0.baseAddress { (bytes + 4 + headers.count).copyMemory(from: from, byteCount: $0.count) } }
        let run = UnsafeMutableRawBufferPointer(start: bytes, count: 4 + count)
        func after(_ p: UInt32) -> UInt32 {
            run.storeBytes(of: p.bigEndian, toByteOffset: 0, as: UInt32.self)
            return EventStream.crc32(UnsafeRawBufferPointer(run), seed: p)
        }
        let zero = after(0)
        Self.fillTables(tables) { bit in after(1 << bit) ^ zero }
        crcAfterZero = zero
        base = UnsafeRawPointer(bytes + 4)
        self.tables = UnsafePointer(tables)
        totalTables = Self.totalTables
        var prelude: (UInt32, UInt32) = (0, UInt32(headers.count).bigEndian)
        preludeConstant = withUnsafeBytes(of: &prelude) { EventStream.crc32($0) }
    }

    /// The lead's bytes: the headers, then the payload's fixed start.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// zlib's `crc32` of a prelude of this kind whose total length is `total`: four lookups.
    @inlinable
    public func preludeCRC(total: UInt32) -> UInt32 {
        Self.fold(total, totalTables) ^ preludeConstant
    }

    /// zlib's `crc32` through the prelude's CRC `p`, the headers and the payload's fixed start,
    /// continued from `p` (the CRC of the bytes before it): four lookups.
    @inlinable
    public func crc(afterPrelude p: UInt32) -> UInt32 {
        Self.fold(p, tables) ^ crcAfterZero
    }

    @inlinable @inline(__always)
    static func fold(_ value: UInt32, _ t: UnsafePointer<UInt32>) -> UInt32 {
        t[Int(value & 0xFF)] ^ t[256 + Int(value >> 8 & 0xFF)] ^ t[512 + Int(value >> 16 & 0xFF)] ^ t[768 + Int(value >> 24)]
    }

    /// Four tables of 256 for a linear map of 32 bits, from its values on each bit: entry
    /// `256 * k + v` is the XOR of the images of `v << (8 * k)`'s bits.
    static func fillTables(_ tables: UnsafeMutablePointer<UInt32>, image: (UInt32) -> UInt32) {
        let images = (0..<32).map { image(UInt32($0)) }
        for k in 0..<4 {
            tables[256 * k] = 0
            for v in 1..<256 {
                tables[256 * k + v] = tables[256 * k + (v & (v - 1))] ^ images[8 * k + v.trailingZeroBitCount]
            }
        }
    }

    /// The linear part of zlib's `crc32` of a prelude in its total length `t`:
    /// `crc32(t ++ 0000) ^ crc32(00000000)`, in four tables of `t`'s bytes; made once.
    nonisolated(unsafe) static let totalTables: UnsafePointer<UInt32> = {
        let tables = UnsafeMutablePointer<UInt32>.allocate(capacity: 4 * 256)
        func prelude(_ total: UInt32) -> UInt32 {
            var bytes: (UInt32, UInt32) = (total.bigEndian, 0)
            return withUnsafeBytes(of: &bytes) { EventStream.crc32($0) }
        }
        let zero = prelude(0)
        fillTables(tables) { bit in prelude(1 << bit) ^ zero }
        return UnsafePointer(tables)
    }()
}

/// Fixed bytes that end a message's payload, by their length and zlib's `crc32` of them from 0:
/// the running CRC continued over them is `M(crc) ^ tail.crc` (`EventStreamLead`'s fold), `M`
/// multiplying by `x^(8 * count)` modulo the polynomial. `M` for `count` is made of those for
/// the powers of two in `count` (1, 2, 4, ... 128 bytes: eight sets of four tables of 256, made
/// once from zlib's `crc32` over zeros), four lookups each.
public struct EventStreamTail: Sendable {
    /// At most 255 bytes.
    public let count: Int
    public let crc: UInt32

    public init(count: Int, crc: UInt32) {
        precondition(count < 256, "an event stream tail is shorter than 256 bytes")
        self.count = count
        self.crc = crc
    }

    /// The tail of `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.init(count: bytes.count, crc: EventStream.crc32(bytes))
    }

    /// zlib's `crc32` continued from `crc` over the tail's bytes, without reading them.
    @inlinable
    public func fold(_ crc: UInt32) -> UInt32 {
        var crc = crc
        var n = count
        let tables = Self.shiftTables
        while n != 0 {
            crc = EventStreamLead.fold(crc, tables + 4 * 256 * n.trailingZeroBitCount)
            n &= n - 1
        }
        return crc ^ self.crc
    }

    /// `M` for 1, 2, 4, ... 128 bytes, four tables of 256 each: `M(s) = crc32(zeros, seed: s) ^ crc32(zeros)`.
    @usableFromInline nonisolated(unsafe) static let shiftTables: UnsafePointer<UInt32> = {
        let tables = UnsafeMutablePointer<UInt32>.allocate(capacity: 8 * 4 * 256)
        let zeros = [UInt8](repeating: 0, count: 128)
        zeros.withUnsafeBytes { zeros in
            for j in 0..<8 {
                let bytes = UnsafeRawBufferPointer(rebasing: zeros[0..<(1 << j)])
                let zero = EventStream.crc32(bytes)
                EventStreamLead.fillTables(tables + 4 * 256 * j) { bit in EventStream.crc32(bytes, seed: 1 << bit) ^ zero }
            }
        }
        return UnsafePointer(tables)
    }()
}
