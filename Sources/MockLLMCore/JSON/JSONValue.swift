/// A decoded JSON document.
///
/// Requests are small, so a plain tree is the cheapest faithful representation; objects keep
/// their members in document order (a linear lookup beats hashing at these sizes).
package enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The kind of value, worded for error messages ("expected an array, but got a string").
    package var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    package var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    package var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    package var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A JSON object: members in document order. A repeated key resolves to its last value,
/// as Python's `json` (what the real APIs run) resolves it.
package struct JSONObject: Equatable, Sendable {
    package struct Member: Equatable, Sendable {
        package var key: String
        package var value: JSONValue

        package init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    package var members: [Member]

    package init(_ members: [Member] = []) {
        self.members = members
    }

    package subscript(key: String) -> JSONValue? {
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
