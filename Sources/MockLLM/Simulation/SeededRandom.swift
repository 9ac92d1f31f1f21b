/// xoshiro256** seeded through SplitMix64: fast, small (32 bytes), and reproducible, so a
/// fixed seed gives the same ids and the same jitter on every run and every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var sm = seed
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix()
        s1 = splitMix()
        s2 = splitMix()
        s3 = splitMix()
    }

    /// Seeded from the system's entropy source.
    public init() {
        var system = SystemRandomNumberGenerator()
        self.init(seed: system.next())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// A uniform double in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A generator whose sequence is independent of this one's, for a stream to own.
    public mutating func fork() -> SeededRandom {
        SeededRandom(seed: next())
    }

    /// A random (version 4) UUID in its canonical lower-case text form.
    public mutating func uuidString() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(36)
        appendUUID(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends a random (version 4) UUID in canonical lower-case form, without building a String.
    public mutating func appendUUID(to out: inout [UInt8]) {
        var hi = next()
        var lo = next()
        hi = (hi & ~0xF000) | 0x4000  // version 4 in the time_hi_and_version field
        lo = (lo & ~(0xC000 << 48)) | (0x8000 << 48)  // RFC 4122 variant
        appendHex(hi >> 32, digits: 8, to: &out)
        out.append(UInt8(ascii: "-"))
        appendHex(hi >> 16, digits: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendHex(hi, digits: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendHex(lo >> 48, digits: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendHex(lo, digits: 12, to: &out)
    }

    /// Appends `count` random lower-case hex digits (request ids).
    public mutating func appendHex(count: Int, to out: inout [UInt8]) {
        var left = count
        while left > 0 {
            let n = min(left, 16)
            appendHex(next(), digits: n, to: &out)
            left -= n
        }
    }

    private func appendHex(_ value: UInt64, digits: Int, to out: inout [UInt8]) {
        let table: StaticString = "0123456789abcdef"
        table.withUTF8Buffer { hex in
            var shift = (digits - 1) * 4
            while shift >= 0 {
                out.append(hex[Int((value >> UInt64(shift)) & 0xF)])
                shift -= 4
            }
        }
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
