#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A route path: literal segments and `{name}` parameters, which may carry a literal suffix
/// within their segment (`/v1beta/models/{model}:generateContent`).
///
/// A request's path is matched as UTF-8 bytes, segment by segment, against one flat copy of the
/// pattern's literal bytes, without cutting the path into strings first: `String` comparisons
/// and `split` walk characters and validate indices, and reading a pattern's segments as
/// strings and arrays retains each of them, which cost a request whose path has parameters
/// (Bedrock's `/model/{model}/...`) more than the rest of its routing. A class, so that the
/// router hands out one reference to it.
final class PathPattern: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(name: String, suffix: String)
    }

    /// Where a segment's bytes (a literal's, or a parameter's suffix) lie in `bytes`.
    private struct Span {
        var start: Int
        var count: Int
        var parameter: Bool
    }

    let text: String
    let segments: [Segment]
    private let bytes: [UInt8]
    private let spans: [Span]

    init(_ text: String) {
        self.text = text
        segments = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            guard part.hasPrefix("{"), let close = part.firstIndex(of: "}") else { return .literal(String(part)) }
            let name = String(part[part.index(after: part.startIndex)..<close])
            return .parameter(name: name, suffix: String(part[part.index(after: close)...]))
        }
        var bytes: [UInt8] = []
        var spans: [Span] = []
        for segment in segments {
            let (literal, parameter) = switch segment {
            case .literal(let literal): (literal, false)
            case .parameter(_, let suffix): (suffix, true)
            }
            spans.append(Span(start: bytes.count, count: literal.utf8.count, parameter: parameter))
            bytes += literal.utf8
        }
        self.bytes = bytes
        self.spans = spans
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
        bytes.withUnsafeBufferPointer { expected in
            spans.withUnsafeBufferPointer { spans in
                // A plain loop: the first segment rejects most patterns, in a few instructions;
                // and patterns that differ only in the last (/model/{model}/converse,
                // .../converse-stream, .../invoke) are told apart by it first, before a long
                // parameter (a Bedrock model id) is read.
                if let last = spans.last, !last.parameter {
                    let at = path.count - last.count
                    guard at > 0, path[at - 1] == UInt8(ascii: "/"),
                          Self.equal(path, from: at, expected, last) else { return false }
                }
                guard var start = path.firstIndex(of: UInt8(ascii: "/")).map({ $0 + 1 }) else { return spans.isEmpty }
                for span in spans {
                    let end = Self.segmentEnd(path, from: start)
                    let n = end - start
                    if span.parameter {
                        guard n > span.count, Self.equal(path, from: end - span.count, expected, span) else { return false }
                    } else {
                        guard n == span.count, Self.equal(path, from: start, expected, span) else { return false }
                    }
                    start = end + 1
                }
                return true
            }
        }
    }

    /// The parameters of a path that `matches`.
    func parameters(_ path: UnsafeBufferPointer<UInt8>) -> [String: String] {
        var parameters: [String: String] = [:]
        _ = Self.forEachSegment(of: path, count: segments.count) { i, start, end in
            if case .parameter(let name, _) = segments[i] {
                parameters[name] = String(decoding: UnsafeBufferPointer(rebasing: path[start..<(end - spans[i].count)]), as: UTF8.self)
            }
            return true
        }
        return parameters
    }

    /// Calls `body` with the index and the bounds of each of the `count` segments of `path` (what
    /// follows each `/`, up to the next) while it returns true; whether it did for every one.
    private static func forEachSegment(of path: UnsafeBufferPointer<UInt8>, count: Int, _ body: (Int, Int, Int) -> Bool) -> Bool {
        guard var start = path.firstIndex(of: UInt8(ascii: "/")).map({ $0 + 1 }) else { return count == 0 }
        for i in 0..<count {
            let end = segmentEnd(path, from: start)
            guard body(i, start, end) else { return false }
            start = end + 1
        }
        return true
    }

    /// Whether `path` from `offset` holds the bytes of `span`.
    /// Where the segment starting at `start` ends: the next `/`, or the path's end.
    private static func segmentEnd(_ path: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < path.count, let slash = memchr(path.baseAddress! + start, Int32(UInt8(ascii: "/")), path.count - start) else { return max(start, path.count) }
        return UnsafePointer<UInt8>(slash.assumingMemoryBound(to: UInt8.self)) - path.baseAddress!
    }

    private static func equal(_ path: UnsafeBufferPointer<UInt8>, from offset: Int, _ expected: UnsafeBufferPointer<UInt8>, _ span: Span) -> Bool {
        for k in 0..<span.count where path[offset + k] != expected[span.start + k] { return false }
        return true
    }
}
