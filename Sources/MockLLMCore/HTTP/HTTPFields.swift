/// An ordered list of header fields.
///
/// Request field names are stored lower-cased by the parser, so lookups compare bytes only;
/// response fields are written exactly as given.
package struct HTTPFields: Sendable, Equatable, Sequence {
    package struct Field: Sendable, Equatable {
        package var name: String
        package var value: String

        package init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    package private(set) var fields: [Field]

    package init(_ fields: [Field] = []) {
        self.fields = fields
    }

    package init(capacity: Int) {
        fields = []
        fields.reserveCapacity(capacity)
    }

    package init(_ pairs: KeyValuePairs<String, String>) {
        self.fields = pairs.map { Field(name: $0.key, value: $0.value) }
    }

    package var count: Int { fields.count }
    package var isEmpty: Bool { fields.isEmpty }

    package func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// The first value of `name` (which must be lower-case for request fields).
    package subscript(name: String) -> String? {
        for field in fields where field.name == name { return field.value }
        return nil
    }

    /// Every value of `name`, in order.
    package func values(of name: String) -> [String] {
        fields.compactMap { $0.name == name ? $0.value : nil }
    }

    package mutating func append(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Replaces every field called `name` (compared case-insensitively) with one field.
    package mutating func set(name: String, value: String) {
        let lower = name.lowercased()
        fields.removeAll { $0.name.lowercased() == lower }
        fields.append(Field(name: name, value: value))
    }

    package func contains(_ name: String) -> Bool {
        let lower = name.lowercased()
        return fields.contains { $0.name.lowercased() == lower }
    }
}
