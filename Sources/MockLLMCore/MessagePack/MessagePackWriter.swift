/// MessagePack, written directly into bytes (https://github.com/msgpack/msgpack/blob/master/spec.md):
/// every value in its shortest form, as msgspec and msgpack-python write them, so a decoder
/// reads back exactly what was written. Containers are written as a header with their count,
/// then their elements.
package struct MessagePackWriter: Sendable {
    package private(set) var bytes: [UInt8] = []

    package init() {}

    package mutating func writeNil() { bytes.append(0xC0) }

    package mutating func write(_ value: Bool) { bytes.append(value ? 0xC3 : 0xC2) }

    /// An integer: a positive fixint, a negative fixint, else the smallest int or uint family
    /// member that holds it (a non-negative value as uint, as msgpack-python does).
    package mutating func write(_ value: Int) {
        if value >= 0 { return write(UInt64(value)) }
        switch value {
        case -32 ..< 0: bytes.append(UInt8(bitPattern: Int8(value)))
        case Int(Int8.min) ..< -32: bytes.append(0xD0); append(UInt64(UInt8(bitPattern: Int8(value))), size: 1)
        case Int(Int16.min) ..< Int(Int8.min): bytes.append(0xD1); append(UInt64(UInt16(bitPattern: Int16(value))), size: 2)
        case Int(Int32.min) ..< Int(Int16.min): bytes.append(0xD2); append(UInt64(UInt32(bitPattern: Int32(value))), size: 4)
        default: bytes.append(0xD3); append(UInt64(bitPattern: Int64(value)), size: 8)
        }
    }

    package mutating func write(_ value: UInt64) {
        switch value {
        case 0 ..< 0x80: bytes.append(UInt8(value))
        case 0x80 ... 0xFF: bytes.append(0xCC); append(value, size: 1)
        case 0x100 ... 0xFFFF: bytes.append(0xCD); append(value, size: 2)
        case 0x1_0000 ... 0xFFFF_FFFF: bytes.append(0xCE); append(value, size: 4)
        default: bytes.append(0xCF); append(value, size: 8)
        }
    }

    /// A float 64 (msgspec writes a Python float so).
    package mutating func write(_ value: Double) {
        bytes.append(0xCB)
        append(value.bitPattern, size: 8)
    }

    package mutating func write(_ value: String) {
        let count = value.utf8.count
        switch count {
        case 0 ..< 32: bytes.append(0xA0 | UInt8(count))
        case 32 ... 0xFF: bytes.append(0xD9); append(UInt64(count), size: 1)
        case 0x100 ... 0xFFFF: bytes.append(0xDA); append(UInt64(count), size: 2)
        default: bytes.append(0xDB); append(UInt64(count), size: 4)
        }
        bytes.append(contentsOf: value.utf8)
    }

    package mutating func writeArrayHeader(_ count: Int) {
        switch count {
        case 0 ..< 16: bytes.append(0x90 | UInt8(count))
        case 16 ... 0xFFFF: bytes.append(0xDC); append(UInt64(count), size: 2)
        default: bytes.append(0xDD); append(UInt64(count), size: 4)
        }
    }

    package mutating func writeMapHeader(_ count: Int) {
        switch count {
        case 0 ..< 16: bytes.append(0x80 | UInt8(count))
        case 16 ... 0xFFFF: bytes.append(0xDE); append(UInt64(count), size: 2)
        default: bytes.append(0xDF); append(UInt64(count), size: 4)
        }
    }

    /// `value`'s low `size` bytes, big-endian.
    private mutating func append(_ value: UInt64, size: Int) {
        for shift in stride(from: (size - 1) * 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
