#if canImport(Glibc)
import Glibc
#endif

/// A socket address resolved once (at start-up) and reused for every connection to it.
package struct ResolvedAddress: @unchecked Sendable {
    // @unchecked: sockaddr_storage is plain bytes.
    var storage = sockaddr_storage()
    package let host: String
    package let port: Int

    /// Resolves `host` (an IPv4 or IPv6 literal, `localhost`, or a name) and `port`.
    package init(host: String, port: Int) throws(UVError) {
        self.host = host
        self.port = port
        _ = try SocketAddress.resolve(host: host, port: port, into: &storage)
    }

    /// `host:port`, with brackets around an IPv6 literal.
    package var display: String { SocketAddress.display(host: host, port: port) }
}
