@testable import MockLLM
import MockLLMCore
import Testing

/// The SigV4 signer the recording proxy signs Bedrock requests with: AWS's published test
/// vector, botocore's signatures of Bedrock requests (its `SigV4Auth`, botocore 1.43, the values
/// below computed with it), and how a Bedrock request's authentication is chosen.
@Suite("AWS SigV4")
struct AWSSigV4Tests {
    static let example = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")

    static func signature(_ authorization: String?) -> String? {
        authorization?.components(separatedBy: "Signature=").last
    }

    /// aws-sig-v4-test-suite's get-vanilla: `GET /` to example.amazonaws.com, service `service`.
    @Test func awsGetVanilla() {
        let added = AWSSigV4.sign(method: "GET", target: "/", headers: [("Host", "example.amazonaws.com")], body: [],
                                  credentials: Self.example, region: "us-east-1", service: "service", date: "20150830T123600Z")
        #expect(added.map(\.name) == ["x-amz-date", "authorization"])
        #expect(added[1].value == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
    }

    /// A Converse request as boto3 sends it: the model id's `:` encoded in the path, encoded
    /// again in the canonical URI; a session token signed; `user-agent` not signed; a value's
    /// spaces trimmed and folded.
    @Test func aBedrockRequestSignsAsBotocoreDoes() {
        let credentials = AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "secret/KEY+test", sessionToken: "SESSION-token-123")
        let target = "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse"
        let headers: [(name: String, value: String)] = [
            ("Content-Type", "application/json"), ("User-Agent", "Boto3/1"), ("X-Amzn-Bedrock-Trace", "  ENABLED  x"),
            ("host", "bedrock-runtime.us-east-1.amazonaws.com"),
        ]
        let body = Array(#"{"messages":[{"role":"user","content":[{"text":"hello"}]}]}"#.utf8)
        let canonical = AWSSigV4.canonicalRequest(method: "POST", target: target,
                                                  headers: headers + [("x-amz-date", "20261207T113005Z"), ("x-amz-security-token", "SESSION-token-123")],
                                                  body: body)
        #expect(canonical.request == """
            POST
            /model/anthropic.claude-3-haiku-20240307-v1%253A0/converse

            content-type:application/json
            host:bedrock-runtime.us-east-1.amazonaws.com
            x-amz-date:20261207T113005Z
            x-amz-security-token:SESSION-token-123
            x-amzn-bedrock-trace:ENABLED x

            content-type;host;x-amz-date;x-amz-security-token;x-amzn-bedrock-trace
            331b626fbec967399a3c05643d22e56af43ee9839874a2db641bd025f84436d8
            """)
        let added = AWSSigV4.sign(method: "POST", target: target, headers: headers, body: body, credentials: credentials,
                                  region: "us-east-1", service: "bedrock", date: "20261207T113005Z")
        #expect(added.map(\.name) == ["x-amz-date", "x-amz-security-token", "authorization"])
        #expect(added[2].value.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDTEST/20261207/us-east-1/bedrock/aws4_request, "
                                          + "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amzn-bedrock-trace, "))
        #expect(Self.signature(added[2].value) == "bc9cf67db97fa82c8887d84ec020acf9cbf6a222b408e4a166775d6d260cd366")
    }

    /// A host with a port, a path prefix and a query: sorted, encoded strictly.
    @Test func aPortAPrefixAndAQuery() {
        let added = AWSSigV4.sign(method: "POST", target: "/prefix/model/x/invoke?b=2&a=1%2B",
                                  headers: [("content-type", "application/json"), ("host", "127.0.0.1:8080")], body: Array("{}".utf8),
                                  credentials: Self.example, region: "eu-west-3", service: "bedrock", date: "20261207T000000Z")
        #expect(Self.signature(added.last?.value) == "8bc4b882be19d8340b7d0a3901ccc382301e231236705969a2ea95c407606858")
    }

    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test case 2.
        let mac = AWSSigV4.hmac(Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(AWSSigV4.hex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        // Test case 6: a key longer than the block is hashed first.
        let long = AWSSigV4.hmac([UInt8](repeating: 0xAA, count: 131), Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8))
        #expect(AWSSigV4.hex(long) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func amzDate() {
        #expect(AWSSigV4.amzDate(epochSeconds: 1_440_938_160) == "20150830T123600Z")
        #expect(AWSSigV4.amzDate(epochSeconds: 0) == "19700101T000000Z")
        #expect(AWSSigV4.amzDate(epochSeconds: 1_709_164_799) == "20240228T235959Z")
        #expect(AWSSigV4.amzDate(epochSeconds: 1_709_164_800) == "20240229T000000Z")
    }

    @Test func theRegionOfABedrockHost() {
        #expect(BedrockUpstream.region(ofHost: "bedrock-runtime.us-east-1.amazonaws.com") == "us-east-1")
        #expect(BedrockUpstream.region(ofHost: "bedrock-runtime-fips.us-west-2.amazonaws.com:443") == "us-west-2")
        #expect(BedrockUpstream.region(ofHost: "vpce-0abc.bedrock-runtime.eu-west-3.vpce.amazonaws.com") == "eu-west-3")
        #expect(BedrockUpstream.region(ofHost: "127.0.0.1:8443") == nil)
        #expect(BedrockUpstream.region(ofAuthorization: "AWS4-HMAC-SHA256 Credential=AKID/20261207/ap-south-1/bedrock/aws4_request, "
                                       + "SignedHeaders=host, Signature=00") == "ap-south-1")
    }

    static func request(authorization: String?) -> HTTPRequest {
        var fields = HTTPFields([.init(name: "content-type", value: "application/json"), .init(name: "x-amz-date", value: "20200101T000000Z"),
                                 .init(name: "x-amz-content-sha256", value: "UNSIGNED-PAYLOAD")])
        if let authorization { fields.append(name: "authorization", value: authorization) }
        return HTTPRequest(method: "POST", target: "/model/m%3A0/converse", headers: fields, body: Array("{}".utf8))
    }

    static let clientSignature = "AWS4-HMAC-SHA256 Credential=CLIENTKEY/20200101/us-west-2/bedrock/aws4_request, SignedHeaders=host, Signature=ab"

    static func forwarded(_ request: HTTPRequest) -> [(name: String, value: String)] {
        request.headers.fields.map { ($0.name, $0.value) }
    }

    /// The client's signature and its date are replaced by mockllm's; the region comes from the
    /// host, else AWS_REGION, else the client's scope.
    @Test func aSignedRequestIsSignedAgain() throws {
        let request = Self.request(authorization: Self.clientSignature)
        let environment = AWSEnvironment(["AWS_ACCESS_KEY_ID": "AKIDMOCK", "AWS_SECRET_ACCESS_KEY": "s3cret", "AWS_SESSION_TOKEN": "tok"])
        let headers = try BedrockUpstream.headers(for: request, forwarded: Self.forwarded(request),
                                                  base: "https://bedrock-runtime.eu-central-1.amazonaws.com", environment: environment,
                                                  epochSeconds: 1_765_000_000).get()
        let names = headers.map { $0.name.lowercased() }
        #expect(names == ["content-type", "host", "x-amz-date", "x-amz-security-token", "authorization"])
        #expect(headers[1].value == "bedrock-runtime.eu-central-1.amazonaws.com")
        #expect(headers[2].value == AWSSigV4.amzDate(epochSeconds: 1_765_000_000))
        #expect(headers[4].value.contains("Credential=AKIDMOCK/") && headers[4].value.contains("/eu-central-1/bedrock/aws4_request"))
        let local = try BedrockUpstream.headers(for: request, forwarded: Self.forwarded(request), base: "http://127.0.0.1:9/p",
                                                environment: environment, epochSeconds: 0).get()
        #expect(local.first { $0.name == "authorization" }?.value.contains("/us-west-2/bedrock/") == true)
        var withRegion = environment
        withRegion.region = "sa-east-1"
        let configured = try BedrockUpstream.headers(for: request, forwarded: Self.forwarded(request), base: "http://127.0.0.1:9",
                                                     environment: withRegion, epochSeconds: 0).get()
        #expect(configured.first { $0.name == "authorization" }?.value.contains("/sa-east-1/bedrock/") == true)
    }

    /// A Bedrock API key goes as it came; without credentials mockllm's own key is used; with
    /// neither, a refusal naming the variables.
    @Test func bearerKeysAndMissingCredentials() throws {
        let bearer = Self.request(authorization: "Bearer ABSKclientkey")
        let kept = try BedrockUpstream.headers(for: bearer, forwarded: Self.forwarded(bearer), base: "https://x",
                                               environment: AWSEnvironment(), epochSeconds: 0).get()
        #expect(kept.map(\.value).contains("Bearer ABSKclientkey"))
        let signed = Self.request(authorization: Self.clientSignature)
        let own = try BedrockUpstream.headers(for: signed, forwarded: Self.forwarded(signed), base: "https://x",
                                              environment: AWSEnvironment(["AWS_BEARER_TOKEN_BEDROCK": "ABSKmine"]), epochSeconds: 0).get()
        #expect(own.map(\.name) == ["content-type", "authorization"])
        #expect(own.last?.value == "Bearer ABSKmine")
        switch BedrockUpstream.headers(for: signed, forwarded: Self.forwarded(signed), base: "https://x", environment: AWSEnvironment(),
                                       epochSeconds: 0) {
        case .success: Issue.record("signed without credentials")
        case .failure(let refusal):
            #expect(refusal.message.contains("AWS_ACCESS_KEY_ID") && refusal.message.contains("AWS_SECRET_ACCESS_KEY")
                    && refusal.message.contains("AWS_BEARER_TOKEN_BEDROCK"))
        }
    }
}
