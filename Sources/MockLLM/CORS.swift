import MockLLMCore

/// Cross-origin access, so a browser app in development can call the mock directly.
///
/// Every reply to a request with an `Origin` gets `access-control-allow-origin` (the origin,
/// echoed, with `vary: origin`) and exposes all headers; an `OPTIONS` preflight for a path the
/// server serves is answered 204 with the methods it allows and the headers the browser asked for.
enum CORS {
    static func preflight(_ request: HTTPRequest, methods: [String]?) -> Reply? {
        if request.path == "*" {
            return Reply(status: 204, headers: HTTPFields([HTTPFields.Field(name: "allow", value: "GET, HEAD, POST, OPTIONS")]),
                         body: .bytes(ByteBuffer(), delay: 0))
        }
        guard let methods else { return nil }
        let allowed = methods.joined(separator: ", ")
        var headers = HTTPFields([HTTPFields.Field(name: "allow", value: allowed)])
        if request.headers.contains("origin") {
            headers.append(name: "access-control-allow-methods", value: allowed)
            headers.append(name: "access-control-allow-headers", value: request.headers["access-control-request-headers"] ?? "*")
            headers.append(name: "access-control-max-age", value: "86400")
        }
        return Reply(status: 204, headers: headers, body: .bytes(ByteBuffer(), delay: 0))
    }

    static func decorate(_ reply: inout Reply, for request: HTTPRequest) {
        reply.headers.append(name: "access-control-allow-origin", value: request.headers["origin"] ?? "*")
        reply.headers.append(name: "access-control-expose-headers", value: "*")
        reply.headers.append(name: "vary", value: "Origin")
    }
}
