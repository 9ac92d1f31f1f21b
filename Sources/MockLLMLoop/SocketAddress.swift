import CLibUV

#if canImport(Glibc)
import Glibc
#endif

/// Turning a host and port into a socket address, and back.
package enum SocketAddress {
    /// Fills `storage` for `host:port`; returns the address family. Accepts IPv4 and IPv6
    /// literals, `localhost`, and names resolved with the system resolver (at start-up only).
    static func resolve(host: String, port: Int, into storage: inout sockaddr_storage) throws(UVError) -> Int32 {
        let literal = host == "localhost" ? "127.0.0.1" : host
        let v4 = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { uv_ip4_addr(literal, Int32(port), $0) }
        }
        if v4 == 0 { return AF_INET }
        let unbracketed = literal.hasPrefix("[") && literal.hasSuffix("]") ? String(literal.dropFirst().dropLast()) : literal
        let v6 = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { uv_ip6_addr(unbracketed, Int32(port), $0) }
        }
        if v6 == 0 { return AF_INET6 }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let info = result, let addr = info.pointee.ai_addr else {
            throw UVError(UV_EAI_NONAME.rawValue, "resolve host '\(host)'")
        }
        defer { freeaddrinfo(result) }
        withUnsafeMutableBytes(of: &storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: addr, count: Int(info.pointee.ai_addrlen)))
        }
        return info.pointee.ai_family
    }

    package static func display(host: String, port: Int) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    static func localPort(of tcp: UnsafeMutablePointer<uv_tcp_t>) -> Int {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_getsockname(tcp, $0, &length) }
        }
        guard rc == 0 else { return 0 }
        let family = Int32(storage.ss_family)
        return withUnsafePointer(to: &storage) { ptr -> Int in
            if family == AF_INET6 {
                return ptr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
            return ptr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
        }
    }
}
