import MockLLMCore

/// How a Bedrock request is authenticated upstream. The client signed it with SigV4 for
/// mockllm's host (the host is a signed header), so its signature cannot be forwarded: the
/// request is signed again with mockllm's own credentials. A Bedrock API key
/// (`Authorization: Bearer ...`) names no host and is forwarded as it is.
enum BedrockUpstream {
    /// SigV4's name for the runtime API (its hosts are `bedrock-runtime.REGION.amazonaws.com`).
    static let service = "bedrock"

    /// The client's headers that belong to its own signature, dropped when signing again.
    static let clientSignature: Set<String> = ["authorization", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]

    /// The headers to send to `base` for `request` (`forwarded`: the client's, less hop-by-hop
    /// ones), or why none can be.
    /// - Parameter epochSeconds: now, for `x-amz-date`.
    static func headers(for request: HTTPRequest, forwarded: [(name: String, value: String)], base: String,
                        environment: AWSEnvironment, epochSeconds: Int) -> Result<[(name: String, value: String)], UpstreamRefusal> {
        if let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("bearer ") {
            return .success(forwarded)
        }
        var headers = forwarded.filter { !clientSignature.contains($0.name.lowercased()) }
        guard let credentials = environment.credentials else {
            if let token = environment.bearerToken {
                headers.append(("authorization", "Bearer \(token)"))
                return .success(headers)
            }
            return .failure(UpstreamRefusal(
                "cannot authenticate to Bedrock (\(base)): the client signed its request with SigV4 for mockllm's host, which "
                + "the upstream refuses, and mockllm's environment has no AWS credentials to sign it again: set "
                + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials), or "
                + "a profile's keys in ~/.aws/credentials (AWS_PROFILE), or AWS_BEARER_TOKEN_BEDROCK for a Bedrock API key"))
        }
        let (authority, prefix) = splitURL(base)
        guard let region = region(ofHost: authority) ?? environment.region
                ?? request.headers["authorization"].flatMap(region(ofAuthorization:)) else {
            return .failure(UpstreamRefusal(
                "cannot sign for Bedrock (\(base)): no region: the upstream's host names none, AWS_REGION and "
                + "AWS_DEFAULT_REGION are unset, the profile has no region, and the client's signature names none"))
        }
        headers.append(("host", authority))
        headers += AWSSigV4.sign(method: request.method, target: prefix + request.target, headers: headers, body: request.body,
                                 credentials: credentials, region: region, service: service,
                                 date: AWSSigV4.amzDate(epochSeconds: epochSeconds))
        return .success(headers)
    }

    /// One line for the server's start: how Bedrock's requests will be authenticated (the access
    /// key's id, never the secret), or that a signed one will be refused.
    static func describe(_ environment: AWSEnvironment, upstream: String) -> String {
        let (authority, _) = splitURL(upstream)
        if let credentials = environment.credentials {
            let region = region(ofHost: authority).map { "\($0) (the host's)" }
                ?? environment.region.map { "\($0) (\(environment.regionSource))" } ?? "the one each client signed for"
            let token = credentials.sessionToken == nil ? "" : " with its session token"
            return "bedrock: requests signed again with access key \(credentials.accessKeyID)\(token) from "
                + "\(environment.credentialsSource), region \(region)"
        }
        if environment.bearerToken != nil {
            return "bedrock: requests sent with the API key in AWS_BEARER_TOKEN_BEDROCK (a client's own API key as it comes)"
        }
        let unread = environment.unreadProfile.map {
            " (profile \($0) gets its credentials by SSO, a process or a role, which mockllm does not run: "
                + "`eval \"$(aws configure export-credentials --profile \($0) --format env)\"` before starting it)"
        } ?? ""
        return "bedrock: no AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile's keys in "
            + "~/.aws/credentials or ~/.aws/config)\(unread), nor AWS_BEARER_TOKEN_BEDROCK: a request the "
            + "client signed with SigV4 will be refused with a 502 (a client's Bedrock API key is forwarded)"
    }

    /// The region of a Bedrock runtime host: the label after `bedrock-runtime` (or
    /// `bedrock-runtime-fips`): `bedrock-runtime.us-east-1.amazonaws.com`,
    /// `vpce-0abc.bedrock-runtime.eu-west-3.vpce.amazonaws.com`.
    static func region(ofHost authority: String) -> String? {
        let host = authority.split(separator: ":").first.map(String.init) ?? authority
        let labels = host.lowercased().split(separator: ".")
        guard let index = labels.firstIndex(where: { $0 == "bedrock-runtime" || $0 == "bedrock-runtime-fips" }),
              index + 2 < labels.count else { return nil }
        return String(labels[index + 1])
    }

    /// The region of a SigV4 `Authorization`'s credential scope (`Credential=KEY/DAY/REGION/SERVICE/aws4_request`).
    static func region(ofAuthorization value: String) -> String? {
        guard let range = value.range(of: "Credential=") else { return nil }
        let scope = value[range.upperBound...].prefix { $0 != "," && $0 != " " }.split(separator: "/")
        return scope.count == 5 ? String(scope[2]) : nil
    }

    /// `https://host:port/prefix` as its authority and its path prefix (empty without one).
    static func splitURL(_ base: String) -> (authority: String, prefix: String) {
        let rest = base.range(of: "://").map { base[$0.upperBound...] } ?? base[...]
        guard let slash = rest.firstIndex(of: "/") else { return (String(rest), "") }
        return (String(rest[..<slash]), String(rest[slash...]))
    }
}

/// Why a request cannot be forwarded at all: the client gets a 502 saying so.
struct UpstreamRefusal: Error {
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
