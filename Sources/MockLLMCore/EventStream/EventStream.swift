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
/// A stream's events differ only in their payloads, and each kind's headers are the same
/// bytes every time: a provider encodes them once (`encodedHeaders`) and `appendMessage`
/// writes a message as those bytes plus a payload written in place, with no allocation of its
/// own (the lengths and checksums are filled in after the payload is written).
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

    /// String headers (type 7) encoded in order, for `appendMessage`.
    public static func encodedHeaders(_ headers: KeyValuePairs<String, String>) -> EventStreamHeaders {
        var out = ByteBuffer(capacity: 64)
        for (name, value) in headers { appendHeader(name: name, string: value, to: &out) }
        return EventStreamHeaders(out)
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

    /// Appends one message: `headers`, the payload `payload` writes, and the prelude and
    /// checksums, filled in once the payload's length is known. The message's CRC is zlib's
    /// `crc32` of the prelude, then the headers' part folded in from what was worked out when
    /// they were encoded (`EventStreamHeaders.crc(continuing:)`: the headers are the same bytes
    /// in every message of a kind, and are not read again), then `crc32` of the payload.
    /// (zlib's `crc32_combine_op` does the same fold, but it is versioned ZLIB_1.2.12, which no
    /// manylinux policy allows: the wheel could not be built with it.) Not inlinable: inlined
    /// into each provider it cost more (callgrind: its helpers were outlined, the payload
    /// closures still called).
    public static func appendMessage(headers: EventStreamHeaders, into out: inout ByteBuffer, payload: (inout ByteBuffer) -> Void) {
        let start = out.count
        out.makeRoom(preludeLength + headers.bytes.count + 256)
        out._count += preludeLength  // written below, once the lengths are known
        out.append(headers.bytes)
        payload(&out)
        out.makeRoom(4)
        out._count += 4
        let total = out.count - start
        let message = UnsafeMutableRawBufferPointer(start: out.base!.advanced(by: start), count: total)
        storeBigEndian(UInt32(total), at: 0, in: message)
        storeBigEndian(UInt32(headers.bytes.count), at: 4, in: message)
        let preludeCRC = crc32(UnsafeRawBufferPointer(rebasing: message[0..<8]))
        storeBigEndian(preludeCRC, at: 8, in: message)
        let throughPrelude = crc32(UnsafeRawBufferPointer(rebasing: message[8..<preludeLength]), seed: preludeCRC)
        let payloadStart = preludeLength + headers.bytes.count
        let crc = crc32(UnsafeRawBufferPointer(rebasing: message[payloadStart..<(total - 4)]),
                        seed: headers.crc(continuing: throughPrelude))
        storeBigEndian(crc, at: total - 4, in: message)
    }

    /// Appends one message whose headers no other message shares (a replayed fixture's): the
    /// prelude, `headerBytes`, `payload` and the checksums, zlib's `crc32` run over the whole
    /// message once, with no per-kind tables to build (`appendMessage(headers:into:payload:)`
    /// is for a stream's many messages of one kind).
    public static func appendMessage(headerBytes: ByteBuffer, payload: [UInt8], into out: inout ByteBuffer) {
        let start = out.count
        let total = preludeLength + headerBytes.count + payload.count + 4
        out.makeRoom(total)
        out._count += preludeLength
        out.append(headerBytes)
        out.append(contentsOf: payload)
        out._count += 4
        let message = UnsafeMutableRawBufferPointer(start: out.base!.advanced(by: start), count: total)
        storeBigEndian(UInt32(total), at: 0, in: message)
        storeBigEndian(UInt32(headerBytes.count), at: 4, in: message)
        storeBigEndian(crc32(UnsafeRawBufferPointer(rebasing: message[0..<8])), at: 8, in: message)
        storeBigEndian(crc32(UnsafeRawBufferPointer(rebasing: message[0..<(total - 4)])), at: total - 4, in: message)
    }

    static func storeBigEndian(_ value: UInt32, at offset: Int, in bytes: UnsafeMutableRawBufferPointer) {
        bytes[offset] = UInt8(truncatingIfNeeded: value >> 24)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        bytes[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        bytes[offset + 3] = UInt8(truncatingIfNeeded: value)
    }

    static func loadBigEndian(_ bytes: UnsafeRawBufferPointer, at offset: Int, count: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<count { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }
}

/// A message's headers, encoded (`EventStream.appendHeader`) once: a stream's events of one
/// kind share them, and so does the part they play in each message's CRC.
///
/// zlib's CRC32 of some bytes continued from a running CRC `seed` is
/// `crc32(bytes, seed) == M(seed) ^ crc32(bytes, 0)`, where `M` is linear over GF(2) and depends
/// only on the bytes (it multiplies by x^(8n) modulo the polynomial, n the byte count: the
/// pre- and post-inversion of zlib's convention cancel out of the difference). A linear map of
/// 32 bits is the XOR of its values on each byte of the input, so four tables of 256 values,
/// made from zlib's own `crc32` of the headers once per kind, give `M(seed)` with four lookups
/// instead of reading the headers again for every message.
public struct EventStreamHeaders: Sendable {
    public let bytes: ByteBuffer
    /// zlib's `crc32` of `bytes` from 0.
    public let crc: UInt32
    /// `M` on each byte of a seed: entry `256 * k + v` is `M(v << (8 * k))`.
    @usableFromInline let seedTables: [UInt32]

    public init(_ bytes: ByteBuffer) {
        self.bytes = bytes
        let crc = bytes.withUnsafeReadableBytes { EventStream.crc32($0) }
        self.crc = crc
        // M on each of the 32 bits of a seed, from zlib's crc32; then each byte's 256 values as
        // XORs of its bits' images (M is linear).
        let bitImages = bytes.withUnsafeReadableBytes { headers in
            (0..<32).map { EventStream.crc32(headers, seed: 1 << UInt32($0)) ^ crc }
        }
        var tables = [UInt32](repeating: 0, count: 4 * 256)
        for k in 0..<4 {
            for v in 1..<256 {
                let lowest = v.trailingZeroBitCount
                tables[256 * k + v] = tables[256 * k + (v & (v - 1))] ^ bitImages[8 * k + lowest]
            }
        }
        seedTables = tables
    }

    /// zlib's `crc32` of the headers continued from `seed`, the CRC of the bytes before them,
    /// without reading the headers: `crc32(bytes, seed: seed)`.
    @inlinable
    public func crc(continuing seed: UInt32) -> UInt32 {
        seedTables.withUnsafeBufferPointer { t in
            t[Int(seed & 0xFF)] ^ t[256 + Int(seed >> 8 & 0xFF)] ^ t[512 + Int(seed >> 16 & 0xFF)] ^ t[768 + Int(seed >> 24)] ^ crc
        }
    }
}

extension ByteBuffer {
    /// Appends `bytes` in standard base64 (with `=` padding), as AWS puts binary in JSON.
    public mutating func append(base64Of bytes: UnsafeRawBufferPointer) {
        let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
        let table = UnsafeRawBufferPointer(start: alphabet.utf8Start, count: 64)
        makeRoom((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            append(table[Int(n >> 18 & 63)])
            append(table[Int(n >> 12 & 63)])
            append(table[Int(n >> 6 & 63)])
            append(table[Int(n & 63)])
            i += 3
        }
        let rest = bytes.count - i
        guard rest > 0 else { return }
        let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
        append(table[Int(n >> 18 & 63)])
        append(table[Int(n >> 12 & 63)])
        append(rest == 2 ? table[Int(n >> 6 & 63)] : UInt8(ascii: "="))
        append(UInt8(ascii: "="))
    }
}
