import MockLLMCore
import MockLLMSimulation

// The prompt's text as tokens, and the dates and times read from them: PromptValues' lexer.
extension PromptValues {
    struct Token {
        var text: String
        var lower: String
        var isWord: Bool
        var isNumber: Bool
        var capitalized: Bool
        var allCaps: Bool
        var sentenceStart: Bool
        var spaceBefore: Bool
    }

    /// Words (letters and digits, with inner apostrophes and hyphens; numbers with inner `.`, `/`
    /// and thousands commas) and single symbols.
    static func tokens(_ text: String) -> [Token] {
        let chars = Array(text)
        var tokens: [Token] = []
        var i = 0
        var sentenceStart = true
        var spaceBefore = true
        while i < chars.count {
            let c = chars[i]
            if c.isWhitespace {
                spaceBefore = true
                if c.isNewline { sentenceStart = true }
                i += 1
                continue
            }
            guard c.isLetter || c.isNumber else {
                tokens.append(Token(text: String(c), lower: String(c), isWord: false, isNumber: false, capitalized: false,
                                    allCaps: false, sentenceStart: false, spaceBefore: spaceBefore))
                if ".!?:;".contains(c) { sentenceStart = true }
                spaceBefore = false
                i += 1
                continue
            }
            var word = ""
            var j = i
            while j < chars.count {
                let d = chars[j]
                if d.isLetter || d.isNumber {
                    word.append(d)
                    j += 1
                    continue
                }
                guard let last = word.last, j + 1 < chars.count else { break }
                let next = chars[j + 1]
                var joins = false
                switch d {
                case "'", "’", "-": joins = next.isLetter || next.isNumber
                case ".", "/": joins = last.isNumber && next.isNumber
                case ",":
                    joins = last.isNumber && j + 3 < chars.count && chars[j + 1].isNumber && chars[j + 2].isNumber
                        && chars[j + 3].isNumber && (j + 4 == chars.count || !chars[j + 4].isNumber)
                default: break
                }
                guard joins else { break }
                word.append(d)
                j += 1
            }
            let isNumber = word.first?.isNumber == true && word.allSatisfy { $0.isNumber || $0 == "." || $0 == "," }
                && word.filter({ $0 == "." }).count <= 1
            let letters = word.filter(\.isLetter)
            tokens.append(Token(
                text: word, lower: word.lowercased(), isWord: true, isNumber: isNumber,
                capitalized: word.first?.isUppercase == true, allCaps: !letters.isEmpty && letters.allSatisfy(\.isUppercase),
                sentenceStart: sentenceStart, spaceBefore: spaceBefore))
            sentenceStart = false
            spaceBefore = false
            i = j
        }
        return tokens
    }

    /// The lower-case words within three tokens of `i` (with their singular), and the symbols next
    /// to it (`%`, `$`, `°`), each with its closeness: 3 next to it, 2 one further, 1 two further.
    static func nearby(_ tokens: [Token], _ i: Int) -> [String: Int] {
        var words: [String: Int] = [:]
        func note(_ word: String, _ closeness: Int) { words[word] = max(words[word] ?? 0, closeness) }
        for k in max(0, i - 3)...min(tokens.count - 1, i + 3) where k != i {
            let t = tokens[k]
            let closeness = 4 - abs(k - i)
            if t.isWord && !t.isNumber {
                note(t.lower, closeness)
                if t.lower.count > 3, t.lower.hasSuffix("s") { note(String(t.lower.dropLast()), closeness) }
            } else if closeness == 3, !t.isWord {
                note(t.text, closeness)
            }
        }
        return words
    }

