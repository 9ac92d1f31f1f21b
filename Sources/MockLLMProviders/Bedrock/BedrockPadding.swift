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

    private var random: SeededRandom

    /// A padding of its own, seeded from the request's random source.
    init(random: inout SeededRandom) {
        self.random = SeededRandom(seed: random.next())
    }

    /// Appends `"p":"<padding>"` (no comma on either side).
    mutating func append(to out: inout ByteBuffer) {
        let length = Int(random.next() % UInt64(Self.alphabet.utf8CodeUnitCount)) + 1
        out.append(ascii: "\"p\":\"")
        out.append(bytes: UnsafeRawBufferPointer(start: Self.alphabet.utf8Start, count: length))
        out.append(UInt8(ascii: "\""))
    }
}
