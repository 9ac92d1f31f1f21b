/// Byte classes from RFC 9110 / RFC 9112, shared by the request and chunk parsers.
package enum ByteClass {
    package static let cr: UInt8 = 0x0D
    package static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09

    /// tchar: the characters of a token (method, header name).
    @inline(__always)
    package static func isTokenChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        // ! # $ % & ' * + - . ^ _ ` | ~
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E...0x60, 0x7C, 0x7E: true
        default: false
        }
    }

    /// field-vchar / obs-text plus SP and HTAB: what a header value may hold.
    @inline(__always)
    package static func isFieldValueChar(_ b: UInt8) -> Bool {
        b >= 0x20 ? b != 0x7F : b == htab
    }

    /// What a Host value may hold (RFC 3986 host and port: unreserved, pct-encoded,
    /// sub-delims, ":" and the brackets of an IP literal), as Go's net/http checks it.
    @inline(__always)
    static func isHostChar(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        // - . _ ~  % ! $ & ' ( ) * + , ; =  : [ ]
        case 0x2D, 0x2E, 0x5F, 0x7E, 0x25, 0x21, 0x24, 0x26...0x2C, 0x3B, 0x3D, 0x3A, 0x5B, 0x5D: true
        default: false
        }
    }

    @inline(__always)
    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == htab }

    @inline(__always)
    static func lower(_ b: UInt8) -> UInt8 {
        b &- 0x41 < 26 ? b | 0x20 : b
    }

    /// Case-insensitive comparison of bytes with a lower-case ASCII literal.
    static func equalsLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { lit in
            guard lit.count == bytes.count else { return false }
            for k in 0..<lit.count where lower(bytes[k]) != lit[k] { return false }
            return true
        }
    }
}
