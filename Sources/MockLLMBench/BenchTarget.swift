import MockLLMLoop

/// Where `mockllm bench` sends its streams: `http://host[:port][/path]`, plain HTTP only.
package struct BenchTarget: Sendable, Equatable {
    package var host: String
    package var port: Int
    /// The path (with any query) to post to; nil when the URL has none.
    package var path: String?

    /// `host:port` as the Host header and reports show it (IPv6 literals in brackets).
    package var authority: String { SocketAddress.display(host: host, port: port) }

    package static func parse(_ url: String) throws(BenchUsageError) -> BenchTarget {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") {
            throw BenchUsageError("https is not supported: mockllm bench speaks plain HTTP/1.1 (use an http:// URL, e.g. of a local endpoint or a TLS-terminating proxy)")
        }
        guard lower.hasPrefix("http://") else {
            throw BenchUsageError("the target must be an http:// URL, e.g. http://127.0.0.1:8000 (got '\(url)')")
        }
        let rest = url.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if path.hasPrefix("?") { path = "/" + path }
        guard !authority.isEmpty, !authority.contains("@") else {
            throw BenchUsageError("the target URL needs a host, e.g. http://127.0.0.1:8000 (got '\(url)')")
        }
        let host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw BenchUsageError("unterminated IPv6 address in '\(url)'") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw BenchUsageError("unexpected text after the IPv6 address in '\(url)'") }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        var port = 80
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw BenchUsageError("invalid port '\(portText)' in '\(url)'")
            }
            port = parsed
        }
        guard !host.isEmpty else { throw BenchUsageError("the target URL needs a host (got '\(url)')") }
        return BenchTarget(host: String(host), port: port, path: path.isEmpty || path == "/" ? nil : path)
    }
}
