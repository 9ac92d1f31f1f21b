import MockLLM
import Testing

@Suite("Token estimate")
struct TokenEstimatorTests {
    @Test(arguments: [
        ("", 0),
        ("Hello! How can I help you today?", 9),
        ("What is the capital of France?", 7),
        ("phenomenon", 2),
        ("2026", 2),
        ("a  b", 3),
        ("line\nnext", 3),
        ("世界", 2),
        ("😀!", 2),
        ("héllo", 1),
    ])
    func countsPieces(text: String, tokens: Int) {
        #expect(TokenEstimator.count(text) == tokens)
    }

    @Test func prefixCutsAfterWholePieces() {
        #expect(TokenEstimator.prefix("Hello! How can I help you today?", maxTokens: 3) == "Hello! How")
        #expect(TokenEstimator.prefix("Hello", maxTokens: 1) == nil)
        #expect(TokenEstimator.prefix("Hello world", maxTokens: 5) == nil)
    }

    @Test func prefixNeverSplitsAScalarOrItsCount() {
        let text = "e\u{301}e\u{301} x"  // decomposed accents
        for n in 1...3 {
            if let cut = TokenEstimator.prefix(text, maxTokens: n) {
                #expect(TokenEstimator.count(String(cut)) == n)
                #expect(text.unicodeScalars.starts(with: cut.unicodeScalars))
            }
        }
    }
}

@Suite("Pacing and randomness")
struct PacingTests {
    @Test func nonStreamDelayIsTheOriginalsFormula() {
        #expect(Pacing.seedLag(factor: 10).replyDelay(characterCount: 20) == 200_000_000)
        #expect(Pacing.seedLag(factor: 20).replyDelay(characterCount: 20) == 100_000_000)
        #expect(Pacing.immediate.replyDelay(characterCount: 20) == 0)
    }

    @Test func streamDelaysStayWithinHalfToOneAndAHalfBase() {
        var random = SeededRandom(seed: 7)
        let delays = (0..<10_000).map { _ in Pacing.seedLag(factor: 10).chunkDelay(using: &random) }
        #expect(delays.allSatisfy { (5_000_000...15_000_000).contains($0) })
        let mean = Double(delays.reduce(0, +)) / Double(delays.count)
        #expect(abs(mean - 10_000_000) < 200_000)
    }

    @Test func aSeedFixesTheSequence() {
        var a = SeededRandom(seed: 99)
        var b = SeededRandom(seed: 99)
        #expect((0..<100).map { _ in a.next() } == (0..<100).map { _ in b.next() })
    }

    @Test func uuidsAreVersion4InCanonicalForm() {
        var random = SeededRandom(seed: 1)
        for _ in 0..<100 {
            let id = random.uuidString()
            let parts = id.split(separator: "-")
            #expect(parts.map(\.count) == [8, 4, 4, 4, 12])
            #expect(parts[2].first == "4")
            #expect("89ab".contains(parts[3].first!))
            #expect(id.allSatisfy { "0123456789abcdef-".contains($0) })
        }
    }

    @Test func chunksAreUnicodeScalars() {
        var chunks = TextChunks("aé😀e\u{301}")
        var all: [String] = []
        while let chunk = chunks.next() { all.append(String(chunk)) }
        #expect(all == ["a", "é", "😀", "e", "\u{301}"])
    }
}
