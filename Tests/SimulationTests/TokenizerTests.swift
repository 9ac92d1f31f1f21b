@testable import MockLLMSimulation
import Testing

@Suite("Tokenizer: deterministic ids, one per TokenEstimator piece, decoded back")
struct TokenizerTests {
    static let samples = [
        "Hello world, the capital of France is Paris!",
        "Numbers 2026 and 1234567 split in threes.",
        "  indented\n\n\n\n\n\n\n\n\nafter many blank lines\t\ttabs",
        "привет мир, καλημέρα κόσμε",
        "CJK 你好世界 and emoji 🙂🚀 mixed",
        "phenomenon supercalifragilistic ALLCAPSWORDS",
        "",
    ]

    @Test(arguments: samples)
    func countAgreesWithTheEstimate(text: String) {
        #expect(Tokenizer.encode(text).count == TokenEstimator.count(text))
    }

    @Test(arguments: samples)
    func decodeRoundTrips(text: String) throws {
        #expect(try Tokenizer.decode(Tokenizer.encode(text)).get() == text)
    }

    @Test func idsAreFixedFunctionsOfThePieces() {
        // Values computed from the scheme, not from a previous run: "Hello" is H=8, e=31, l=38,
        // l=38, o=41 in base 53, after the 16 reserved ids; " world" adds the space's span.
        let hello = 16 + (((8 * 53 + 31) * 53 + 38) * 53 + 38) * 53 + 41
        #expect(Tokenizer.encode("Hello") == [hello])
        #expect(Tokenizer.encode("!") == [(1 << 48) + 0x21])
        #expect(Tokenizer.encode(" world")[0] - Tokenizer.encode("world")[0] == Tokenizer.letterSpan)
    }

    @Test func sharedBeginningsShareIds() {
        let a = Tokenizer.encode("You are a helpful assistant. Answer briefly: what is 2+2?")
        let b = Tokenizer.encode("You are a helpful assistant. Answer briefly: name a colour.")
        #expect(Array(a.prefix(8)) == Array(b.prefix(8)))
        #expect(a != b)
    }

    @Test func everyIdIsExactInAJSONNumber() {
        for text in Self.samples {
            for id in Tokenizer.encode(text) { #expect(id >= 0 && id < 1 << 53) }
        }
    }

    @Test func chatTemplateLengthIsTheChatEstimate() throws {
        let messages = [(role: "system", content: "Be brief."), (role: "user", content: "What is the capital of France?")]
        let ids = Tokenizer.encodeChat(messages, addGenerationPrompt: true)
        let estimate = messages.reduce(3) { $0 + 4 + TokenEstimator.count($1.content) }
        #expect(ids.count == estimate)
        #expect(ids.first == Tokenizer.imStart)
        #expect(try Tokenizer.decode(ids).get()
            == "<|im_start|>system\nBe brief.<|im_end|><|im_start|>user\nWhat is the capital of France?<|im_end|><|im_start|>assistant\n")
        #expect(Tokenizer.encodeChat(messages, addGenerationPrompt: false).count == estimate - 3)
    }

    @Test(arguments: [-1, 3, 15, 16, (2 << 48) + 0x20_61, 7 << 48, (8 << 48) + 12345, 1 << 60])
    func idsNoPieceHasAreRefused(id: Int) {
        // 16: letter value 0; (2<<48)+" a" packed: a letter piece has its own id; 8<<48+n: a hash
        // this process never produced.
        #expect(Tokenizer.decode([id]) == .failure(Tokenizer.UnknownToken(id: id)))
    }

    @Test func tokenStringsAreThePieces() {
        let ids = Tokenizer.encode("Hi, 2026!")
        #expect(ids.map { Tokenizer.tokenString($0) } == ["Hi", ",", " 202", "6", "!"])
    }

    /// The engine's path tokenizes without touching the table `decode` reads (no lock): same ids.
    @Test func encodingWithoutRememberingGivesTheSameIds() {
        // Eight Greek letters, new to this process: one piece of 16 bytes, hashed.
        let word = String((0..<8).map { _ in Character(UnicodeScalar(0x3B1 + Int.random(in: 0..<24))!) })
        let quiet = Tokenizer.encode(word, remembering: false)
        #expect(quiet.count == 1 && quiet[0] >= Tokenizer.hashedBase)
        #expect(Tokenizer.decode(quiet) == .failure(Tokenizer.UnknownToken(id: quiet[0])), "not remembered")
        #expect(Tokenizer.encode(word) == quiet)
        #expect(Tokenizer.decode(quiet) == .success(word))
        let chat = [(role: "user", content: "hello" + word)]
        #expect(Tokenizer.encodeChat(chat, addGenerationPrompt: true, remembering: false) == Tokenizer.encodeChat(chat, addGenerationPrompt: true))
    }
}
