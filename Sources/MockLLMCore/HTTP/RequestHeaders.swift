/// A request's header fields as they arrived: one copy of the head's bytes and where each
/// field lies in it. A name or value becomes a `String` only when asked for, so a request
/// whose headers nobody reads costs no string at all (picohttpparser and h2o work the same way).
public struct RequestHeaders: Sendable, Sequence {
    struct Span: Sendable {
        var nameStart: UInt32
        var nameEnd: UInt32
        var valueStart: UInt32
        var valueEnd: UInt32
    }

    private let bytes: [UInt8]
    private let spans: [Span]
    /// Whether a field is named `x-mockllm-test` (mockllm's test scope), noted by the parser as
    /// it classifies each name, so that a request without one looks nothing up.
    public let namesTestScope: Bool

    /// mockllm's test scope header (`x-mockllm-test: ID`), in lower case.
    public static let testScopeName: StaticString = "x-mockllm-test"

    init(bytes: [UInt8], spans: [Span], namesTestScope: Bool) {
        self.bytes = bytes
        self.spans = spans
        self.namesTestScope = namesTestScope
    }

    /// Headers given as fields (tests, programmatic requests).
    public init(_ fields: HTTPFields = HTTPFields()) {
        var bytes: [UInt8] = []
        var spans: [Span] = []
        for field in fields {
            let nameStart = UInt32(bytes.count)
            bytes.append(contentsOf: field.name.utf8)
            let nameEnd = UInt32(bytes.count)
            bytes.append(contentsOf: field.value.utf8)
            spans.append(Span(nameStart: nameStart, nameEnd: nameEnd, valueStart: nameEnd, valueEnd: UInt32(bytes.count)))
        }
        let scopeName = "\(Self.testScopeName)"
        self.init(bytes: bytes, spans: spans, namesTestScope: fields.contains { $0.name.lowercased() == scopeName })
    }

    /// The same fields and one more at the end.
    public func adding(name: String, value: String) -> RequestHeaders {
        var bytes = self.bytes
        var spans = self.spans
        let nameStart = UInt32(bytes.count)
        bytes.append(contentsOf: name.utf8)
        let nameEnd = UInt32(bytes.count)
        bytes.append(contentsOf: value.utf8)
        spans.append(Span(nameStart: nameStart, nameEnd: nameEnd, valueStart: nameEnd, valueEnd: UInt32(bytes.count)))
        return RequestHeaders(bytes: bytes, spans: spans,
                              namesTestScope: namesTestScope || name.lowercased() == "\(Self.testScopeName)")
    }

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }

    /// The first value of the field `name` (given in lower case; compared case-insensitively).
    public subscript(name: String) -> String? {
        guard let span = firstSpan(named: name) else { return nil }
        return value(of: span)
    }

    public func contains(_ name: String) -> Bool { firstSpan(named: name) != nil }

    /// Whether some field's name starts with `prefix` (lower case).
    public func contains(prefix: String) -> Bool {
        var prefix = prefix
        return prefix.withUTF8 { wanted in
            spans.contains { span in
                let start = Int(span.nameStart)
                guard Int(span.nameEnd) - start >= wanted.count else { return false }
                for k in 0..<wanted.count where ByteClass.lower(bytes[start + k]) != wanted[k] { return false }
                return true
            }
        }
    }

    /// Every value of `name`, in order.
    public func values(of name: String) -> [String] {
        var name = name
        return name.withUTF8 { wanted in spans.filter { matches($0, wanted) }.map(value(of:)) }
    }

    /// The fields with lower-cased names, in order.
    public var fields: [HTTPFields.Field] {
        spans.map { span in
            let name = bytes[Int(span.nameStart)..<Int(span.nameEnd)].map(ByteClass.lower)
            return HTTPFields.Field(name: String(decoding: name, as: UTF8.self), value: value(of: span))
        }
    }

    public func makeIterator() -> IndexingIterator<[HTTPFields.Field]> { fields.makeIterator() }

    private func firstSpan(named name: String) -> Span? {
        var name = name
        return name.withUTF8 { wanted in spans.first { matches($0, wanted) } }
    }

    private func matches(_ span: Span, _ wanted: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(span.nameStart)
        guard Int(span.nameEnd) - start == wanted.count else { return false }
        for k in 0..<wanted.count where ByteClass.lower(bytes[start + k]) != wanted[k] { return false }
        return true
    }

    private func value(of span: Span) -> String {
        bytes.withUnsafeBufferPointer { p in
            String(decoding: UnsafeBufferPointer(rebasing: p[Int(span.valueStart)..<Int(span.valueEnd)]), as: UTF8.self)
        }
    }
}
