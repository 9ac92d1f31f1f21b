/// libFuzzer target: the strict JSON reader (tape parser, lazy decoding) as the providers use
/// it on request bodies. Built by scripts/fuzz with the JSON sources. A document that parses is
/// walked completely (every member, element, string and number decoded) and materialized; a
/// materialized value is written back out and must parse again to the same value. Every input
/// also goes through `JSONWalk` (mockllm bench's allocation-free check of a server's events),
/// which must accept whatever the strict reader accepts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let walked = bytes.withUnsafeBytes { JSONWalk.isWellFormed($0) }
    guard let document = try? JSONDocument.parse(bytes, maxDepth: 64) else { return 0 }
    if !walked { fatalError("JSONWalk refuses a document the strict reader accepts") }
    withExtendedLifetime(document) {
        walk(document.root, depth: 0)
        let value = document.root.materialize()
        if let direct = try? JSONReader.parse(bytes, maxDepth: 64), direct != value {
            fatalError("JSONReader and JSONDocument disagree")
        }
        guard let text = encode(value) else { return }  // a number beyond Double's range
        guard let again = try? JSONDocument.parse(Array(text.utf8), maxDepth: 64) else {
            fatalError("re-encoded JSON does not parse: \(text)")
        }
        withExtendedLifetime(again) {
            if again.root.materialize() != value { fatalError("re-encoded JSON differs: \(text)") }
        }
    }
    return 0
}

private func walk(_ node: JSONNode, depth: Int) {
    _ = node.bool
    _ = node.number
    _ = node.integer
    _ = node.string
    _ = node["model"]
    node.forEachElement { _, element in walk(element, depth: depth + 1) }
    node.forEachMember { _, member in walk(member, depth: depth + 1) }
}

/// JSON text for a value (nil if a number is not finite, which JSON cannot write).
private func encode(_ value: JSONValue) -> String? {
    switch value {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let d): return d.isFinite ? "\(d)" : nil
    case .string(let s):
        var out = ByteBuffer()
        out.append(jsonString: s)
        return String(decoding: out.bytes, as: UTF8.self)
    case .array(let items):
        var parts: [String] = []
        for item in items {
            guard let part = encode(item) else { return nil }
            parts.append(part)
        }
        return "[" + parts.joined(separator: ",") + "]"
    case .object(let object):
        var parts: [String] = []
        for member in object.members {
            guard let part = encode(member.value), let key = encode(.string(member.key)) else { return nil }
            parts.append(key + ":" + part)
        }
        return "{" + parts.joined(separator: ",") + "}"
    }
}
