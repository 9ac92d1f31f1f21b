@testable import MockLLM
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

    @Test(arguments: [
        (Float(0.1), "0.1"), (Float(-0.036812), "-0.036812"), (Float(1), "1"), (Float(0), "0"), (Float(-0.0), "-0"),
        (Float(1e-5), "0.00001"), (Float(0.0001), "0.0001"), (Float(1.5e-6), "0.0000015"), (Float(9.5e-7), "9.5e-7"),
        (Float(1.2345e-12), "1.2345e-12"), (Float(123456.7), "123456.7"), (Float(1e16), "10000000000000000"),
        (Float(2e21), "2e+21"),
    ])
    func float32sAreWrittenAsGoWritesThem(value: Float, text: String) {
        var out = ByteBuffer()
        GoFloat.append(value, into: &out)
        #expect(out.description == text)
    }

    @Test(arguments: [
        (Double(Float(0.1)), "0.10000000149011612"), (1e-7, "1e-7"), (0.5, "0.5"), (2, "2"), (-3.25e-9, "-3.25e-9"), (1e-6, "0.000001"),
    ])
    func float64sAreWrittenAsGoWritesThem(value: Double, text: String) {
        var out = ByteBuffer()
        GoFloat.append(value, into: &out)
        #expect(out.description == text)
    }
}
