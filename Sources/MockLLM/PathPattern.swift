/// A route path: literal segments and `{name}` parameters, which may carry a literal suffix
/// within their segment (`/v1beta/models/{model}:generateContent`).
///
/// A request's path is matched as UTF-8 bytes, segment by segment, without cutting it into
/// strings first: `String` comparisons and `split` walk characters and validate indices, which
/// cost a request whose path has parameters (Bedrock's `/model/{model}/...`) more than the rest
/// of its routing.
struct PathPattern: Sendable, Equatable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(name: String, suffix: String)
    }

    let text: String
    let segments: [Segment]
    /// `segments` as bytes: a literal's, or a parameter's suffix.
    private let bytes: [[UInt8]]

    init(_ text: String) {
        self.text = text
        segments = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            guard part.hasPrefix("{"), let close = part.firstIndex(of: "}") else { return .literal(String(part)) }
            let name = String(part[part.index(after: part.startIndex)..<close])
            return .parameter(name: name, suffix: String(part[part.index(after: close)...]))
        }
        bytes = segments.map { segment in
            switch segment {
            case .literal(let literal): Array(literal.utf8)
            case .parameter(_, let suffix): Array(suffix.utf8)
            }
        }
    }

    var isLiteral: Bool {
        !segments.contains { if case .parameter = $0 { true } else { false } }
    }

    /// The number of segments of a path (`/a/b` has 2), as `segments.count` counts them: what
    /// follows each `/`.
    static func segmentCount(of path: UnsafeBufferPointer<UInt8>) -> Int {
        var slashes = 0
        for byte in path where byte == UInt8(ascii: "/") { slashes += 1 }
        return slashes
    }

    /// The parameters if `path` matches.
    func match(_ path: String) -> [String: String]? {
        var path = path
        return path.withUTF8 { bytes in
            Self.segmentCount(of: bytes) == segments.count && matches(bytes) ? parameters(bytes) : nil
        }
    }

    /// Whether `path`, whose `segmentCount(of:)` is `segments.count`, matches: its literal
    /// segments and parameters' suffixes compared, nothing copied.
    func matches(_ path: UnsafeBufferPointer<UInt8>) -> Bool {
        forEachSegment(of: path) { i, part in
            let expected = bytes[i]
            switch segments[i] {
            case .literal: return part.count == expected.count && Self.equal(part, expected, from: 0)
            case .parameter: return part.count > expected.count && Self.equal(part, expected, from: part.count - expected.count)
            }
        }
    }

    /// The parameters of a path that `matches`.
    func parameters(_ path: UnsafeBufferPointer<UInt8>) -> [String: String] {
        var parameters: [String: String] = [:]
        _ = forEachSegment(of: path) { i, part in
            if case .parameter(let name, _) = segments[i] {
                parameters[name] = String(decoding: UnsafeBufferPointer(rebasing: part.dropLast(bytes[i].count)), as: UTF8.self)
            }
            return true
        }
        return parameters
    }

    /// Calls `body` with the index and bytes of each segment of `path` (what follows each `/`,
    /// up to the next) while it returns true; whether it did for every segment. The caller has
    /// checked the count.
    private func forEachSegment(of path: UnsafeBufferPointer<UInt8>, _ body: (Int, Slice<UnsafeBufferPointer<UInt8>>) -> Bool) -> Bool {
        guard var start = path.firstIndex(of: UInt8(ascii: "/")).map({ $0 + 1 }) else { return segments.isEmpty }
        for i in segments.indices {
            var end = start
            while end < path.count && path[end] != UInt8(ascii: "/") { end += 1 }
            guard body(i, path[start..<end]) else { return false }
            start = end + 1
        }
        return true
    }

    /// Whether `part`, from its `offset`th byte on, starts with `expected`.
    private static func equal(_ part: Slice<UnsafeBufferPointer<UInt8>>, _ expected: [UInt8], from offset: Int) -> Bool {
        var i = part.startIndex + offset
        for byte in expected {
            guard part[i] == byte else { return false }
            i += 1
        }
        return true
    }
}
