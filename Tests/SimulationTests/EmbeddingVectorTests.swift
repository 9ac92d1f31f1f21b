@testable import MockLLMCore
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The shared embedding generator: deterministic from the text, unit length, and a shorter
/// vector is the longer one's prefix rescaled (what lets every protocol agree).
@Suite("Embedding vectors")
struct EmbeddingVectorTests {
    func norm(_ v: [Float]) -> Double { v.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }

    @Test func theSameTextGivesTheSameUnitVector() {
        let seed = EmbeddingVector.hash(text: "hello")
        #expect(seed == EmbeddingVector.fnv1a(Array("hello".utf8)))
        let a = EmbeddingVector.unit(seed: seed, dimensions: 300)
        #expect(a == EmbeddingVector.unit(seed: seed, dimensions: 300))
        #expect(a != EmbeddingVector.unit(seed: EmbeddingVector.hash(text: "hello!"), dimensions: 300))
        #expect(abs(norm(a) - 1) < 1e-6)
        #expect(EmbeddingVector.unit(seed: seed, dimensions: 0).isEmpty)
    }

    @Test func aShorterVectorIsTheLongerOnesPrefixRescaled() {
        let seed = EmbeddingVector.hash(text: "prefix")
        let long = EmbeddingVector.unit(seed: seed, dimensions: 3072)
        let short = EmbeddingVector.unit(seed: seed, dimensions: 8)
        let scale = norm(Array(long.prefix(8)))
        for (s, l) in zip(short, long) {
            #expect(abs(Double(s) - Double(l) / scale) < 1e-6)
        }
    }

    @Test func theRawLengthIsFromTenToTwentyAndFollowsTheText() {
        for text in ["a", "b", "hello", "a longer text"] {
            let length = EmbeddingVector.rawLength(seed: EmbeddingVector.hash(text: text))
            #expect(length >= 10 && length < 20)
        }
        #expect(abs(EmbeddingVector.rawLength(seed: 1234) - 12.34) < 1e-5)
    }
}
