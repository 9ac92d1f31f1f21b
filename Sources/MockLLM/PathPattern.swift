/// A route path: literal segments and `{name}` parameters, which may carry a literal suffix
/// within their segment (`/v1beta/models/{model}:generateContent`).
struct PathPattern: Sendable, Equatable {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(name: String, suffix: String)
    }

    let text: String
    let segments: [Segment]

    init(_ text: String) {
        self.text = text
        segments = text.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { part in
            guard part.hasPrefix("{"), let close = part.firstIndex(of: "}") else { return .literal(String(part)) }
            let name = String(part[part.index(after: part.startIndex)..<close])
            return .parameter(name: name, suffix: String(part[part.index(after: close)...]))
        }
    }

    var isLiteral: Bool {
        !segments.contains { if case .parameter = $0 { true } else { false } }
    }

    /// A path cut into the segments patterns compare (once per request, whatever the number of patterns).
    static func parts(of path: String) -> ArraySlice<Substring> {
        // Split on the UTF-8 bytes: `String.split` walks grapheme clusters. A `/` is one byte, so
        // the UTF-8 indices are valid indices of the string.
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { path[$0.startIndex..<$0.endIndex] }.dropFirst()
    }

    /// The parameters if `path` matches.
    func match(_ path: String) -> [String: String]? {
        match(parts: Self.parts(of: path))
    }

    /// The parameters if the path cut into `parts` (`parts(of:)`) matches.
    func match(parts: ArraySlice<Substring>) -> [String: String]? {
        guard parts.count == segments.count else { return nil }
        // The literal segments first: most patterns fail there, before a parameter is copied.
        for (part, segment) in zip(parts, segments) {
            if case .literal(let literal) = segment, !part.utf8.elementsEqual(literal.utf8) { return nil }
        }
        var parameters: [String: String] = [:]
        // Compared as UTF-8 bytes: `==` and `hasSuffix` on strings compare characters (and with
        // Foundation imported, `hasSuffix` goes through CFString), which cost a request whose
        // path has parameters (Bedrock's `/model/{model}/...`) a tenth of its time.
        for (part, segment) in zip(parts, segments) {
            switch segment {
            case .literal:
                continue  // compared in the loop above
            case .parameter(let name, let suffix):
                let n = suffix.utf8.count
                guard part.utf8.count > n, part.utf8.suffix(n).elementsEqual(suffix.utf8) else { return nil }
                parameters[name] = String(decoding: part.utf8.dropLast(n), as: UTF8.self)
            }
        }
        return parameters
    }
}
