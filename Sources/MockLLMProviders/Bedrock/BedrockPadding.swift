import MockLLMCore
import MockLLMSimulation

/// The `p` member Bedrock adds to every event of its streams: a prefix of
/// `abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789` of random length, so that
/// an event's size on the wire does not give away the length of the text it carries (the
/// token-length side channel). It stands where its name sorts among the event's members, as
/// Bedrock writes them: `{"p":"abcd","role":"assistant"}`, `{"contentBlockIndex":0,"delta":{...},"p":"ab"}`,
/// `{"bytes":"...","p":"abcdefg"}`. Clients ignore it (botocore's parser drops members the
/// model does not name).
///
/// The length here is uniform in 1...62; captured streams show lengths from 2 to 57, and AWS
/// documents neither the field nor its distribution.
struct BedrockPadding {
    static let alphabet: StaticString = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    /// The member's name and opening quote, then the alphabet: a padding is a prefix of it.
    static let member: StaticString = "\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    /// The ends of the events sent most, from the last byte that varies: a delta's closing
    /// brace (two for a tool use's) or a chunk's closing quote, the member, the padding and `"}`.
    /// Their checksums are folded in rather than read (`EventStreamTail`).
    static let afterText = Tail("},\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    static let afterToolInput = Tail("}},\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    static let afterChunk = Tail("\",\"p\":\"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")

    /// An event's end: `padded` (its start, then the alphabet) up to the padding's length, then
    /// `"}`: each of the 62 such ends written out, to be sent with one copy, and zlib's `crc32`
    /// of each; made once (storage never freed).
    struct Tail: @unchecked Sendable {
        /// End `k` (padding length `k + 1`) starts at `stride * k`.
        let ends: UnsafeRawPointer
        let stride: Int
        /// The bytes before the padding.
        let start: Int
        let crcs: UnsafePointer<UInt32>

        init(_ padded: StaticString) {
            let letters = alphabet.utf8CodeUnitCount
            start = padded.utf8CodeUnitCount - letters
            stride = padded.utf8CodeUnitCount + 2
            let ends = UnsafeMutableRawPointer.allocate(byteCount: stride * letters, alignment: 16)
            let crcs = UnsafeMutablePointer<UInt32>.allocate(capacity: letters)
            for length in 1...letters {
                let end = ends + stride * (length - 1)
                end.copyMemory(from: padded.utf8Start, byteCount: start + length)
                end.storeBytes(of: UInt8(ascii: "\""), toByteOffset: start + length, as: UInt8.self)
                end.storeBytes(of: UInt8(ascii: "}"), toByteOffset: start + length + 1, as: UInt8.self)
                crcs[length - 1] = EventStream.crc32(UnsafeRawBufferPointer(start: end, count: start + length + 2))
            }
            self.ends = UnsafeRawPointer(ends)
            self.crcs = UnsafePointer(crcs)
        }
    }

    private var random: SeededRandom

    /// A padding of its own, seeded from the request's random source.
    init(random: inout SeededRandom) {
        self.random = SeededRandom(seed: random.next())
    }

    /// Appends `"p":"<padding>`, then `closing`, which starts with the value's closing quote
    /// (`"}`, `","role":"assistant"}`): two appends, as an event's bytes are written per append.
    mutating func append(to out: inout ByteBuffer, closing: StaticString) {
        append(to: &out, after: Self.member, closing: closing)
    }

    /// Appends `tail`'s start, the padding and `"}`, and returns that end, for
    /// `EventStream.finishMessage` to fold into the checksum.
    mutating func append(_ tail: Tail, to out: inout ByteBuffer) -> EventStreamTail {
        let k = Int(random.next() % UInt64(Self.alphabet.utf8CodeUnitCount))
        let count = tail.start + k + 3
        out.append(bytes: UnsafeRawBufferPointer(start: tail.ends + tail.stride * k, count: count))
        return EventStreamTail(count: count, crc: tail.crcs[k])
    }

    /// Appends the padding alone (its member's `"p":"` already written, in the event's lead),
    /// then `closing`.
    mutating func appendValue(to out: inout ByteBuffer, closing: StaticString) {
        append(to: &out, after: Self.alphabet, closing: closing)
    }

    /// Appends `padded`'s bytes up to the alphabet, then the padding, then `closing`: `padded`
    /// ends with the alphabet.
    @inline(__always)
    mutating func append(to out: inout ByteBuffer, after padded: StaticString, closing: StaticString) {
        let length = Int(random.next() % UInt64(Self.alphabet.utf8CodeUnitCount)) + 1
        let lead = padded.utf8CodeUnitCount - Self.alphabet.utf8CodeUnitCount
        out.append(bytes: UnsafeRawBufferPointer(start: padded.utf8Start, count: lead + length))
        out.append(ascii: closing)
    }
}
