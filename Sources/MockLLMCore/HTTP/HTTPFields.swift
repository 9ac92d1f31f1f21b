/// An ordered list of header fields.
///
/// Request field names are stored lower-cased by the parser, so lookups compare bytes only;
/// response fields are written exactly as given.
public struct HTTPFields: Sendable, Equatable, Sequence {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Stored under another name so the lookups and appends can be inlined into other modules.
    @usableFromInline var _fields: [Field]

    public var fields: [Field] { _fields }

    public init(_ fields: [Field] = []) {
        self._fields = fields
    }

    public init(capacity: Int) {
        _fields = []
        _fields.reserveCapacity(capacity)
    }

    public init(_ pairs: KeyValuePairs<String, String>) {
        self._fields = pairs.map { Field(name: $0.key, value: $0.value) }
    }

    public var count: Int { _fields.count }
    public var isEmpty: Bool { _fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[Field]> { _fields.makeIterator() }

    /// The first value of `name` (which must be lower-case for request fields).
    @inlinable
    public subscript(name: String) -> String? {
        for field in _fields where field.name == name { return field.value }
        return nil
    }

    /// Every value of `name`, in order.
    public func values(of name: String) -> [String] {
        _fields.compactMap { $0.name == name ? $0.value : nil }
    }

    @inlinable
    public mutating func append(name: String, value: String) {
        _fields.append(Field(name: name, value: value))
    }

    /// Replaces every field called `name` (compared case-insensitively) with one field.
    public mutating func set(name: String, value: String) {
        let lower = name.lowercased()
        _fields.removeAll { $0.name.lowercased() == lower }
        _fields.append(Field(name: name, value: value))
    }

    public func contains(_ name: String) -> Bool {
        let lower = name.lowercased()
        return _fields.contains { $0.name.lowercased() == lower }
    }
}
