import MockLLMCore

/// A problem with one field of a request body, independent of wording: each provider words it
/// the way its real API does.
package enum FieldProblem: Error, Sendable, Equatable {
    case missing(path: String)
    /// `expected` reads "a string", "an array", ...
    case wrongType(path: String, expected: String, found: String)
    case invalidValue(path: String, message: String, code: String)

    package var path: String {
        switch self {
        case .missing(let p), .wrongType(let p, _, _), .invalidValue(let p, _, _): p
        }
    }
}

/// Why a body is not a JSON object.
package enum BodyProblem: Error, Sendable, Equatable {
    case invalidJSON(JSONParseError)
    case notAnObject(found: String)
}

/// Typed, strict access to the members of a JSON object, tracking where it is in the request
/// for messages (`messages[2].content`). An explicit `null` counts as absent for optional
/// fields. The path text is only built when a problem is reported.
package struct RequestFields: Sendable {
    package let node: JSONNode
    private let parentPath: String
    /// Fields made `in:` a parent element: the parent's index and the array's key, joined to
    /// `parentPath` only when the path is asked for (`messages[0].content[1]`).
    private let parentIndex: Int?
    private let key: StaticString?
    private let index: Int?
    /// The parsed body, held by the top-level fields: nodes do not keep their document alive.
    private let document: JSONDocument?

    /// - Parameters:
    ///   - path: where the object is (`""` for the body); with `index`, it is element `index` of that array.
    ///   The node's document must outlive these fields (true of fields made while decoding a body
    ///   whose top-level `RequestFields` is alive).
    package init(_ node: JSONNode, path: String = "", index: Int? = nil) {
        self.node = node
        self.parentPath = path
        parentIndex = nil
        key = nil
        self.index = index
        document = nil
    }

    /// Element `index` of the array `key` of `parent` (`messages[0].content[1]`), its path put
    /// together only if a problem is reported.
    package init(_ node: JSONNode, in parent: RequestFields, key: StaticString, index: Int) {
        self.node = node
        if parent.key == nil {
            parentPath = parent.parentPath
            parentIndex = parent.index
        } else {
            parentPath = parent.path
            parentIndex = nil
        }
        self.key = key
        self.index = index
        document = nil
    }

    private init(document: JSONDocument) {
        node = document.root
        parentPath = ""
        parentIndex = nil
        key = nil
        index = nil
        self.document = document
    }

    /// Parses a request body that must be one JSON object.
    package static func parseBody(_ body: [UInt8]) throws(BodyProblem) -> RequestFields {
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(body)
        } catch {
            throw .invalidJSON(error)
        }
        guard document.root.isObject else { throw .notAnObject(found: document.root.kindDescription) }
        return RequestFields(document: document)
    }

    /// Where this object is, e.g. `messages[0]`.
    package var path: String {
        var path = parentPath
        if let parentIndex { path = "\(path)[\(parentIndex)]" }
        if let key { path = path.isEmpty ? key.description : "\(path).\(key)" }
        guard let index else { return path }
        return "\(path)[\(index)]"
    }

    package func childPath(_ key: StaticString) -> String {
        childPath(key.description)
    }

    package func childPath(_ key: String) -> String {
        let path = self.path
        return path.isEmpty ? key : "\(path).\(key)"
    }

    /// The member, unless absent or null.
    package func value(_ key: StaticString) -> JSONNode? {
        guard let v = node[key], !v.isNull else { return nil }
        return v
    }

    /// Whether the member is present (null included).
    package func contains(_ key: StaticString) -> Bool { node[key] != nil }

    package func string(_ key: StaticString, required: Bool = false) throws(FieldProblem) -> String? {
        try typed(key, required: required, expected: "a string") { $0.string }
    }

    package func bool(_ key: StaticString) throws(FieldProblem) -> Bool? {
        try typed(key, required: false, expected: "a boolean") { $0.bool }
    }

    package func number(_ key: StaticString) throws(FieldProblem) -> Double? {
        try typed(key, required: false, expected: "a number") { $0.number }
    }

    package func integer(_ key: StaticString) throws(FieldProblem) -> Int? {
        try typed(key, required: false, expected: "an integer") { $0.integer }
    }

    package func array(_ key: StaticString, required: Bool = false) throws(FieldProblem) -> [JSONNode]? {
        try typed(key, required: required, expected: "an array") { $0.isArray ? $0.elements : nil }
    }

    package func object(_ key: StaticString, required: Bool = false) throws(FieldProblem) -> RequestFields? {
        try typed(key, required: required, expected: "an object") { [self] in $0.isObject ? RequestFields($0, path: childPath(key)) : nil }
    }

    // MARK: Values met while walking the members (`node.forEachMember`)

    /// The member's value as `T`, or nil for null; a problem naming `key` otherwise.
    package func check<T>(
        _ value: JSONNode, _ key: StaticString, _ expected: String, _ extract: (JSONNode) -> T?
    ) throws(FieldProblem) -> T? {
        if value.isNull { return nil }
        guard let v = extract(value) else {
            throw .wrongType(path: childPath(key), expected: expected, found: value.kindDescription)
        }
        return v
    }

    package func string(_ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> String? {
        try check(value, key, "a string") { $0.string }
    }

    package func bool(_ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> Bool? {
        try check(value, key, "a boolean") { $0.bool }
    }

    package func number(_ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> Double? {
        try check(value, key, "a number") { $0.number }
    }

    package func integer(_ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> Int? {
        try check(value, key, "an integer") { $0.integer }
    }

    /// An array member, checked to be one (null: nil).
    package func array(_ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> JSONNode? {
        try check(value, key, "an array") { $0.isArray ? $0 : nil }
    }

    package func object(_ value: JSONNode, _ key: StaticString) throws(FieldProblem) -> RequestFields? {
        try check(value, key, "an object") { [self] in $0.isObject ? RequestFields($0, path: childPath(key)) : nil }
    }

    private func typed<T>(
        _ key: StaticString, required: Bool, expected: String, _ extract: (JSONNode) -> T?
    ) throws(FieldProblem) -> T? {
        guard let raw = node[key] else {
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

