/// A decoded JSON document.
///
/// Requests are small, so a plain tree is the cheapest faithful representation; objects keep
/// their members in document order (a linear lookup beats hashing at these sizes).
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The kind of value, worded for error messages ("expected an array, but got a string").
    public var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A JSON object: members in document order. A repeated key resolves to its last value,
/// as Python's `json` (what the real APIs run) resolves it.
public struct JSONObject: Equatable, Sendable {
    public struct Member: Equatable, Sendable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public var members: [Member]

    public init(_ members: [Member] = []) {
        self.members = members
    }

    public subscript(key: String) -> JSONValue? {
        // Comparing lengths first skips the slow path of String equality for most keys.
        let length = key.utf8.count
        var i = members.count
        while i > 0 {
            i -= 1
            if members[i].key.utf8.count == length && members[i].key == key { return members[i].value }
        }
        return nil
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    /// `["response": .string(text)]`: the members in the order written.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { Member(key: $0.0, value: $0.1) })
    }
}
