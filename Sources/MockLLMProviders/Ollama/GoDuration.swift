/// Go's `time.ParseDuration`, which Ollama uses for `keep_alive` strings: a signed sequence of
/// decimal numbers each with a unit (`ns`, `us`, `µs`, `ms`, `s`, `m`, `h`), e.g. `"1h30m"`,
/// `"-1.5s"`; `"0"` alone needs no unit. Errors are worded as Go's.
enum GoDuration {
    struct Invalid: Error {
        var message: String
    }

    private static let units: [String: Double] = [
        "ns": 1, "us": 1e3, "µs": 1e3, "μs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9,
    ]

    /// The duration in nanoseconds.
    static func parse(_ text: String) -> Result<Double, Invalid> {
        let quoted = "\"\(text)\""
        var scalars = Substring(text).unicodeScalars[...]
        var sign = 1.0
        if let first = scalars.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            scalars = scalars.dropFirst()
        }
        if String(scalars) == "0" { return .success(0) }
        if scalars.isEmpty { return .failure(Invalid(message: "time: invalid duration \(quoted)")) }
        var total = 0.0
        while !scalars.isEmpty {
            let number = scalars.prefix { ("0"..."9").contains($0) || $0 == "." }
            let digits = number.filter { $0 != "." }
            guard !digits.isEmpty, number.filter({ $0 == "." }).count <= 1, let value = Double(String(number)) else {
                return .failure(Invalid(message: "time: invalid duration \(quoted)"))
            }
            scalars = scalars.dropFirst(number.count)
            let unit = String(scalars.prefix { !("0"..."9").contains($0) && $0 != "." })
            scalars = scalars.dropFirst(unit.unicodeScalars.count)
            guard !unit.isEmpty else { return .failure(Invalid(message: "time: missing unit in duration \(quoted)")) }
            guard let scale = units[unit] else { return .failure(Invalid(message: "time: unknown unit \"\(unit)\" in duration \(quoted)")) }
            total += value * scale
        }
        return .success(sign * total)
    }
}
