import MockLLM
import MockLLMCore
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import MockLLMSimulation

/// Reading providers' replies in tests: JSON values by path, strings as JSON writes them, and
/// the shape of generated ids.
package enum ReplyJSON {
    package static func parse(_ text: String) throws -> JSONValue {
        try JSONReader.parse(Array(text.utf8))
    }

    /// The value at a path of object keys and array indexes.
    package static func at(_ value: JSONValue?, _ path: String...) -> JSONValue? {
        var value = value
        for key in path {
            if let i = Int(key), case .array(let items)? = value {
                value = i < items.count ? items[i] : nil
            } else {
                value = value?.objectValue?[key]
            }
        }
        return value
    }

    /// `text` as a JSON string literal.
    package static func escaped(_ text: String) -> String {
        var out = ByteBuffer()
        out.append(jsonString: text)
        return out.description
    }

    /// `prefix` then `letters` ASCII letters and digits (`call_` + 24, `toolu_01` + 22).
    package static func isID(_ id: String, prefix: String, letters: Int) -> Bool {
        id.hasPrefix(prefix) && id.utf8.count == prefix.utf8.count + letters
            && id.utf8.dropFirst(prefix.utf8.count).allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }
    }

    /// `mock-` and a lower-case UUID (8-4-4-4-12 hex digits), the original's ids.
    package static func isUUIDID(_ id: String) -> Bool {
        guard id.hasPrefix("mock-") else { return false }
        let groups = id.dropFirst(5).split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy { $0.isHexDigit && !$0.isUppercase } }
    }
}
