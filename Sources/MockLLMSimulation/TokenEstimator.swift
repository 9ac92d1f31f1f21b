import MockLLMCore

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
/// English prose comes out within about 10-15% of cl100k. It runs on the request path, so it
/// works on UTF-8 bytes and decodes only non-ASCII scalars.
package enum TokenEstimator {
    package static let lettersPerPiece = 8
    package static let digitsPerPiece = 3

    private enum Kind: Equatable {
        case letter, digit, space, single
    }

    package static func count(_ text: String) -> Int {
        var n = 0
        forEachPiece(in: text) { _ in
            n += 1
            return true
        }
        return n
    }

    /// The text cut after `maxTokens` pieces, or nil when it has no more than that.
    package static func prefix(_ text: String, maxTokens: Int) -> Substring? {
        var n = 0
        var cut = 0
        forEachPiece(in: text) { end in
            n += 1
            if n == maxTokens { cut = end }
            return n <= maxTokens
        }
        guard n > maxTokens else { return nil }
        return Substring(text.utf8.prefix(cut))
    }

    /// Calls `body` with the UTF-8 offset where each piece ends, in order, until it returns false.
    package static func forEachPiece(in text: String, _ body: (Int) -> Bool) {
        var text = text
        text.withUTF8 { forEachPiece(in: $0, from: 0, body) }
    }

    /// The UTF-8 offset where the piece starting at UTF-8 offset `start` ends (pieces depend only
    /// on the text from their start, so streaming by token can walk a reply piece by piece).
    package static func pieceEnd(in text: String, from start: Int) -> Int {
        var text = text
        var end = start
        text.withUTF8 { forEachPiece(in: $0, from: start) { end = $0; return false } }
        return end
    }

    private static func forEachPiece(in p: UnsafeBufferPointer<UInt8>, from start: Int, _ body: (Int) -> Bool) {
        var i = start
        let end = p.count
        while i < end {
            var (kind, j) = classify(p, at: i)
            if p[i] == UInt8(ascii: " "), j < end {
                let (next, afterNext) = classify(p, at: j)
                if next != .space {  // a single space joins the piece after it
                    kind = next
                    j = afterNext
                }
            }
            switch kind {
            case .letter:
                j = extend(p, from: j, while: .letter, limit: lettersPerPiece)
            case .digit:
                j = extend(p, from: j, while: .digit, limit: digitsPerPiece)
            case .space:
                var k = j
                var lastStart = i
                while k < end {
                    let (kind, next) = classify(p, at: k)
                    if kind != .space { break }
                    lastStart = k
                    k = next
                }
                // Leave a final single space to the word that follows, as tokenizers do.
                if k < end, lastStart > i, p[lastStart] == UInt8(ascii: " ") { k = lastStart }
                j = k
            case .single:
                break
            }
            if !body(j) { return }
            i = j
        }
    }

    /// Extends a piece that already holds one character of `kind` to at most `limit` of them.
    private static func extend(_ p: UnsafeBufferPointer<UInt8>, from start: Int, while kind: Kind, limit: Int) -> Int {
        var j = start
        var n = 1
        while j < p.count, n < limit {
            let (k, next) = classify(p, at: j)
            if k != kind { break }
            j = next
            n += 1
        }
        return j
    }

    /// The kind of the scalar at `i` and the offset after it.
    @inline(__always)
    private static func classify(_ p: UnsafeBufferPointer<UInt8>, at i: Int) -> (Kind, Int) {
        let b = p[i]
        if b < 0x80 {
            switch b {
            case 0x41...0x5A, 0x61...0x7A: return (.letter, i + 1)
            case 0x30...0x39: return (.digit, i + 1)
            case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: return (.space, i + 1)
            default: return (.single, i + 1)
            }
        }
        let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
        var value = UInt32(b) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
        for k in 1..<min(length, p.count - i) { value = value << 6 | UInt32(p[i + k] & 0x3F) }
        guard let scalar = Unicode.Scalar(value) else { return (.single, min(i + length, p.count)) }
        return (classify(scalar), min(i + length, p.count))
    }

    private static func classify(_ s: Unicode.Scalar) -> Kind {
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
