/// `--admin-token`: the server's own endpoints (everything under `/_mockllm/`) answer only
/// requests carrying the token, as `Authorization: Bearer TOKEN` or
/// `x-mockllm-admin-token: TOKEN`. A separate secret from `--api-key`: a client holding the
/// provider key can neither read the journal nor reload the script, and the admin token opens
/// no provider endpoint.
struct AdminToken: Sendable {
    let token: [UInt8]

    init(_ token: String) { self.token = Array(token.utf8) }

    func allows(_ request: HTTPRequest) -> Bool {
        var allowed = false
        for value in request.headers.values(of: "authorization") {
            let bytes = Array(value.utf8)
            if bytes.count > 7, Self.isBearer(bytes[0..<7]), matches(bytes[7...]) { allowed = true }
        }
        for value in request.headers.values(of: "x-mockllm-admin-token") where matches(Array(value.utf8)[...]) {
            allowed = true
        }
        return allowed
    }

    /// The 401 for a missing or wrong token.
    static func refusal(given: Bool) -> Reply {
        let message = given
            ? "Incorrect admin token. The token is set with --admin-token or MOCKLLM_ADMIN_TOKEN."
            : "This endpoint needs the admin token: send 'Authorization: Bearer TOKEN' or 'x-mockllm-admin-token: TOKEN'."
        return AdminEndpoints.error(401, type: "unauthorized", message,
                                    headers: HTTPFields([HTTPFields.Field(name: "www-authenticate", value: "Bearer realm=\"mockllm admin\"")]))
    }

    /// Compares in time independent of where the bytes differ.
    private func matches(_ given: ArraySlice<UInt8>) -> Bool {
        guard given.count == token.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(given, token) { difference |= a ^ b }
        return difference == 0
    }

    private static func isBearer(_ bytes: ArraySlice<UInt8>) -> Bool {
        zip(bytes, "bearer ".utf8).allSatisfy { a, b in a | 0x20 == b || a == b }
    }
}