    /// The value a `key: value` or `key is value` pair gives: a quoted string, a number, or the
    /// words up to the next punctuation (at most four).
    static func valueAfter(_ tokens: [Token], _ start: Int) -> JSONValue? {
        let first = tokens[start]
        if first.isNumber, let d = Double(first.text.filter { $0 != "," }) { return .number(d) }
        guard first.isWord, !commonWords.contains(first.lower) || first.capitalized && !first.sentenceStart else { return nil }
        var words = [first.text]
        var k = start + 1
        while k < tokens.count, words.count < 4, tokens[k].isWord, !tokens[k].isNumber, tokens[k].capitalized == first.capitalized,
              !commonWords.contains(tokens[k].lower) {
            words.append(tokens[k].text)
            k += 1
        }
        return .string(words.joined(separator: " "))
    }

    /// `2024-03-05`, `2024/03/05`, `March 5, 2024`, `5 March 2024` starting at token `i`, and the
    /// tokens it spans.
    static func date(_ tokens: [Token], at i: Int) -> (String, ClosedRange<Int>)? {
        let t = tokens[i]
        if t.isWord {
            let parts = t.text.split(whereSeparator: { $0 == "-" || $0 == "/" }).map(String.init)
            if parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) {
                return isoDate(y, m, d).map { ($0, i...i) }
            }
        }
        func number(_ k: Int) -> Int? { k < tokens.count && tokens[k].isNumber ? Int(tokens[k].text) : nil }
        func month(_ k: Int) -> Int? { k < tokens.count ? months[tokens[k].lower] : nil }
        if let m = month(i) {
            guard let d = number(i + 1) else { return nil }
            var k = i + 2
            if k < tokens.count, tokens[k].text == "," { k += 1 }
            if let y = number(k), y >= 1000 { return isoDate(y, m, d).map { ($0, i...k) } }
        } else if t.isNumber, let d = Int(t.text), i == 0 || month(i - 1) == nil, let m = month(i + 1), let y = number(i + 2), y >= 1000 {
            return isoDate(y, m, d).map { ($0, i...(i + 2)) }
        }
        return nil
    }

    static func isoDate(_ y: Int, _ m: Int, _ d: Int) -> String? {
        guard (1000...9999).contains(y), (1...12).contains(m), (1...31).contains(d) else { return nil }
        return "\(y)-\(twoDigits(m))-\(twoDigits(d))"
    }

    /// `14:30`, `2:30 pm`, `14:30:15` starting at token `i`, as `HH:MM:SS`, and the tokens it spans.
    static func time(_ tokens: [Token], at i: Int) -> (String, ClosedRange<Int>)? {
        guard i + 2 < tokens.count, tokens[i].isNumber, var h = Int(tokens[i].text), tokens[i + 1].text == ":",
              tokens[i + 2].isNumber, tokens[i + 2].text.count == 2, let m = Int(tokens[i + 2].text) else { return nil }
        var s = 0
        var k = i + 3
        if k + 1 < tokens.count, tokens[k].text == ":", tokens[k + 1].isNumber, let sec = Int(tokens[k + 1].text) {
            s = sec
            k += 2
        }
        if k < tokens.count, tokens[k].lower == "pm" || tokens[k].lower == "am" {
            if tokens[k].lower == "pm", h < 12 { h += 12 }
            if tokens[k].lower == "am", h == 12 { h = 0 }
            k += 1
        }
        guard (0...23).contains(h), (0...59).contains(m), (0...59).contains(s) else { return nil }
        return ("\(twoDigits(h)):\(twoDigits(m)):\(twoDigits(s))", i...(k - 1))
    }

    static func twoDigits(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    static func isNameWord(_ t: Token, inside: Bool = false) -> Bool {
        guard t.isWord, !t.isNumber, t.capitalized, !(t.allCaps && t.text.count > 1) else { return false }
        let lower = stripPossessive(t.lower)
        if commonWords.contains(lower) || months[lower] != nil || weekdays.contains(lower) || weatherConditions.contains(lower) { return false }
        return t.text.count > 1 || inside
    }

    static func stripPossessive(_ word: String) -> String {
        word.hasSuffix("'s") || word.hasSuffix("’s") ? String(word.dropLast(2)) : word
    }
}
