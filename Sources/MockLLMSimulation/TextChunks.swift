/// How a reply is cut into stream events.
package enum Chunking: Sendable, Equatable {
    /// One Unicode scalar per event, as the original streamed one Python character per event.
    case character
    /// A word with the whitespace before it (`"Hello"`, `" world"`, `"!"` stays with its word).
    case word
    /// One estimated token per event (see `TokenEstimator`), as real APIs stream.
    case token
    /// Up to n Unicode scalars per event.
    case characters(Int)
}

/// Walks a reply text chunk by chunk for streaming. Holds only the text and a position; the
/// chunks concatenate to exactly the text.
package struct TextChunks: Sendable {
    package let text: String
    package let chunking: Chunking
    private var position: String.Index

    package init(_ text: String, chunking: Chunking = .character) {
        self.text = text
        self.chunking = chunking
        position = text.startIndex
    }

    package var isFinished: Bool { position == text.endIndex }

    /// The next chunk, or nil at the end.
    package mutating func next() -> Substring? {
        guard position < text.endIndex else { return nil }
        let scalars = text.unicodeScalars
        var end = scalars.index(after: position)
        switch chunking {
        case .character:
            break
        case .characters(let n):
            var taken = 1
            while taken < n, end < scalars.endIndex {
                end = scalars.index(after: end)
                taken += 1
            }
        case .word:
            // Leading whitespace, then the word up to the next whitespace.
            var i = position
            while i < scalars.endIndex, Self.isWhitespace(scalars[i]) { i = scalars.index(after: i) }
            while i < scalars.endIndex, !Self.isWhitespace(scalars[i]) { i = scalars.index(after: i) }
            end = max(i, end)
        case .token:
            let start = text.utf8.distance(from: text.startIndex, to: position)
            let pieceEnd = TokenEstimator.pieceEnd(in: text, from: start)
            end = text.utf8.index(text.startIndex, offsetBy: max(pieceEnd, start + 1))
        }
        defer { position = end }
        return Substring(scalars[position..<end])
    }

    /// Unicode's White_Space, with ASCII answered without a property lookup (this runs for
    /// every character of every streamed word).
    @inline(__always)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value == 0x20 || (0x09...0x0D).contains(scalar.value) }
        return scalar.properties.isWhitespace
    }
}
