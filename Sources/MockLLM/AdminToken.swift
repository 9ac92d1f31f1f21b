import MockLLMCore

/// `--admin-token`: the server's own endpoints (everything under `/_mockllm/`) answer only
/// requests carrying the token, as `Authorization: Bearer TOKEN` or
/// `x-mockllm-admin-token: TOKEN`. A separate secret from `--api-key`: a client holding the
/// provider key can neither read the journal nor reload the script, and the admin token opens
/// no provider endpoint.
struct AdminToken: Sendable {
    let token: Secret

    init(_ token: String) { self.token = Secret(token) }

    func allows(_ request: HTTPRequest) -> Bool {
        var allowed = false
        for value in request.headers.values(of: "authorization") where token.matchesBearer(value) { allowed = true }
        for value in request.headers.values(of: "x-mockllm-admin-token") where token.matches(value) { allowed = true }
        return allowed
    }

    /// Whether the request carries a token at all (right or wrong), for the 401's wording.
    static func presented(in request: HTTPRequest) -> Bool {
        request.headers.contains("authorization") || request.headers.contains("x-mockllm-admin-token")
    }

    /// The 401 for a missing or wrong token; `page`: the path of a page a browser opens, which
    /// takes the token as `?token=`.
    static func refusal(given: Bool, page: String? = nil) -> Reply {
        let message = switch (given, page) {
        case (true, _): "Incorrect admin token. The token is set with --admin-token or MOCKLLM_ADMIN_TOKEN."
        case (false, let page?): "This page needs the admin token: open \(page)?token=TOKEN (the page then sends it as a header)."
        case (false, nil): "This endpoint needs the admin token: send 'Authorization: Bearer TOKEN' or 'x-mockllm-admin-token: TOKEN'."
        }
        return AdminEndpoints.error(401, type: "unauthorized", message,
                                    headers: HTTPFields([HTTPFields.Field(name: "www-authenticate", value: "Bearer realm=\"mockllm admin\"")]))
    }
}
