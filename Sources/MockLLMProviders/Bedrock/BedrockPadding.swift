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

    private var random: SeededRandom

    /// A padding of its own, seeded from the request's random source.
    init(random: inout SeededRandom) {
        self.random = SeededRandom(seed: random.next())
    }

    /// Appends `"p":"<padding>`, then `closing`, which starts with the value's closing quote
    /// (`"}`, `","role":"assistant"}`): two appends, as an event's bytes are written per append.
    mutating func append(to out: inout ByteBuffer, closing: StaticString) {
        let length = Int(random.next() % UInt64(Self.alphabet.utf8CodeUnitCount)) + 1
        out.append(bytes: UnsafeRawBufferPointer(start: Self.member.utf8Start, count: 5 + length))
        out.append(ascii: closing)
    }
}
