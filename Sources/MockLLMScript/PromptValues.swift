import MockLLMCore
import MockLLMSimulation

/// The values a conversation names, offered to `SchemaInstance` when automatic mode writes tool
/// arguments or a structured reply: "What is the weather in Paris?" gives `{"city": "Paris"}`
/// rather than an invented string.
///
/// Read from a primary text (the prompt, or the clause of it that asked for the tool) and then
/// context texts (the tool results since the prompt): `enum` members the text names; values given
/// by key (`"temp": 15` in a JSON tool result, "my name is Ada", "code: X1"); then, by the
/// property's type, `format`, name and description: dates and times, e-mail addresses, URLs,
/// numbers (chosen by the words around them: "25 years old" is an age, "15 degrees" a
/// temperature), places (capitalised names after "in", "at", "to", "from"...; "from" for an
/// origin, "to" for a destination), people (other capitalised names; a first or last name takes
/// its part), codes (all-capital words such as `CET` or `USD` for a time zone or currency), quoted
/// strings, the prompt itself for a query, and the tool results for an answer or summary. Each
/// value found is used once per instance, so two cities get two places. When the text names
/// nothing that fits, a plausible value for the property's name (a city, a person, a currency, an
/// age...) within the schema's bounds, else nothing, and the generator invents one.
/// Deterministic: the same texts, schema and random state give the same values.
package struct PromptValues: SchemaValueSource {
    /// A capitalised name ("Paris", "New York", "Ada Lovelace") and the word before it.
    struct Phrase {
        var text: String
        var before: String
        var after: String
    }

    /// A number and the words around it.
    struct Number {
        var value: Double
        /// The words around it and how close they stand (3 next to it).
        var nearby: [String: Int]

        /// How close the closest of `words` stands to it (0 when none does).
        func closeness(_ words: some Sequence<String>) -> Int {
            words.reduce(0) { max($0, nearby[$1] ?? 0) }
        }
    }

    private var phrases: [Phrase] = []
    private var codes: [String] = []
    private var quoted: [String] = []
    private var numbers: [Number] = []
    private var dates: [String] = []
    private var times: [String] = []
    private var emails: [String] = []
    private var urls: [String] = []
    /// Values given by key, keys lower-cased with only letters and digits kept.
    private var pairs: [(key: String, value: JSONValue)] = []
    private var lowered: [String]
    private let primary: String
    private let context: [String]
    /// The values already given to a property of this instance (kind and position).
    private var used: Set<String> = []

    /// - Parameters:
    ///   - primary: the text values come from first (the prompt or the clause that asked).
    ///   - context: more text (tool results), read after it.
    package init(primary: String, context: [String] = []) {
        self.primary = String(primary.prefix(Self.maxCharacters))
        self.context = context.map { String($0.prefix(Self.maxCharacters)) }
        lowered = ([self.primary] + self.context).map { $0.lowercased() }
        readQuoted(self.primary)
        for text in [self.primary] + self.context { read(text) }
    }

    /// Texts longer than this are read up to here.
    static let maxCharacters = 20_000

    package mutating func value(for slot: SchemaSlot, random: inout SeededRandom) -> JSONValue? {
        guard let name = slot.name else { return nil }
        let s = slot.schema
        let type = Self.leafType(s)
        let words = Self.nameWords(name)
        let described = Self.nameWords(s["description"]?.stringValue ?? "")
        if let choices = s["enum"]?.arrayValue { return enumMember(choices) }
        guard type == nil || type == "string" || type == "integer" || type == "number" else { return nil }
        if let given = pairValue(name: name, words: words, type: type) { return given }
        if type == "integer" || type == "number" {
            return number(words + described, schema: s, integer: type == "integer", random: &random)
        }
        return string(words, described: described, schema: s, random: &random)
    }

    // MARK: - Choosing

    /// The member of `choices` the texts name first (the primary text before the context).
    private func enumMember(_ choices: [JSONValue]) -> JSONValue? {
        for text in lowered {
            var best: (value: JSONValue, at: String.Index)?
            for choice in choices {
                let label: String
                switch choice {
                case .string(let s): label = s
                case .number(let d): label = d.plainDecimal
                default: continue
                }
                guard label.count >= 1, let at = Self.wordRange(of: label.lowercased(), in: text)?.lowerBound else { continue }
                if best == nil || at < best!.at { best = (choice, at) }
            }
            if let best { return best.value }
        }
        return nil
    }

    /// A value the texts give by this property's key (or a word for the same thing).
    private func pairValue(name: String, words: [String], type: String?) -> JSONValue? {
        let key = Self.normalized(name)
        let concepts = Self.concepts(of: words)
        for pair in pairs where pair.key == key || (pair.key.count >= 3 && (words.contains(pair.key) || concepts.contains(pair.key))) {
            switch (pair.value, type) {
            case (.number(let d), "integer") where d == d.rounded(): return pair.value
            case (.number, "number"): return pair.value
            case (.number(let d), "string"), (.number(let d), nil): return .string(d.plainDecimal)
            case (.string(let text), "integer"), (.string(let text), "number"):
                if let d = Double(text), type == "number" || d == d.rounded() { return .number(d) }
            case (.string, "string"), (.string, nil): return pair.value
            default: continue
            }
        }
        return nil
    }

    private mutating func number(_ words: [String], schema s: JSONObject, integer: Bool, random: inout SeededRandom) -> JSONValue? {
        let concepts = Self.numberConcepts.filter { !$0.property.isDisjoint(with: words) }
        func fits(_ d: Double) -> Bool { (!integer || d == d.rounded()) && Self.within(d, s) }
        var best: (index: Int, score: Int)?
        for (i, n) in numbers.enumerated() where !used.contains("n\(i)") && fits(n.value) {
            // Its own name next to it counts most, then a word for what it measures.
            let score = 2 * n.closeness(words) + concepts.reduce(0) { max($0, n.closeness($1.context)) }
            if score > (best?.score ?? 0) { best = (i, score) }
        }
        if best == nil {
            // A number whose words make it something else (a duration, a price) is not taken.
            best = numbers.indices.first { i in
                !used.contains("n\(i)") && fits(numbers[i].value)
                    && !Self.numberConcepts.contains { numbers[i].closeness($0.context) > 0 }
            }.map { ($0, 0) }
        }
        if let best {
            used.insert("n\(best.index)")
            return .number(numbers[best.index].value)
        }
        guard let range = concepts.first?.plausible else { return nil }
        let low = max(range.lowerBound, s.schemaNumber("minimum") ?? -.infinity)
        let high = min(range.upperBound, s.schemaNumber("maximum") ?? .infinity)
        guard low <= high else { return nil }
        let x = low + random.nextUnit() * (high - low)
        let value = integer || concepts.first?.whole == true ? x.rounded(.down) : (x * 10).rounded() / 10
        return fits(value) ? .number(value) : nil
    }

    private mutating func string(_ words: [String], described: [String], schema s: JSONObject, random: inout SeededRandom) -> JSONValue? {
        let maxLength = s.schemaCount("maxLength", cap: 1_000_000) ?? .max
        func fitting(_ text: String) -> JSONValue? {
            let count = text.unicodeScalars.count
            guard count >= (s.schemaCount("minLength", cap: 1_000_000) ?? 0), count <= maxLength, !text.isEmpty else { return nil }
            return .string(text)
        }
        let format = s["format"]?.stringValue
        let all = words + described
        func says(_ set: Set<String>, nameOnly: Bool = false) -> Bool { !set.isDisjoint(with: nameOnly ? words : all) }

        if format == "date" || format == "date-time" || format == "time" || (format == nil && says(Self.dateWords, nameOnly: true)) {
            switch format {
            case "date-time":
                // The time stays free for a property of its own.
                if let date = take(dates, "d") { return fitting("\(date)T\(times.first ?? "09:00:00")Z") }
            case "time":
                if let time = take(times, "t") { return fitting(time + "Z") }  // RFC 3339 full-time: with its offset
            default:
                if let date = take(dates, "d") { return fitting(date) }
            }
            return nil
        }
        if format == "email" || format == "idn-email" || says(["email", "mail"], nameOnly: true) {
            return take(emails, "e").flatMap(fitting) ?? (format == nil ? plausible(words, random: &random).flatMap(fitting) : nil)
        }
        if ["uri", "url", "iri", "uri-reference", "iri-reference"].contains(format ?? "") || says(Self.urlWords, nameOnly: true) {
            return take(urls, "u").flatMap(fitting) ?? (format == nil ? plausible(words, random: &random).flatMap(fitting) : nil)
        }
        if format != nil { return nil }
        switch Self.category(words, described: described) {
        case .place:
            let wanted: Set<String> = words.contains(where: Self.originWords.contains) ? ["from"]
                : words.contains(where: Self.destinationWords.contains) ? ["to", "towards", "toward", "into"] : Self.placePrepositions
            // A name after a place word first; else one that reads as nothing else ("Paris and
            // London", but not "Jason is 25").
            if let place = takePhrase(where: { wanted.contains($0.before) })
                ?? takePhrase(where: { Self.placePrepositions.contains($0.before) })
                ?? takePhrase(where: { !Self.personCues.contains($0.before) && !Self.personCues.contains($0.after) }) {
                return fitting(place)
            }
            if let code = take(codes, "c") { return fitting(code) }
        case .person:
            // A first or last name is a part of a name: the other part stays free for its property.
            let part = words.contains("first") || words.contains("given") ? "first"
                : words.contains("last") || words.contains("surname") || words.contains("family") ? "last" : nil
            if let i = personPhrase(part: part) {
                let parts = phrases[i].text.split(separator: " ")
                switch part {
                case "first": return fitting(String(parts[0]))
                case "last": return fitting(String(parts[parts.count - 1]))
                default: return fitting(phrases[i].text)
                }
            }
        case .code:
            if let code = take(codes, "c") { return fitting(code) }
        case .query:
            if let text = take(quoted, "q") { return fitting(text) }
            return fitting(String(primary.prefix(min(maxLength, 500))))
        case .weather:
            if let condition = weatherCondition() { return fitting(condition) }
        case .other:
            break
        }
        if let text = take(quoted, "q") { return fitting(text) }
        if says(Self.answerWords, nameOnly: true), let result = context.first(where: { !$0.isEmpty }) {
            return fitting(String(result.prefix(min(maxLength, 500))))
        }
        return plausible(words, random: &random).flatMap(fitting)
    }

    enum Category { case place, person, code, query, weather, other }

    /// What a string property holds, by the words of its name, else of its description (a
    /// description does not make a person: "the name of the product").
    static func category(_ words: [String], described: [String]) -> Category {
        for (set, isName) in [(words, true), (described, false)] {
            if !placeWords.isDisjoint(with: set) { return .place }
            if isName && !personWords.isDisjoint(with: set) { return .person }
            if !codeWords.isDisjoint(with: set) { return .code }
            if !queryWords.isDisjoint(with: set) { return .query }
            if !weatherWords.isDisjoint(with: set) { return .weather }
        }
        return .other
    }

    /// The next value of a list not used yet.
    private mutating func take(_ list: [String], _ kind: String) -> String? {
        guard let i = list.indices.first(where: { !used.contains("\(kind)\($0)") }) else { return nil }
        used.insert("\(kind)\(i)")
        return list[i]
    }

    private mutating func takePhrase(where accept: (Phrase) -> Bool) -> String? {
        guard let i = phrases.indices.first(where: { !used.contains("p\($0)") && accept(phrases[$0]) }) else { return nil }
        used.insert("p\(i)")
        return phrases[i].text
    }

    /// The name a person property takes (one not after a place word first, then one after "for",
    /// "to", "with" or "from"), marked as used whole, or for `part` only.
    private mutating func personPhrase(part: String?) -> Int? {
        func free(_ i: Int) -> Bool { !used.contains("p\(i)") && (part == nil || !used.contains("p\(i)\(part!)")) }
        guard let i = phrases.indices.first(where: { free($0) && !Self.placePrepositions.contains(phrases[$0].before) })
            ?? phrases.indices.first(where: { free($0) && ["for", "to", "with", "from"].contains(phrases[$0].before) }) else { return nil }
        used.insert(part.map { "p\(i)\($0)" } ?? "p\(i)")
        return i
    }

    /// A word for the weather the texts name ("sunny", "light rain").
    private func weatherCondition() -> String? {
        for text in lowered {
            var best: (word: String, at: String.Index)?
            for word in Self.weatherConditions {
                if let at = Self.wordRange(of: word, in: text)?.lowerBound, best == nil || at < best!.at { best = (word, at) }
            }
            if let best { return best.word }
        }
        return nil
    }

    /// A plausible value for a property with these name words, or nil when none is known.
    private func plausible(_ words: [String], random: inout SeededRandom) -> String? {
        guard let row = Self.plausibleStrings.firstIndex(where: { !$0.0.isDisjoint(with: words) }) else { return nil }
        let draw = Int(truncatingIfNeeded: random.next() % 4096)
        if row == Self.plausibleStrings.count - 1 {  // people
            if words.contains("first") || words.contains("given") { return Self.firstNames[draw % Self.firstNames.count] }
            if words.contains("last") || words.contains("surname") || words.contains("family") { return Self.lastNames[draw % Self.lastNames.count] }
        }
        let values = Self.plausibleStrings[row].1
        return values[draw % values.count]
    }

    // MARK: - Reading

    private mutating func read(_ text: String) {
        for object in EmbeddedJSON.objects(in: text) { collectPairs(object) }
        readChunks(text)
        let tokens = Self.tokens(text)
        // Dates and times first: their numbers are not numbers of their own.
        var inDateOrTime = Set<Int>()
        for i in tokens.indices where !inDateOrTime.contains(i) {
            if let (date, span) = Self.date(tokens, at: i) {
                dates.append(date)
                inDateOrTime.formUnion(span)
            } else if let (time, span) = Self.time(tokens, at: i) {
                times.append(time)
                inDateOrTime.formUnion(span)
            }
        }
        for (i, token) in tokens.enumerated() {
            if token.isNumber, !inDateOrTime.contains(i), let value = Double(token.text.filter { $0 != "," }) {
                let negative = i > 0 && tokens[i - 1].text == "-" && !token.spaceBefore && (i == 1 || tokens[i - 1].spaceBefore)
                numbers.append(Number(value: negative ? -value : value, nearby: Self.nearby(tokens, i)))
            }
            if token.isWord, token.allCaps, token.text.count >= 2, token.text.count <= 6,
               token.text.allSatisfy(\.isLetter), !Self.notCodes.contains(token.lower) {
                codes.append(token.text)
            }
            if i + 2 < tokens.count, token.isWord, !token.isNumber {
                let link = tokens[i + 1]
                if link.text == ":" || link.text == "=" || ["is", "are", "was", "equals"].contains(link.lower) {
                    if let value = Self.valueAfter(tokens, i + 2) {
                        pairs.append((Self.normalized(token.text), value))
                        if i > 0, tokens[i - 1].isWord, !tokens[i - 1].isNumber {
                            pairs.append((Self.normalized(tokens[i - 1].text + token.text), value))
                        }
                    }
                }
            }
        }
        readPhrases(tokens)
    }

    private mutating func collectPairs(_ value: JSONValue, depth: Int = 0) {
        guard depth < 8, case .object(let object) = value else { return }
        for member in object.members {
            switch member.value {
            case .string, .number: pairs.append((Self.normalized(member.key), member.value))
            case .object: collectPairs(member.value, depth: depth + 1)
            default: break
            }
        }
    }

    /// Text between matching quotes: "...", “...”, «...», `...`, and '...' when the quotes stand
    /// apart from words (so an apostrophe is not one).
    private mutating func readQuoted(_ text: String) {
        let chars = Array(text)
        let pairsOfQuotes: [Character: Character] = ["\"": "\"", "“": "”", "«": "»", "`": "`", "'": "'", "‘": "’"]
        var i = 0
        while i < chars.count {
            guard let close = pairsOfQuotes[chars[i]] else {
                i += 1
                continue
            }
            let apart = chars[i] == "'" || chars[i] == "‘"
            if apart && i > 0 && (chars[i - 1].isLetter || chars[i - 1].isNumber) {
                i += 1
                continue
            }
            var j = i + 1
            while j < chars.count && chars[j] != close && chars[j] != "\n" && j - i <= 200 { j += 1 }
            if j < chars.count, chars[j] == close, j > i + 1,
               !apart || j + 1 == chars.count || !(chars[j + 1].isLetter || chars[j + 1].isNumber) {
                let inside = String(chars[(i + 1)..<j])
                if !inside.allSatisfy(\.isWhitespace) { quoted.append(inside) }
                i = j + 1
            } else {
                i += 1
            }
        }
    }

    /// E-mail addresses and URLs: whitespace-separated pieces, trimmed of punctuation.
    private mutating func readChunks(_ text: String) {
        for raw in text.split(whereSeparator: \.isWhitespace) {
            let piece = raw.drop { "(<[\"'“`".contains($0) }.reversed().drop { ".,;:!?)>]\"'”`".contains($0) }.reversed()
            let chunk = String(piece)
            let lower = chunk.lowercased()
            if lower.hasPrefix("http://") || lower.hasPrefix("https://") {
                urls.append(chunk)
            } else if let at = chunk.firstIndex(of: "@"), at != chunk.startIndex,
                      chunk[chunk.index(after: at)...].contains("."), chunk.filter({ $0 == "@" }).count == 1,
                      !chunk.contains("{"), !chunk.contains("\"") {
                emails.append(chunk)
            }
        }
    }

    /// Runs of capitalised words that are not common words ("New York", "Ada Lovelace"), with
    /// lower-case joining words inside a name ("Rio de Janeiro").
    private mutating func readPhrases(_ tokens: [Token]) {
        var i = 0
        while i < tokens.count {
            guard Self.isNameWord(tokens[i]) else {
                i += 1
                continue
            }
            var words = [Self.stripPossessive(tokens[i].text)]
            var j = i + 1
            while j < tokens.count {
                if Self.isNameWord(tokens[j], inside: true) {
                    words.append(Self.stripPossessive(tokens[j].text))
                    j += 1
                } else if j + 1 < tokens.count, Self.nameJoiners.contains(tokens[j].text), Self.isNameWord(tokens[j + 1], inside: true) {
                    words.append(tokens[j].text)
                    j += 1
                } else {
                    break
                }
            }
            let before = i > 0 && tokens[i - 1].isWord ? tokens[i - 1].lower : ""
            let after = j < tokens.count ? tokens[j].lower : ""
            phrases.append(Phrase(text: words.joined(separator: " "), before: before, after: after))
            i = j
        }
    }

    // MARK: - Names and words

    /// The words of a property name or description, lower-cased: `temperature_c`, `firstName`
    /// and "First name" all give their words.
    static func nameWords(_ name: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousLower = false
        for c in name {
            if c.isLetter || c.isNumber {
                if c.isUppercase && previousLower {
                    words.append(current)
                    current = ""
                }
                current.append(c)
                previousLower = c.isLowercase || c.isNumber
            } else {
                words.append(current)
                current = ""
                previousLower = false
            }
        }
        words.append(current)
        return words.filter { !$0.isEmpty }.map { $0.lowercased() }
    }

    /// Lower-case letters and digits only: `first_name` and `First Name` both give `firstname`.
    static func normalized(_ key: String) -> String {
        String(key.lowercased().filter { $0.isLetter || $0.isNumber })
    }

    /// The words the number concepts of `words` go by (`temp` for a temperature, ...).
    static func concepts(of words: [String]) -> Set<String> {
        var out: Set<String> = []
        for concept in numberConcepts where !concept.property.isDisjoint(with: words) { out.formUnion(concept.property) }
        return out
    }

    /// The type to fill: the declared one (a non-null one from a list).
    static func leafType(_ s: JSONObject) -> String? {
        switch s["type"] {
        case .string(let t): return t
        case .array(let list): return list.compactMap(\.stringValue).first { $0 != "null" }
        default: return nil
        }
    }

    static func within(_ d: Double, _ s: JSONObject) -> Bool {
        if let m = s.schemaNumber("minimum"), d < m { return false }
        if let m = s.schemaNumber("maximum"), d > m { return false }
        if let m = s.schemaNumber("exclusiveMinimum"), d <= m { return false }
        if let m = s.schemaNumber("exclusiveMaximum"), d >= m { return false }
        if let step = s.schemaNumber("multipleOf"), step > 0, (d / step) != (d / step).rounded() { return false }
        return true
    }

    /// The range of `needle` in `text` standing as a whole word (or words).
    static func wordRange(of needle: String, in text: String) -> Range<String.Index>? {
        var from = text.startIndex
        while from < text.endIndex, let range = text[from...].firstRange(of: needle) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if !(before.map { $0.isLetter || $0.isNumber } ?? false), !(after.map { $0.isLetter || $0.isNumber } ?? false) {
                return range
            }
            from = text.index(after: range.lowerBound)
        }
        return nil
    }
}
