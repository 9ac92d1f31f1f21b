import MockLLMCore

/// xoshiro256** seeded through SplitMix64: fast, small (32 bytes), and reproducible, so a
/// fixed seed gives the same ids and the same jitter on every run and every machine.
package struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    package init(seed: UInt64) {
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
    package init() {
        var system = SystemRandomNumberGenerator()
        self.init(seed: system.next())
    }

    package mutating func next() -> UInt64 {
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
    package mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A generator whose sequence is independent of this one's, for a stream to own.
    package mutating func fork() -> SeededRandom {
        SeededRandom(seed: next())
    }

    /// A random (version 4) UUID in its canonical lower-case text form.
    package mutating func uuidString() -> String {
        var bytes = ByteBuffer()
        bytes.reserveCapacity(36)
        appendUUID(to: &bytes)
        return bytes.description
    }

    /// Appends a random (version 4) UUID in canonical lower-case form, without building a String.
    package mutating func appendUUID(to out: inout ByteBuffer) {
        nextUUID().append(to: &out)
    }

    /// A random (version 4) UUID, to write later.
    package mutating func nextUUID() -> RandomUUID {
        let hi = next(), lo = next()
        return RandomUUID(
            hi: (hi & ~0xF000) | 0x4000,  // version 4 in the time_hi_and_version field
            lo: (lo & ~(0xC000 << 48)) | (0x8000 << 48))  // RFC 4122 variant
    }

    /// Writes the low `digits` nibbles of `value`, most significant first.
    @inline(__always)
    static func writeHex(_ value: UInt64, digits: Int, to b: UnsafeMutablePointer<UInt8>) {
        var v = value
        var k = digits
        while k > 0 {
            k -= 1
            b[k] = hexDigit(v)
            v >>= 4
        }
    }

    /// `prefix` and `digits` (at most 32) random lower-case hex digits, built in place (one allocation).
    package mutating func hexString(prefix: StaticString, digits: Int) -> String {
        precondition(digits <= 32)
        let words = (next(), next())
        let count = prefix.utf8CodeUnitCount
        return String(unsafeUninitializedCapacity: count + digits) { out in
            prefix.withUTF8Buffer { p in out.baseAddress!.initialize(from: p.baseAddress!, count: count) }
            var word = words.0
            for k in 0..<digits {
                if k == 16 { word = words.1 }
                out[count + k] = Self.hexDigit(word)
                word >>= 4
            }
            return count + digits
        }
    }

    /// `prefix` and `count` random letters and digits, as the real APIs' ids look
    /// (`call_` + 24, `toolu_01` + 22).
    package mutating func alphanumericString(prefix: String, count: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        var bytes = Array(prefix.utf8)
        for _ in 0..<count { bytes.append(alphabet[Int(next() % 62)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    private static func hexDigit(_ nibble: UInt64) -> UInt8 {
        let n = UInt8(truncatingIfNeeded: nibble & 0xF)
        return n < 10 ? n &+ 48 : n &+ 87
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}

/// A version 4 UUID as two words; written out only where it is needed.
package struct RandomUUID: Sendable, Equatable {
    let hi: UInt64
    let lo: UInt64

    /// Appends the canonical lower-case form, `xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx`.
    package func append(to out: inout ByteBuffer) {
        var text: (UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0)  // 40 bytes of scratch
        Swift.withUnsafeMutableBytes(of: &text) { raw in
            let b = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            // hi fills the first 16 digits, lo the last 16.
            SeededRandom.writeHex(hi >> 32, digits: 8, to: b)
            b[8] = UInt8(ascii: "-")
            SeededRandom.writeHex(hi >> 16, digits: 4, to: b + 9)
            b[13] = UInt8(ascii: "-")
            SeededRandom.writeHex(hi, digits: 4, to: b + 14)
            b[18] = UInt8(ascii: "-")
            SeededRandom.writeHex(lo >> 48, digits: 4, to: b + 19)
            b[23] = UInt8(ascii: "-")
            SeededRandom.writeHex(lo, digits: 12, to: b + 24)
            out.append(bytes: UnsafeBufferPointer(start: b, count: 36))
        }
    }
}
