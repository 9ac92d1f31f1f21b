/// The parameters of a query string (`a=1&b=x%20y`), percent-decoded; `+` is a space.
public struct QueryParameters: Sendable {
    private var pairs: [(String, String)] = []

    public init(_ query: String?) {
        guard let query else { return }
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((Self.decode(kv[0]), kv.count > 1 ? Self.decode(kv[1]) : ""))
        }
    }

    /// Every parameter's name, in order (repeated ones repeated).
    public var names: [String] { pairs.map(\.0) }

    /// The first value of `name`.
    public subscript(name: String) -> String? {
        pairs.first { $0.0 == name }?.1
    }

    static func decode(_ text: Substring) -> String {
        percentDecoded(text, plusIsSpace: true)
    }

    /// `text` with its `%XX` escapes decoded; `plusIsSpace`: a `+` is a space, as in a query
    /// (in a path segment it is itself).
    public static func percentDecoded(_ text: Substring, plusIsSpace: Bool) -> String {
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let b = utf8.next() {
            if plusIsSpace && b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"), let h = utf8.next(), let l = utf8.next(),
                      let hi = hexValue(h), let lo = hexValue(l) {
                bytes.append(hi << 4 | lo)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - 55
        default: nil
        }
    }
}
