@testable import MockLLMCore
@testable import MockLLMSimulation
import TestSupport
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
