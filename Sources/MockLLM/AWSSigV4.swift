import MockLLMCore
import MockLLMSimulation

/// AWS credentials: an access key, its secret and, for temporary ones, the session token.
package struct AWSCredentials: Sendable, Equatable {
    package var accessKeyID: String
    package var secretAccessKey: String
    package var sessionToken: String?

    package init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// AWS Signature Version 4 in its header form (`Authorization: AWS4-HMAC-SHA256 Credential=...,
/// SignedHeaders=..., Signature=...`), as the AWS SDKs sign a request to any service but S3:
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
///
/// Written here rather than left to libcurl's `CURLOPT_AWS_SIGV4` because no libcurl signs a
/// Bedrock request right before 8.14: the canonical URI is the path as sent (7.88.1, Debian
/// bookworm's) or encoded once (8.9 to 8.13), where every service but S3 encodes each segment
/// twice, so the `%3A` of a model id's `:0` must be signed as `%253A` (botocore's
/// `quote(path, safe='/~')` over the encoded path); and before 8.3 the `Name:` entries that only
/// remove a header libcurl would add were signed as if sent.
package enum AWSSigV4 {
    /// Headers never signed (botocore's `SIGNED_HEADERS_BLACKLIST`): hop-by-hop ones, and those a
    /// proxy may rewrite on the way.
    static let unsigned: Set<String> = [
        "connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "transfer-encoding",
        "upgrade", "user-agent", "x-amzn-trace-id", "authorization", "content-length",
    ]

    /// The headers to add to a request (`x-amz-date`, `x-amz-security-token` with temporary
    /// credentials, `authorization`) so that `service` in `region` accepts it. `headers` are
    /// every header that will be sent, `host` among them: all but `unsigned` are signed.
    /// - Parameter date: the time of signing, `YYYYMMDDTHHMMSSZ` (UTC).
    package static func sign(method: String, target: String, headers: [(name: String, value: String)], body: [UInt8],
                             credentials: AWSCredentials, region: String, service: String,
                             date: String) -> [(name: String, value: String)] {
        var added: [(name: String, value: String)] = [("x-amz-date", date)]
        if let token = credentials.sessionToken, !token.isEmpty { added.append(("x-amz-security-token", token)) }
        let all = headers + added
        let canonical = canonicalRequest(method: method, target: target, headers: all, body: body)
        let scope = "\(date.prefix(8))/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(date)\n\(scope)\n\(hex(SHA256.hash(Array(canonical.request.utf8))))"
        let signature = hex(hmac(signingKey(secret: credentials.secretAccessKey, day: String(date.prefix(8)), region: region,
                                            service: service), Array(toSign.utf8)))
        added.append(("authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), "
                                        + "SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"))
        return added
    }

    /// The canonical request and its signed header names (`content-type;host;x-amz-date`).
    package static func canonicalRequest(method: String, target: String, headers: [(name: String, value: String)],
                                         body: [UInt8]) -> (request: String, signedHeaders: String) {
        let (path, query) = split(target)
        var byName: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            if unsigned.contains(lower) { continue }
            byName[lower, default: []].append(trimAll(value))
        }
        let names = byName.keys.sorted()
        let canonicalHeaders = names.map { "\($0):\(byName[$0]!.joined(separator: ","))\n" }.joined()
        let signedHeaders = names.joined(separator: ";")
        let request = [method.uppercased(), canonicalURI(path), canonicalQuery(query), canonicalHeaders, signedHeaders,
                       hex(SHA256.hash(body))].joined(separator: "\n")
        return (request, signedHeaders)
    }

    /// The path as sent, each segment encoded once more: every byte but the unreserved ones
    /// (`A-Z a-z 0-9 - . _ ~`) and `/`, so `%3A` becomes `%253A`. Empty: `/`.
    static func canonicalURI(_ path: String) -> String {
        path.isEmpty ? "/" : uriEncode(path, keepSlash: true)
    }

    /// Each `name=value` decoded and encoded again strictly, sorted by name, then value.
    static func canonicalQuery(_ query: String?) -> String {
        guard let query, !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&", omittingEmptySubsequences: true).map { part -> (String, String) in
            let (name, value) = part.firstIndex(of: "=").map { (part[..<$0], part[part.index(after: $0)...]) } ?? (part, "")
            return (uriEncode(percentDecoded(String(name)), keepSlash: false), uriEncode(percentDecoded(String(value)), keepSlash: false))
        }
        return pairs.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, day), region), service), "aws4_request")`.
    static func signingKey(secret: String, day: String, region: String, service: String) -> [UInt8] {
        var key = hmac(Array(("AWS4" + secret).utf8), Array(day.utf8))
        key = hmac(key, Array(region.utf8))
        key = hmac(key, Array(service.utf8))
        return hmac(key, Array("aws4_request".utf8))
    }

    /// HMAC-SHA256 (RFC 2104, block size 64).
    package static func hmac(_ key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? SHA256.hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = SHA256.hash(block.map { $0 ^ 0x36 } + message)
        return SHA256.hash(block.map { $0 ^ 0x5C } + inner)
    }

    package static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYYMMDDTHHMMSSZ` for seconds since the epoch (UTC): RFC 3339's basic format.
    package static func amzDate(epochSeconds: Int) -> String {
        RFC3339.format(unixSeconds: epochSeconds).filter { $0 != "-" && $0 != ":" }
    }

    /// Value whitespace as SigV4 wants it: trimmed, runs of spaces made one.
    static func trimAll(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out += [UInt8(ascii: "%"), digits[Int(b >> 4)], digits[Int(b & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func percentDecoded(_ text: String) -> String {
        var out: [UInt8] = []
        var bytes = text.utf8[...]
        while let b = bytes.popFirst() {
            if b == UInt8(ascii: "%"), bytes.count >= 2,
               let value = UInt8(String(decoding: bytes.prefix(2), as: UTF8.self), radix: 16) {
                out.append(value)
                bytes = bytes.dropFirst(2)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func split(_ target: String) -> (path: String, query: String?) {
        guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<mark]), String(target[target.index(after: mark)...]))
    }
}
