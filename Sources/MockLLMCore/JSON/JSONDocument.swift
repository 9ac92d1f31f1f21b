#if canImport(Glibc)
import Glibc
#endif

/// A validated JSON document: its bytes plus a flat "tape" of nodes in document order.
///
/// Parsing validates everything (grammar, UTF-8, escapes, nesting) in one pass and records
/// where each value lies; strings and numbers are decoded only when a provider asks for them,
/// and keys are compared as bytes. One allocation for the tape instead of a tree of boxes,
/// arrays and strings: on the request path this is several times cheaper (docs/ARCHITECTURE.md, "JSON").
package final class JSONDocument: Sendable {
    enum Kind: UInt8, Sendable {
        case null, `true`, `false`, number, string, array, object
    }

    struct Node: Sendable {
        var kind: Kind
        /// Strings: the content has escapes to decode. Numbers: written as an integer.
        var flag: Bool
        /// Byte range of a scalar (a string's content, without quotes).
        var start: UInt32
        var end: UInt32
        /// Index of the first node after this value (containers: after all descendants).
        var next: UInt32
        /// Containers: number of elements, or of members.
        var count: UInt32
    }

    let bytes: [UInt8]
    let nodes: [Node]

    init(bytes: [UInt8], nodes: [Node]) {
        self.bytes = bytes
        self.nodes = nodes
    }

    /// Parses and validates `bytes`.
    package static func parse(_ bytes: [UInt8], maxDepth: Int = JSONReader.defaultMaxDepth) throws(JSONParseError) -> JSONDocument {
        let nodes = try bytes.withUnsafeBufferPointer { (p) throws(JSONParseError) -> [Node] in
            var parser = JSONTapeParser(bytes: p, maxDepth: maxDepth)
            return try parser.parseDocument()
        }
        return JSONDocument(bytes: bytes, nodes: nodes)
    }

    package var root: JSONNode { JSONNode(document: self, index: 0) }
}

