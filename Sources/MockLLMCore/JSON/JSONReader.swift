/// Why a JSON body was rejected, and where (1-based line and column).
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var reason: String
    public var offset: Int
    public var line: Int
    public var column: Int

    public var description: String { "\(reason) at line \(line), column \(column)" }
}

/// Strict JSON into a `JSONValue` tree, for callers that keep values around. Request handlers
/// read a `JSONDocument` instead, which decodes only what they use.
public enum JSONReader {
    public static let defaultMaxDepth = 128

    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        let document = try JSONDocument.parse(bytes, maxDepth: maxDepth)
        return withExtendedLifetime(document) { document.root.materialize() }
    }
}
