import MockLLMCore

/// Floats as Go's `encoding/json` writes them (Ollama's server is Go): the shortest decimal that
/// reads back as the same value at its width (`float32` for `/api/embed`, `float64` for
/// `/api/embeddings`), in plain notation (`0.00001`, `1`, `0`), and in exponent notation only
/// below 1e-6 or from 1e21 up, with a one-digit negative exponent left unpadded (`1.5e-7`).
/// Swift's `description` gives the same shortest digits; only the notation differs.
enum GoFloat {
    static func append(_ value: Float, into out: inout ByteBuffer) {
        let magnitude = abs(value)
        append(value.description, exponentForm: magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21), into: &out)
    }

    static func append(_ value: Double, into out: inout ByteBuffer) {
        let magnitude = abs(value)
        append(value.description, exponentForm: magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21), into: &out)
    }

    /// Rewrites Swift's `description` (`-1.2345e-05`, `0.036812`, `1.0`) in Go's notation.
    private static func append(_ description: String, exponentForm: Bool, into out: inout ByteBuffer) {
        var text = Substring(description)
        if text.first == "-" {
            out.append(UInt8(ascii: "-"))
            text = text.dropFirst()
        }
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let point = mantissa.firstIndex(of: ".") ?? mantissa.endIndex
        let integerDigits = mantissa[..<point]
        let fractionDigits = point < mantissa.endIndex ? mantissa[mantissa.index(after: point)...] : ""
        var digits = Array((integerDigits + fractionDigits).utf8)
        // The decimal point sits after `pointAt` of `digits`.
        var pointAt = integerDigits.utf8.count + exponent
        while let first = digits.first, first == UInt8(ascii: "0") {
            digits.removeFirst()
            pointAt -= 1
        }
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        guard !digits.isEmpty else {
            out.append(UInt8(ascii: "0"))
            return
        }
        if exponentForm {
            out.append(digits[0])
            if digits.count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: Array(digits[1...]))
            }
            let power = pointAt - 1
            out.append(ascii: power < 0 ? "e-" : "e+")
            // strconv writes at least two exponent digits; encoding/json drops the pad of a
            // negative one (`e-07` -> `e-7`).
            if power > 0 && power < 10 { out.append(UInt8(ascii: "0")) }
            out.append(decimal: abs(power))
            return
        }
        if pointAt <= 0 {
            out.append(ascii: "0.")
            for _ in 0 ..< -pointAt { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: digits)
        } else if pointAt >= digits.count {
            out.append(contentsOf: digits)
            for _ in 0 ..< pointAt - digits.count { out.append(UInt8(ascii: "0")) }
        } else {
            out.append(contentsOf: Array(digits[..<pointAt]))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: Array(digits[pointAt...]))
        }
    }
}
