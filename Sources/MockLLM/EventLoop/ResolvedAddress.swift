#if canImport(Glibc)
import Glibc
#endif

/// A socket address resolved once (at start-up) and reused for every connection to it.
public struct ResolvedAddress: @unchecked Sendable {
    // @unchecked: sockaddr_storage is plain bytes.
    var storage = sockaddr_storage()
    public let host: String
    public let port: Int

    /// Resolves `host` (an IPv4 or IPv6 literal, `localhost`, or a name) and `port`.
    public init(host: String, port: Int) throws(UVError) {
        self.host = host
        self.port = port
        _ = try SocketAddress.resolve(host: host, port: port, into: &storage)
    }

    /// `host:port`, with brackets around an IPv6 literal.
    public var display: String { SocketAddress.display(host: host, port: port) }
}
