/// The server's side of the WebSocket opening handshake (RFC 6455 section 4.2).
public enum WebSocketHandshake {
    /// RFC 6455 1.3: appended to the client's key before hashing.
    public static let magic = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Why a request is not an opening handshake.
    public enum Refusal: Error, Equatable, Sendable {
        /// Not a GET, or no `Upgrade: websocket` / `Connection: upgrade` (a plain request to a
        /// WebSocket path): 426 Upgrade Required, as servers answer.
        case notUpgrade
        /// `Sec-WebSocket-Version` is not 13: 426 with `Sec-WebSocket-Version: 13` (4.4).
        case version
        /// `Sec-WebSocket-Key` missing or not 16 bytes in base64: 400.
        case key
        /// HTTP/1.0: an upgrade needs 1.1.
        case httpVersion

        public var status: Int {
            switch self {
            case .notUpgrade, .version: 426
            case .key, .httpVersion: 400
            }
        }

        public var message: String {
            switch self {
            case .notUpgrade: "this endpoint speaks WebSocket: send a GET with Upgrade: websocket and Connection: Upgrade"
            case .version: "Sec-WebSocket-Version must be 13"
            case .key: "Sec-WebSocket-Key must be 16 bytes in base64"
            case .httpVersion: "a WebSocket upgrade needs HTTP/1.1"
            }
        }
    }

    /// The `Sec-WebSocket-Accept` value for a client's `Sec-WebSocket-Key`.
    public static func accept(key: String) -> String {
        let digest = SHA1.hash(Array((key + magic).utf8))
        var out = ByteBuffer()
        digest.withUnsafeBytes { out.append(base64Of: $0) }
        return out.description
    }

    /// Checks `request` as an opening handshake; the accept value when it is one.
    public static func check(_ request: HTTPRequest) -> Result<String, Refusal> {
        guard request.method == "GET", hasToken(request.headers.values(of: "upgrade"), "websocket"),
              hasToken(request.headers.values(of: "connection"), "upgrade") else { return .failure(.notUpgrade) }
        guard request.version == .http11 else { return .failure(.httpVersion) }
        guard request.headers["sec-websocket-version"]?.trimmingSpaces == "13" else { return .failure(.version) }
        guard let key = request.headers["sec-websocket-key"]?.trimmingSpaces, isNonceKey(key) else { return .failure(.key) }
        return .success(accept(key: key))
    }

    /// The 101 reply that hands the connection to `session`, or nil with the refusal when the
    /// request is not a valid handshake (the caller answers it in its protocol's error shape,
    /// with `refusal.status`; a `.version` refusal also carries `Sec-WebSocket-Version: 13`).
    /// `subprotocol`: the one of the client's `Sec-WebSocket-Protocol` offers the server picks.
    public static func reply(
        to request: HTTPRequest, subprotocol: String? = nil, headers extra: HTTPFields = HTTPFields(),
        session: () -> any WebSocketSession
    ) -> Result<Reply, Refusal> {
        switch check(request) {
        case .failure(let refusal):
            return .failure(refusal)
        case .success(let accept):
            var headers = HTTPFields(capacity: 4 + extra.count)
            headers.append(name: "upgrade", value: "websocket")
            headers.append(name: "connection", value: "Upgrade")
            headers.append(name: "sec-websocket-accept", value: accept)
            if let subprotocol { headers.append(name: "sec-websocket-protocol", value: subprotocol) }
            for field in extra { headers.append(name: field.name, value: field.value) }
            return .success(Reply(status: 101, headers: headers, body: .webSocket(session())))
        }
    }

    /// Whether a comma-separated header (over all its lines) lists `token`, case-insensitively.
    static func hasToken(_ values: [String], _ token: String) -> Bool {
        for value in values {
            for part in value.split(separator: ",") where part.trimmingSpaces.lowercased() == token { return true }
        }
        return false
    }

    /// RFC 6455 4.1: the key is 16 random bytes in base64 (24 characters, `==` at the end).
    static func isNonceKey(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard bytes.count == 24, bytes[22] == UInt8(ascii: "="), bytes[23] == UInt8(ascii: "=") else { return false }
        for byte in bytes[0..<22] {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"): continue
            default: return false
            }
        }
        // The last character before the padding carries 2 bits: its low 4 must be 0.
        return "AQgw".utf8.contains(bytes[21])
    }
}

extension StringProtocol {
    fileprivate var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}

/// SHA-1 (FIPS 180-4), for the handshake's accept value alone: RFC 6455 fixes the hash. Not for
/// anything secret, and off every hot path (once per connection).
public enum SHA1 {
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0)
        var data = message
        let bitLength = UInt64(message.count) &* 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: data.count, by: 64) {
            for i in 0..<16 {
                let j = chunk + i * 4
                w[i] = UInt32(data[j]) << 24 | UInt32(data[j + 1]) << 16 | UInt32(data[j + 2]) << 8 | UInt32(data[j + 3])
            }
            for i in 16..<80 { w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1) }
            var (a, b, c, d, e) = h
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A82_7999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9_EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62_C1D6)
                }
                let t = rotl(a, 5) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, rotl(b, 30), a, t)
            }
            h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e)
        }
        var out = [UInt8]()
        out.reserveCapacity(20)
        for word in [h.0, h.1, h.2, h.3, h.4] {
            out += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        return out
    }

    @inline(__always)
    private static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { x << n | x >> (32 - n) }
}
