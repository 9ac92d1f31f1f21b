/// A problem with one field of a request body, independent of wording: each provider words it
/// the way its real API does.
public enum FieldProblem: Error, Sendable, Equatable {
    case missing(path: String)
    /// `expected` reads "a string", "an array", ...
    case wrongType(path: String, expected: String, found: String)
    case invalidValue(path: String, message: String, code: String)

    public var path: String {
        switch self {
        case .missing(let p), .wrongType(let p, _, _), .invalidValue(let p, _, _): p
        }
    }
}

/// Typed, strict access to the members of a JSON object, tracking the path for messages
/// (`messages[2].content`). An explicit `null` counts as absent for optional fields.
public struct RequestFields: Sendable {
    public let object: JSONObject
    public let path: String

    public init(_ object: JSONObject, path: String = "") {
        self.object = object
        self.path = path
    }

    /// Parses a request body that must be one JSON object.
    public static func parseBody(_ body: [UInt8]) throws(BodyProblem) -> RequestFields {
        let value: JSONValue
        do {
            value = try JSONReader.parse(body)
        } catch {
            throw .invalidJSON(error)
        }
        guard case .object(let object) = value else { throw .notAnObject(found: value.kindDescription) }
        return RequestFields(object)
    }

    public func childPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    public func value(_ key: String) -> JSONValue? {
        guard let v = object[key], !v.isNull else { return nil }
        return v
    }

    public func string(_ key: String, required: Bool = false) throws(FieldProblem) -> String? {
        try typed(key, required: required, expected: "a string") { $0.stringValue }
    }

    public func bool(_ key: String) throws(FieldProblem) -> Bool? {
        try typed(key, required: false, expected: "a boolean") {
            if case .bool(let b) = $0 { return b }
            return nil
        }
    }

    public func number(_ key: String) throws(FieldProblem) -> Double? {
        try typed(key, required: false, expected: "a number") {
            if case .number(let n) = $0 { return n }
            return nil
        }
    }

    public func integer(_ key: String) throws(FieldProblem) -> Int? {
        try typed(key, required: false, expected: "an integer") {
            if case .number(let n) = $0, n == n.rounded(), abs(n) < 1e15 { return Int(n) }
            return nil
        }
    }

    public func array(_ key: String, required: Bool = false) throws(FieldProblem) -> [JSONValue]? {
        try typed(key, required: required, expected: "an array") { $0.arrayValue }
    }

    public func object(_ key: String, required: Bool = false) throws(FieldProblem) -> RequestFields? {
        let path = childPath(key)
        return try typed(key, required: required, expected: "an object") { $0.objectValue.map { RequestFields($0, path: path) } }
    }

    private func typed<T>(
        _ key: String, required: Bool, expected: String, _ extract: (JSONValue) -> T?
    ) throws(FieldProblem) -> T? {
        guard let raw = object[key] else {
            if required { throw .missing(path: childPath(key)) }
            return nil
        }
        if raw.isNull && !required { return nil }
        guard let v = extract(raw) else {
            throw .wrongType(path: childPath(key), expected: expected, found: raw.kindDescription)
        }
        return v
    }
}

/// Why a body is not a JSON object.
public enum BodyProblem: Error, Sendable, Equatable {
    case invalidJSON(JSONParseError)
    case notAnObject(found: String)
}