/// A value inside a `JSONDocument`, valid while the document is alive.
///
/// It does not keep the document alive: a request's decoding touches dozens of nodes, and a
/// strong reference in each cost a retain and a release per node (measured as several
/// thousand instructions per request). Whoever parses holds the document (`RequestFields`
/// does); values kept longer are copied out (`string`, `materialize()`).
package struct JSONNode: @unchecked Sendable {
    package unowned(unsafe) let document: JSONDocument
    package let index: Int

    var node: JSONDocument.Node { document.nodes[index] }

    package var isNull: Bool { node.kind == .null }
    package var isObject: Bool { node.kind == .object }
    package var isArray: Bool { node.kind == .array }

    /// "a string", "an array", ... for error messages.
    package var kindDescription: String {
        switch node.kind {
        case .null: "null"
        case .true, .false: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }

    package var bool: Bool? {
        switch node.kind {
        case .true: true
        case .false: false
        default: nil
        }
    }

    package var number: Double? {
        let n = node
        guard n.kind == .number else { return nil }
        return document.bytes.withUnsafeBufferPointer { JSONTapeParser.decodeNumber(UnsafeBufferPointer(rebasing: $0[Int(n.start)..<Int(n.end)])) }
    }

    /// The value as an integer, if it is a number with no fractional part.
    package var integer: Int? {
        guard let d = number, d == d.rounded(), abs(d) < 1e15 else { return nil }
        return Int(d)
    }

    package var string: String? {
        let n = node
        guard n.kind == .string else { return nil }
        return document.bytes.withUnsafeBufferPointer { p in
            let content = UnsafeBufferPointer(rebasing: p[Int(n.start)..<Int(n.end)])
            return n.flag ? JSONTapeParser.unescape(content) : String(decoding: content, as: UTF8.self)
        }
    }

    /// Number of elements (arrays) or members (objects).
    package var count: Int { Int(node.count) }

    /// The elements of an array (empty for other kinds).
    package var elements: [JSONNode] {
        guard node.kind == .array else { return [] }
        var result: [JSONNode] = []
        result.reserveCapacity(count)
        var i = index + 1
        for _ in 0..<count {
            result.append(JSONNode(document: document, index: i))
            i = Int(document.nodes[i].next)
        }
        return result
    }

    /// Calls `body` with each element of an array and its index, without building an array.
    package func forEachElement<E: Error>(_ body: (Int, JSONNode) throws(E) -> Void) throws(E) {
        guard node.kind == .array else { return }
        var i = index + 1
        for k in 0..<count {
            try body(k, JSONNode(document: document, index: i))
            i = Int(document.nodes[i].next)
        }
    }

    /// The members of an object, in document order.
    package var members: [(key: String, value: JSONNode)] {
        guard node.kind == .object else { return [] }
        var result: [(key: String, value: JSONNode)] = []
        var i = index + 1
        for _ in 0..<count {
            let key = JSONNode(document: document, index: i).string ?? ""
            result.append((key, JSONNode(document: document, index: i + 1)))
            i = Int(document.nodes[i + 1].next)
        }
        return result
    }

    /// The member `key` of an object; a repeated key resolves to its last value, as Python's
    /// `json` resolves it.
    package subscript(key: StaticString) -> JSONNode? {
        key.withUTF8Buffer { member(named: $0) }
    }

    package subscript(key: String) -> JSONNode? {
        var key = key
        return key.withUTF8 { member(named: $0) }
    }

    /// Keys are compared as bytes; only a key written with escapes is decoded first.
    private func member(named wanted: UnsafeBufferPointer<UInt8>) -> JSONNode? {
        let found = document.nodes.withUnsafeBufferPointer { nodes in
            document.bytes.withUnsafeBufferPointer { bytes -> Int in
                guard nodes[index].kind == .object else { return -1 }
                var found = -1
                var i = index + 1
                for _ in 0..<Int(nodes[index].count) {
                    let k = nodes[i]
                    let length = Int(k.end - k.start)
                    if k.flag {
                        var decoded = JSONTapeParser.unescape(UnsafeBufferPointer(rebasing: bytes[Int(k.start)..<Int(k.end)]))
                        if decoded.withUTF8({ $0.elementsEqual(wanted) }) { found = i + 1 }
                    } else if length == wanted.count
                        && (length == 0 || memcmp(bytes.baseAddress! + Int(k.start), wanted.baseAddress!, length) == 0) {
                        found = i + 1
                    }
                    i = Int(nodes[i + 1].next)
                }
                return found
            }
        }
        return found < 0 ? nil : JSONNode(document: document, index: found)
    }

    /// A member's key, compared as bytes (`case "model":` matches it).
    package struct Key {
        let bytes: UnsafeBufferPointer<UInt8>
        let escaped: Bool

        package static func ~= (pattern: StaticString, key: Key) -> Bool {
            pattern.withUTF8Buffer { wanted in
                if key.escaped {
                    var decoded = JSONTapeParser.unescape(key.bytes)
                    return decoded.withUTF8 { $0.elementsEqual(wanted) }
                }
                return key.bytes.count == wanted.count
                    && (wanted.count == 0 || memcmp(key.bytes.baseAddress!, wanted.baseAddress!, wanted.count) == 0)
            }
        }
    }

    /// Calls `body` with each member of an object in document order (a repeated key is seen
    /// twice: the later call wins, as with the subscript). One pass, however many keys the
    /// caller knows: decoding a body this way costs one walk instead of a lookup per field.
    package func forEachMember<E: Error>(_ body: (Key, JSONNode) throws(E) -> Void) throws(E) {
        let nodes = document.nodes
        guard nodes[index].kind == .object else { return }
        try document.bytes.withUnsafeBufferPointer { (bytes) throws(E) in
            var i = index + 1
            for _ in 0..<Int(nodes[index].count) {
                let k = nodes[i]
                let key = Key(bytes: UnsafeBufferPointer(rebasing: bytes[Int(k.start)..<Int(k.end)]), escaped: k.flag)
                try body(key, JSONNode(document: document, index: i + 1))
                i = Int(nodes[i + 1].next)
            }
        }
    }

    /// The value as a tree (for values kept beyond the request, such as tool arguments).
    package func materialize() -> JSONValue {
        switch node.kind {
        case .null: return .null
        case .true: return .bool(true)
        case .false: return .bool(false)
        case .number: return .number(number ?? 0)
        case .string: return .string(string ?? "")
        case .array: return .array(elements.map { $0.materialize() })
        case .object: return .object(JSONObject(members.map { JSONObject.Member(key: $0.key, value: $0.value.materialize()) }))
        }
    }
}
