/// The project's deterministic token estimate, used for `usage` and for `max_tokens`.
///
/// No tokenizer is downloaded or bundled (the original blocked for seconds fetching one). The
/// estimate splits text into pieces the way BPE tokenizers of the cl100k family tend to, and
/// counts one token per piece:
/// - a run of letters, with the single space before it, in pieces of at most 8 letters
///   (`" capital"` is one token, `" phenomenon"` two);
/// - a run of digits in groups of at most 3 (`"2026"` is two);
/// - every other visible character on its own: punctuation, symbols, emoji, each CJK ideograph
///   (a single space before it joins it);
/// - a run of other whitespace (newlines, repeated spaces) as one piece.
/// English prose comes out within about 10-15% of cl100k.
public enum TokenEstimator {
    public static let lettersPerPiece = 8
    public static let digitsPerPiece = 3

    private enum Kind: Equatable {
        case letter, digit, space, single
    }

    public static func count(_ text: String) -> Int {
        var n = 0
        forEachPiece(in: text) { _ in
            n += 1
            return true
        }
        return n
    }

    /// The text cut after `maxTokens` pieces, or nil when it has no more than that.
    public static func prefix(_ text: String, maxTokens: Int) -> Substring? {
        var n = 0
        var cut: String.Index?
        forEachPiece(in: text) { end in
            n += 1
            if n == maxTokens { cut = end }
            return n <= maxTokens
        }
        guard n > maxTokens else { return nil }
        return Substring(text.unicodeScalars[..<(cut ?? text.startIndex)])
    }

    /// Calls `body` with the end of each piece, in order, until it returns false.
    public static func forEachPiece(in text: String, _ body: (String.Index) -> Bool) {
        let scalars = text.unicodeScalars
        var i = scalars.startIndex
        let end = scalars.endIndex
        while i < end {
            var kind = classify(scalars[i])
            var j = scalars.index(after: i)
            if scalars[i] == " ", j < end {
                let next = classify(scalars[j])
                if next != .space {  // a single space joins the piece after it
                    kind = next
                    j = scalars.index(after: j)
                }
            }
            switch kind {
            case .letter:
                j = extend(scalars, from: j, while: .letter, taken: 1, limit: lettersPerPiece)
            case .digit:
                j = extend(scalars, from: j, while: .digit, taken: 1, limit: digitsPerPiece)
            case .space:
                var k = j
                while k < end, classify(scalars[k]) == .space { k = scalars.index(after: k) }
                // Leave a final single space to the word that follows, as tokenizers do.
                let last = scalars.index(before: k)
                if k < end, last > i, scalars[last] == " " { k = last }
                j = k
            case .single:
                break
            }
            if !body(j) { return }
            i = j
        }
    }

    private static func extend(
        _ scalars: String.UnicodeScalarView, from start: String.Index, while kind: Kind, taken: Int, limit: Int
    ) -> String.Index {
        var j = start
        var n = taken
        while j < scalars.endIndex, n < limit, classify(scalars[j]) == kind {
            j = scalars.index(after: j)
            n += 1
        }
        return j
    }

    private static func classify(_ s: Unicode.Scalar) -> Kind {
        let v = s.value
        if v < 0x80 {
            switch v {
            case 0x41...0x5A, 0x61...0x7A: return .letter
            case 0x30...0x39: return .digit
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: return .space
            default: return .single
            }
        }
        let p = s.properties
        if p.isWhitespace { return .space }
        if p.isIdeographic || p.isEmoji { return .single }
        if p.isAlphabetic { return .letter }
        switch p.generalCategory {
        case .decimalNumber: return .digit
        case .nonspacingMark, .spacingMark, .enclosingMark: return .letter
        default: return .single
        }
    }
}
