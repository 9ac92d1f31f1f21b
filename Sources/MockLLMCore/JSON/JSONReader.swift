/// Why a JSON body was rejected, and where (1-based line and column).
package struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    package var reason: String
    package var offset: Int
    package var line: Int
    package var column: Int

    package var description: String { "\(reason) at line \(line), column \(column)" }
}

/// Strict JSON into a `JSONValue` tree, for callers that keep values around. Request handlers
/// read a `JSONDocument` instead, which decodes only what they use.
package enum JSONReader {
    package static let defaultMaxDepth = 128

    package static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        let document = try JSONDocument.parse(bytes, maxDepth: maxDepth)
        return withExtendedLifetime(document) { document.root.materialize() }
    }
}
