import MockLLMCore

/// Leaf values for `SchemaInstance`: strings (plain, length-fitted, or in a `format`) and numbers
/// within bounds.
extension SchemaInstance.Generator {
    /// A string named after its property, or in the schema's `format`; `pattern` is not honoured.
    mutating func string(_ s: JSONObject, name: String?) -> JSONValue {
        if let format = s["format"]?.stringValue, let text = formatted(format, name: name) { return .string(text) }
        let minLength = s.schemaCount("minLength", cap: 1_000) ?? 0
        let maxLength = max(s.schemaCount("maxLength", cap: 1_000) ?? 1_000, minLength)
        var scalars = Array(text(name).unicodeScalars.prefix(maxLength))
        let padding = Array("abcdefghijklmnopqrstuvwxyz".unicodeScalars)
        while scalars.count < minLength { scalars.append(padding[scalars.count % padding.count]) }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return .string(String(view))
    }

    /// A short readable string: the property name (or "text") and two seeded digits.
    mutating func text(_ name: String?) -> String {
        var label = String(String.UnicodeScalarView((name ?? "").unicodeScalars.prefix(24)))
        if label.isEmpty { label = "text" }
        return "\(label) \(below(100))"
    }

    /// `format` written with seeded parts, or nil for a format not known here.
    mutating func formatted(_ format: String, name: String?) -> String? {
        let n = 1 + below(254)
        switch format {
        case "date-time": return "\(date())T\(time())"
        case "date": return date()
        case "time": return time()
        case "duration": return "PT\(1 + below(12))H"
        case "email", "idn-email": return "user\(n)@example.com"
        case "hostname", "idn-hostname": return "host\(n).example.com"
        case "ipv4": return "192.0.2.\(n)"
        case "ipv6": return "2001:db8::\(String(n, radix: 16))"
        case "uuid": return random.uuidString()
        case "uri", "iri", "url", "uri-reference", "iri-reference": return "https://example.com/\(slug(name))/\(n)"
        case "json-pointer": return "/\(slug(name))/\(n)"
        case "regex": return "^[a-z]+$"
        case "byte": return "aGVsbG8="
        default: return nil
        }
    }

    private mutating func date() -> String {
        "2024-\(twoDigits(1 + below(12)))-\(twoDigits(1 + below(28)))"
    }

    private mutating func time() -> String {
        "\(twoDigits(below(24))):\(twoDigits(below(60))):\(twoDigits(below(60)))Z"
    }

    private func twoDigits(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    /// The name cut down to lower-case letters, digits and dashes, for URLs.
    private func slug(_ name: String?) -> String {
        let kept = (name ?? "").lowercased().unicodeScalars.prefix(24).map { c -> Character in
            ("a"..."z").contains(c) || ("0"..."9").contains(c) ? Character(c) : "-"
        }
        return kept.isEmpty ? "item" : String(kept)
    }

    /// A number within `minimum`/`maximum`/`exclusive*` (draft 4 booleans too) and `multipleOf`:
    /// a whole number for integers, two decimals for numbers when they fit. Unbounded sides get a
    /// window of 100; an empty range gives its lower bound.
    mutating func number(_ s: JSONObject, integer: Bool) -> JSONValue {
        var low = s.schemaNumber("minimum") ?? -.infinity, high = s.schemaNumber("maximum") ?? .infinity
        var lowOpen = false, highOpen = false
        switch s["exclusiveMinimum"] {
        case .number(let m) where m.isFinite && m >= low: (low, lowOpen) = (m, true)
        case .bool(true): lowOpen = low.isFinite
        default: break
        }
        switch s["exclusiveMaximum"] {
        case .number(let m) where m.isFinite && m <= high: (high, highOpen) = (m, true)
        case .bool(true): highOpen = high.isFinite
        default: break
        }
        if !low.isFinite && !high.isFinite {
            (low, high) = (0, 100)
        } else if !low.isFinite {
            low = high > 0 ? max(0, high - 100) : high - 100
        } else if !high.isFinite {
            high = low + 100
        }
        (low, high) = (max(low, -1e15), min(high, 1e15))  // keeps high - low finite
        func inRange(_ v: Double) -> Bool {
            (lowOpen ? v > low : v >= low) && (highOpen ? v < high : v <= high)
        }
        var step = s.schemaNumber("multipleOf").flatMap { $0 > 0 ? $0 : nil }
        if integer { step = Self.integerStep(step) ?? 1 }
        guard let step else {
            let x = low + random.nextUnit() * (high - low)
            for v in [(x * 100).rounded() / 100, x, low + (high - low) / 2] where inRange(v) { return .number(v) }
            return .number(low)
        }
        var kLow = (low / step).rounded(.up), kHigh = (high / step).rounded(.down)
        if !inRange(kLow * step) { kLow += 1 }
        if !inRange(kHigh * step) { kHigh -= 1 }
        guard kLow <= kHigh else { return .number(integer ? low.rounded(.up) : low) }
        let first = min(kHigh, kLow + (random.nextUnit() * (kHigh - kLow + 1)).rounded(.down))
        // Validators divide: 0.3 / 0.1 is 2.9999999999999996, so prefer a k whose value divides back exactly.
        var k = first
        for _ in 0..<16 {
            let v = Self.tidy(k * step, step: step)
            if v / step == (v / step).rounded() && inRange(v) { return .number(v) }
            k = k < kHigh ? k + 1 : kLow
        }
        return .number(Self.tidy(first * step, step: step))
    }

    /// The smallest whole multiple of `step` (1 without one): integers must be multiples of it too.
    private static func integerStep(_ step: Double?) -> Double? {
        guard let step else { return 1 }
        for n in 1...1_000 {
            let multiple = step * Double(n)
            if multiple == multiple.rounded() { return multiple }
        }
        return nil
    }

    /// `k * step` rounded to as many decimals as `step` has, so 3 * 0.1 is written 0.3.
    private static func tidy(_ value: Double, step: Double) -> Double {
        let text = step.description
        guard !text.contains("e"), let dot = text.firstIndex(of: ".") else { return value }
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        guard decimals <= 12 else { return value }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return rounded.isFinite ? rounded : value
    }
}
