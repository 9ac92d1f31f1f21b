import Foundation
@testable import MockLLM
@testable import MockLLMCore
import TestSupport
import Testing

/// Record mode for the cloud front doors: Bedrock's four operations and Azure OpenAI through the
/// `mockllm` binary to upstream.py's TLS relay, which checks each Bedrock request's SigV4
/// signature against the recorder's own credentials (and refuses what does not verify, as AWS
/// does); then replay with the upstream stopped, the event streams framed afresh byte for byte.
@Suite("Record mode: Bedrock and Azure", .serialized)
struct RecordBedrockEndToEndTests {
    typealias Case = RecordEndToEndTests.Case

    static let accessKey = "AKIDRECORDER0001"
    static let secretKey = "recorder/SECRET+key0002"
    static let sessionToken = "recorder-session-SECRET-0003"
    static let clientToken = "client-token-SECRET-0004"
    static let azureKey = "azure-key-SECRET-0005"
    static let region = "us-west-2"

    /// What the upstream checks signatures with.
    static let upstreamEnvironment = ["UPSTREAM_AWS_ACCESS_KEY_ID": accessKey, "UPSTREAM_AWS_SECRET_ACCESS_KEY": secretKey,
                                      "UPSTREAM_AWS_SESSION_TOKEN": sessionToken, "UPSTREAM_AWS_REGION": region]
    /// The recorder's environment: every AWS variable set (or emptied), none left from the machine's.
    static func recorderEnvironment(_ credentials: Bool, secret: String = secretKey) -> [String: String] {
        ["AWS_ACCESS_KEY_ID": credentials ? accessKey : "", "AWS_SECRET_ACCESS_KEY": credentials ? secret : "",
         "AWS_SESSION_TOKEN": credentials ? sessionToken : "", "AWS_REGION": region, "AWS_DEFAULT_REGION": "",
         "AWS_BEARER_TOKEN_BEDROCK": "", "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
         "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws/credentials", "AWS_CONFIG_FILE": "/nonexistent/aws/config"]
    }

    /// boto3's headers, signed for mockllm's host with the client's own (other) credentials.
    static let signedByClient: [(String, String)] = [
        ("Authorization", "AWS4-HMAC-SHA256 Credential=CLIENTKEY/20261207/us-east-1/bedrock/aws4_request, "
            + "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=0123456789abcdef"),
        ("X-Amz-Date", "20261207T101010Z"), ("X-Amz-Security-Token", clientToken), ("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"),
        ("User-Agent", "Boto3/1.44.18 md/Botocore#1.44.18"),
    ]

    static let model = "/model/anthropic.claude-3-haiku-20240307-v1%3A0"
    static let converse = #"{"messages":[{"role":"user","content":[{"text":"hello"}]}],"inferenceConfig":{"maxTokens":50}}"#
    static let invoke = #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"hello"}]}"#
    static let azure = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"
    static let chat = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hello"}]"#

