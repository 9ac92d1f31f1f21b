import MockLLMCore

/// The simulated embedding of a text, shared by every protocol's embeddings endpoint (OpenAI's
/// `/v1/embeddings`, Ollama's `/api/embed` and `/api/embeddings`, Gemini's `embedContent`).
///
/// A generator seeded with the FNV-1a hash of the text draws one value uniformly in [-1, 1) per
/// dimension, in order, and the vector is scaled to unit length. The draws do not depend on the
/// length asked for, so a text's vector of `n` values is the first `n` values of its longer
/// vectors, rescaled: the same text gives the same vector, for the same length, on every worker,
/// in every run, whatever `--seed`, and in every protocol. Each endpoint writes it in its own
/// wire form (and Gemini's shortened vectors and Ollama's legacy endpoint rescale it as the real
/// APIs do).
package enum EmbeddingVector {
    /// FNV-1a (64-bit) of `bytes`.
    static func fnv1a<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The seed of a text: FNV-1a of its UTF-8 bytes.
    package static func hash(text: String) -> UInt64 { fnv1a(text.utf8) }

    /// The seed of a token-id input: the hash of its ids' decimal form, joined by commas (`1,2,3`).
    package static func hash(tokenIDs: [Int]) -> UInt64 {
        var text = ByteBuffer()
        for (i, id) in tokenIDs.enumerated() {
            if i > 0 { text.append(UInt8(ascii: ",")) }
            text.append(decimal: id)
        }
        return text.withUnsafeReadableBytes { fnv1a($0) }
    }

    /// Fills `vector` (its whole length) with the unit vector of `seed`.
    package static func fill(_ vector: inout [Float], seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var sum = 0.0
        var values = [Double](repeating: 0, count: vector.count)
        for i in values.indices {
            let v = random.nextUnit() * 2 - 1
            values[i] = v
            sum += v * v
        }
        let scale = sum > 0 ? 1 / sum.squareRoot() : 0
        for i in values.indices { vector[i] = Float(values[i] * scale) }
    }

    /// The unit vector of `dimensions` values for `seed`.
    package static func unit(seed: UInt64, dimensions: Int) -> [Float] {
        var vector = [Float](repeating: 0, count: max(0, dimensions))
        fill(&vector, seed: seed)
        return vector
    }

    /// The length of a model's raw output for `seed`, from 10 up to 20: the scale of the vector
    /// before normalisation, for APIs that send it as it is (Ollama's legacy `/api/embeddings`).
    package static func rawLength(seed: UInt64) -> Float {
        10 + Float(seed % 1000) / 100
    }
}
