/// One request to a real API: the method, the full URL (`https://api.openai.com/v1/chat/completions`,
/// `http://127.0.0.1:11434/api/chat`), the headers in order, and the body.
///
/// libcurl frames the message: `Content-Length`, `Transfer-Encoding`, `Connection`, `Keep-Alive`,
/// `Proxy-Connection`, `TE`, `Upgrade` and `Expect` given here are dropped. `Host` given here
/// replaces the URL's. Nothing is added but `Host` and `Content-Length` (and what an HTTP proxy
/// is told, when one is used): no `Accept`, no `User-Agent`, no `Content-Type`, no
/// `Accept-Encoding` (so a body comes back as the upstream encoded it, and only if the caller
/// asked for an encoding).
package struct UpstreamRequest: Sendable {
    package var method: String
    package var url: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8]

    package init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// The final response's status line and headers (informational 1xx responses and a proxy's
/// answer to CONNECT are not reported), in the order received, names as the upstream spelled them.
package struct UpstreamHead: Sendable {
    package var status: Int
    package var reason: String
    package var headers: [(name: String, value: String)]

    /// The first value of the header named `name` (compared without case).
    package func value(of name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// Why a transfer did not complete.
package struct UpstreamFailure: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// No connection: refused, unreachable, or the proxy refused it.
        case connect
        /// The host (or the proxy's host) has no address.
        case dns
        /// The TLS handshake failed: most often a certificate that does not verify.
        case tls
        /// A deadline passed (`UpstreamConfiguration`'s timeouts).
        case timeout(TimeoutPhase)
        /// The connection closed or failed after the request was sent and before the response
        /// was complete (the head may have arrived, and part of the body).
        case cut
        /// `UpstreamTransfer.cancel()`.
        case cancelled
        /// `UpstreamClient.close()` with the transfer in flight or queued.
        case closed
        /// Anything else libcurl reports (a malformed URL or response, out of memory, ...).
        case other
        /// libcurl could not be used at all (`UpstreamClient.init` only): not installed, missing
        /// a function, older than `UpstreamLibrary.minimumVersion`, or its initialisation failed.
        case unavailable
    }

    package enum TimeoutPhase: Sendable, Equatable {
        /// Resolving, connecting and the TLS handshake (libcurl's connect phase).
        case connect
        /// From the transfer's start (leaving the queue) to the response head.
        case firstByte
        /// Between the head and the first body bytes, or between two pieces of the body.
        case idle
    }

    package var kind: Kind
    /// libcurl's message (its error buffer, else `curl_easy_strerror`), or ours.
    package var message: String
    /// The `CURLcode`, when libcurl reported the failure.
    package var curlCode: Int?

    package init(_ kind: Kind, _ message: String, curlCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.curlCode = curlCode
    }

    package var description: String { "\(kind): \(message)" }
}

/// How a transfer ended: exactly once per transfer.
package enum UpstreamEnd: Sendable, Equatable {
    /// The whole response arrived (whatever its status: a 500 is a response, not a failure).
    case success
    case failure(UpstreamFailure)
}

/// Where a transfer's events go, on the loop's thread, in this order: the head once, body pieces
/// as they arrive, then one end. A transfer that fails before its head reports only the end.
package protocol UpstreamHandler: AnyObject {
    func upstream(_ transfer: UpstreamTransfer, didReceiveHead head: UpstreamHead)
    /// `bytes` is lent for the call only (libcurl's receive buffer, decrypted): copy what you keep.
    func upstream(_ transfer: UpstreamTransfer, didReceive bytes: UnsafeRawBufferPointer)
    func upstream(_ transfer: UpstreamTransfer, didEnd end: UpstreamEnd)
}

/// How to use a proxy.
package enum UpstreamProxy: Sendable, Equatable {
    /// libcurl reads the environment per transfer: `http_proxy` (lowercase only) for http://
    /// URLs, `https_proxy` or `HTTPS_PROXY` for https://, `all_proxy` or `ALL_PROXY` for both when
    /// the scheme's own is unset, and `no_proxy` or `NO_PROXY` (comma-separated hosts, `.domain`
    /// suffixes, `*`) for the hosts that go direct.
    case environment
    /// Direct connections, whatever the environment says.
    case none
    /// This proxy (`http://host:port`, `socks5h://...`) for every host; the environment's
    /// `no_proxy` is ignored.
    case url(String)
}

/// An `UpstreamClient`'s settings.
package struct UpstreamConfiguration: Sendable {
    /// PEM file of the certificate authorities to trust instead of the system store
    /// (`--upstream-ca`); nil: the system store libcurl was built with (Debian:
    /// /etc/ssl/certs/ca-certificates.crt and /etc/ssl/certs, from the ca-certificates package).
    package var caFile: String?
    /// Resolving, connecting and the TLS handshake, in milliseconds.
    package var connectTimeout: UInt64
    /// From a transfer's start to its response head, in milliseconds (includes connecting); 0: none.
    package var firstByteTimeout: UInt64
    /// Between the head and the body, and between two pieces of the body, in milliseconds; 0: none.
    package var idleTimeout: UInt64
    package var proxy: UpstreamProxy
    /// Transfers running at once; later ones wait in order (their timeouts start when they leave
    /// the queue).
    package var maxConcurrentTransfers: Int

    package init(
        caFile: String? = nil,
        connectTimeout: UInt64 = 10_000,
        firstByteTimeout: UInt64 = 120_000,
        idleTimeout: UInt64 = 60_000,
        proxy: UpstreamProxy = .environment,
        maxConcurrentTransfers: Int = 64
    ) {
        self.caFile = caFile
        self.connectTimeout = connectTimeout
        self.firstByteTimeout = firstByteTimeout
        self.idleTimeout = idleTimeout
        self.proxy = proxy
        self.maxConcurrentTransfers = max(1, maxConcurrentTransfers)
    }
}