    static let cases: [Case] = [
        Case(name: "bedrock-converse", target: model + "/converse", body: converse, headers: signedByClient, stream: false),
        Case(name: "bedrock-converse-stream", target: model + "/converse-stream", body: converse, headers: signedByClient, stream: true),
        Case(name: "bedrock-invoke", target: model + "/invoke", body: invoke, headers: signedByClient, stream: false),
        Case(name: "bedrock-invoke-stream", target: model + "/invoke-with-response-stream", body: invoke, headers: signedByClient,
             stream: true),
        Case(name: "azure-chat", target: azure, body: chat + "}", headers: [("api-key", azureKey)], stream: false),
        Case(name: "azure-chat-stream", target: azure, body: chat + #","stream":true}"#, headers: [("api-key", azureKey)], stream: true),
    ]

    static func startRecorder(_ upstream: RecordEndToEndTests.Upstream, directory: String,
                              environment: [String: String]) throws -> (process: Process, port: Int) {
        try startRecorderSaying(upstream, directory: directory, environment: environment).recorder
    }

    /// The recorder and what it logged up to its listening line.
    static func startRecorderSaying(_ upstream: RecordEndToEndTests.Upstream, directory: String,
                                    environment: [String: String]) throws -> (recorder: (process: Process, port: Int), log: String) {
        let (recorder, port, log) = try CLITests().startServer(
            ["serve", "--port", "0", "--record", directory, "--upstream-ca", upstream.caFile,
             "--upstream", "bedrock=\(upstream.url)", "--upstream", "azure=\(upstream.url)"], environment: environment)
        return ((recorder, port), log)
    }

    /// An event stream's messages: each one's string headers and payload.
    static func messages(_ body: [UInt8]) -> [String] {
        var decoder = EventStreamDecoder()
        var out: [String] = []
        let failure = body.withUnsafeBytes { raw in
            decoder.feed(raw) { frame in
                let headers = frame.headers.map { header -> String in
                    if case .string(let value) = header.value { return "\(header.name)=\(value)" }
                    return header.name
                }
                out.append(headers.joined(separator: ",") + " " + String(decoding: frame.payload, as: UTF8.self))
            }
        }
        #expect(failure == nil && !decoder.hasPartialMessage)
        return out
    }

    @Test func bedrockAndAzureRecordedWithASignatureTheUpstreamVerifiesThenReplayed() throws {
        let upstream = try RecordEndToEndTests.Upstream(environment: Self.upstreamEnvironment)
        defer { upstream.stop() }
        let directory = RecordEndToEndTests.temporaryDirectory()
        let (recorder, port) = try Self.startRecorder(upstream, directory: directory, environment: Self.recorderEnvironment(true))
        defer { recorder.terminate(); recorder.waitUntilExit() }

        var recorded: [String: TestResponse] = [:]
        for c in Self.cases {
            let response = try RecordEndToEndTests.send(c, port: port)
            #expect(response.status == 200, "\(c.name): \(response.status) \(response.text)")
            #expect(response.header("x-mockllm-rule") == "responses", "\(c.name): the upstream's own answer passes through")
            #expect((response.header("transfer-encoding") == "chunked") == c.stream, "\(c.name): a stream stays a stream")
            if c.name.hasPrefix("bedrock") {
                // Signed again by the recorder, with its own key, for the upstream's host: verified there.
                #expect(response.header("x-upstream-sigv4") == "verified", "\(c.name)")
                #expect(response.header("x-upstream-saw-credentials") == "authorization", "\(c.name)")
            } else {
                #expect(response.header("x-upstream-saw-credentials") == "api-key", "\(c.name)")
            }
            recorded[c.name] = response
        }
        let streamed = try #require(recorded["bedrock-converse-stream"])
        #expect(streamed.header("content-type") == "application/vnd.amazon.eventstream")
        let converseEvents = Self.messages(streamed.body)
        #expect(converseEvents.first?.hasPrefix(":event-type=messageStart,") == true, "\(converseEvents)")
        #expect(converseEvents.last?.hasPrefix(":event-type=metadata,") == true, "\(converseEvents)")
        #expect(Self.messages(try #require(recorded["bedrock-invoke-stream"]).body).allSatisfy { $0.hasPrefix(":event-type=chunk,") })

        let written = try eventually("every exchange written", { RecordEndToEndTests.fixtures(in: directory) },
                                     until: { $0.count == Self.cases.count })
        for c in Self.cases { #expect(written["\(c.name).yml"] == 1, "\(c.name): \(written)") }
        let text = RecordEndToEndTests.allText(in: directory)
        for secret in [Self.secretKey, Self.sessionToken, Self.clientToken, Self.azureKey, "CLIENTKEY", Self.accessKey] {
            #expect(!text.contains(secret), "a credential reached the fixture directory: \(secret)")
        }
        #expect(text.contains("event: messageStart") && text.contains("event: chunk"), "the messages are recorded as events")
        #expect(text.contains("endpoint: \"/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream\""))

        upstream.stop()
        let last = Self.cases[Self.cases.count - 1]
        try eventually("the recorder answers from its fixtures") {
            try RecordEndToEndTests.send(last, port: port).header("x-mockllm-rule") == "fixture \(last.name)-1"
        }
        // Replayed by the recorder and by a plain replay server: the same bytes (the event
        // streams framed again from their messages, with fresh checksums), the same messages.
        let (replay, replayPort, _) = try CLITests().startServer(["serve", "--port", "0", "--responses", directory, "--strict",
                                                                  "--replay-timing", "scaled:0.5"])
        defer { replay.terminate(); replay.waitUntilExit() }
        for p in [port, replayPort] {
            for c in Self.cases {
                // Another signature, date and token than when recorded: they do not identify a request.
                var again = c
                if c.name.hasPrefix("bedrock") { again.headers = Self.signedByClient.map { ($0.0, $0.0 == "X-Amz-Date" ? "20261208T000000Z" : $0.1) } }
                let replayed = try RecordEndToEndTests.send(again, port: p)
                #expect(replayed.status == 200, "\(c.name): \(replayed.text)")
                #expect(replayed.header("x-mockllm-rule") == "fixture \(c.name)-1", "\(c.name)")
                #expect(replayed.body == recorded[c.name]?.body, "\(c.name): not byte-identical")
                #expect(replayed.header("content-type") == recorded[c.name]?.header("content-type"), "\(c.name)")
                if c.stream, c.name.hasPrefix("bedrock") {
                    #expect(Self.messages(replayed.body) == Self.messages(recorded[c.name]?.body ?? []), "\(c.name)")
                    #expect(replayed.chunks.count == Self.messages(replayed.body).count, "\(c.name): one message per chunk")
                }
            }
        }
    }

    /// Credentials from a profile of the shared files, as the AWS CLI keeps them: the keys in
    /// the credentials file, the region in the config file. The upstream verifies the signature.
    @Test func aProfilesKeysAndRegionFromTheSharedFiles() throws {
        let upstream = try RecordEndToEndTests.Upstream(environment: Self.upstreamEnvironment)
        defer { upstream.stop() }
        let directory = RecordEndToEndTests.temporaryDirectory()
        let files = RecordEndToEndTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: files, withIntermediateDirectories: true)
        try """
            [default]
            aws_access_key_id = AKIDNOTTHISONE
            aws_secret_access_key = wrong

            [recorder]
            aws_access_key_id = \(Self.accessKey)
            aws_secret_access_key = \(Self.secretKey)
            aws_session_token = \(Self.sessionToken)
            """.write(toFile: files + "/credentials", atomically: true, encoding: .utf8)
        try "[profile recorder]\nregion = \(Self.region)\n".write(toFile: files + "/config", atomically: true, encoding: .utf8)
        var environment = Self.recorderEnvironment(false)
        environment["AWS_REGION"] = ""
        environment["AWS_PROFILE"] = "recorder"
        environment["AWS_SHARED_CREDENTIALS_FILE"] = files + "/credentials"
        environment["AWS_CONFIG_FILE"] = files + "/config"
        let ((recorder, port), log) = try Self.startRecorderSaying(upstream, directory: directory, environment: environment)
        defer { recorder.terminate(); recorder.waitUntilExit() }
        #expect(log.contains("bedrock: requests signed again with access key \(Self.accessKey) with its session token from profile "
                             + "recorder in \(files)/credentials, region \(Self.region) (profile recorder in \(files)/config)"), "\(log)")
        let response = try RecordEndToEndTests.send(Self.cases[0], port: port)
        #expect(response.status == 200, "\(response.status) \(response.text)")
    }

    /// Without credentials in its environment the recorder cannot sign: Bedrock's error shape,
    /// naming what is missing, at once. A Bedrock API key is forwarded as it came. Credentials the
    /// upstream does not accept get its 403 (passed through, not recorded). A stream cut by the
    /// upstream ends with Bedrock's exception message.
    @Test func missingOrWrongCredentialsAndACutStream() throws {
        let upstream = try RecordEndToEndTests.Upstream(environment: Self.upstreamEnvironment)
        defer { upstream.stop() }
        let directory = RecordEndToEndTests.temporaryDirectory()
        let ((recorder, port), log) = try Self.startRecorderSaying(upstream, directory: directory,
                                                                   environment: Self.recorderEnvironment(false))
        defer { recorder.terminate(); recorder.waitUntilExit() }
        // Said at the start, before any request.
        #expect(log.contains("bedrock: no AWS credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile's keys"), "\(log)")

        let refused = try RecordEndToEndTests.send(Self.cases[0], port: port)
        #expect(refused.status == 502, "\(refused.text)")
        #expect(refused.header("x-amzn-errortype")?.hasPrefix("InternalServerException:") == true, "\(refused.headers)")
        #expect(refused.header("x-mockllm-rule") == "proxy bedrock failed")
        #expect(refused.text.contains("AWS_ACCESS_KEY_ID") && refused.text.contains("AWS_BEARER_TOKEN_BEDROCK"), "\(refused.text)")

        var bearer = Self.cases[0]
        bearer.headers = [("Authorization", "Bearer ABSK-client-api-key")]
        let forwarded = try RecordEndToEndTests.send(bearer, port: port)
        #expect(forwarded.status == 200, "\(forwarded.text)")
        #expect(forwarded.header("x-upstream-saw-credentials") == "authorization")
        #expect(forwarded.header("x-upstream-sigv4") == "none")

        let (wrong, wrongPort) = try Self.startRecorder(upstream, directory: directory,
                                                        environment: Self.recorderEnvironment(true, secret: "not-the-secret"))
        defer { wrong.terminate(); wrong.waitUntilExit() }
        let mismatch = try RecordEndToEndTests.send(Self.cases[2], port: wrongPort)
        #expect(mismatch.status == 403, "\(mismatch.text)")
        #expect(mismatch.header("x-amzn-errortype")?.hasPrefix("InvalidSignatureException:") == true)
        #expect(mismatch.text.contains("%253A0/invoke"), "the upstream's canonical request encodes the path twice: \(mismatch.text)")

        let ((signing, signingPort), signingLog) = try Self.startRecorderSaying(upstream, directory: directory,
                                                                                environment: Self.recorderEnvironment(true))
        defer { signing.terminate(); signing.waitUntilExit() }
        #expect(signingLog.contains("bedrock: requests signed again with access key \(Self.accessKey) with its session token "
                                    + "from the environment, region \(Self.region) (AWS_REGION)"), "\(signingLog)")
        #expect(!signingLog.contains(Self.secretKey) && !signingLog.contains(Self.sessionToken))
        let client = try RawClient(port: signingPort, timeout: 10)
        try client.send(RecordEndToEndTests.requestText(Self.cases[1], extra: [("x-upstream-fault", "cut")]))
        #expect(try client.readHead().status == 200)
        let (chunks, end) = try client.readChunksUntilEnd()
        #expect(end == .closedBetweenChunks, "the stream closes without its end: \(end)")
        let messages = Self.messages(chunks.flatMap { $0 })
        #expect(messages.last?.hasPrefix(":exception-type=internalServerException,:content-type=application/json,:message-type=exception ") == true,
                "\(messages)")
        #expect(messages.last?.contains("the upstream closed the connection") == true, "\(messages)")
        // Only the bearer exchange completed with a 2xx: the refusal, the 403 and the cut stream left nothing.
        let written = try eventually("the bearer exchange written", { RecordEndToEndTests.fixtures(in: directory) }, until: { !$0.isEmpty })
        #expect(written == ["bedrock-converse.yml": 1])
    }
}
