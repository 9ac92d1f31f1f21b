@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import Foundation
import TestSupport
import Testing

/// Bedrock's runtime without a server: Converse byte for byte, ConverseStream and the invoke
/// stream read back with the core's event stream decoder, each model family's body, Bedrock's
/// errors and exception events, and how model ids in paths resolve.
@Suite("Bedrock")
struct BedrockTests {
    static let yaml = """
        rules:
          - name: weather
            match: {prompt: {contains: weather}}
            reply:
              text: Checking.
              tool_calls: [{name: get_weather, id: tooluse_fixed, arguments: {city: Paris}}]
          - name: busy
            match: {prompt: busy}
            error: {status: 429, message: Too many.}
        responses:
          hello: Hi!
        """
    static let claude = "anthropic.claude-3-5-sonnet-20240620-v1:0"

    let script: Script

    init() throws {
        script = try ScriptLoader.parse(yaml: Self.yaml, file: "t", providers: providerCatalog).script
    }

    func call(_ handler: Endpoint.Handler, model: String = claude, _ body: String, script: Script? = nil) -> Reply {
        var ctx = ProviderContext(script: script ?? self.script, now: 1_700_000_000, random: SeededRandom(seed: 3),
                                  pathParameters: ["model": model], requestID: "req_1")
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/model/\(model)/x", body: Array(body.utf8)), &ctx, by: handler)
    }

    /// Every message of a streamed reply: its `:event-type` (or `:exception-type`) and payload.
    func messages(_ reply: Reply) -> [(type: String, payload: String)] {
        var decoder = EventStreamDecoder()
        var out: [(String, String)] = []
        for event in reply.streamEventBytes {
            event.withUnsafeBytes { raw in
                let error = decoder.feed(raw) { frame in
                    out.append((frame.string(":event-type") ?? frame.string(":exception-type") ?? "?",
                                String(decoding: frame.payload, as: UTF8.self)))
                }
                #expect(error == nil)
            }
        }
        return out
    }

    static let paddingAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    /// An event's payload without its `p` padding member, which must be there once, a prefix
    /// of Bedrock's alphabet 1 to 62 long; and that padding.
    func unpadded(_ payload: String) -> (payload: String, padding: String) {
        let found = payload.matches(of: #/"p":"([A-Za-z0-9]*)"/#)
        #expect(found.count == 1, "one p in \(payload)")
        guard let match = found.first else { return (payload, "") }
        let padding = String(match.output.1)
        #expect(!padding.isEmpty && Self.paddingAlphabet.hasPrefix(padding), "padding \(padding)")
        var rest = payload
        rest.removeSubrange(match.range)
        rest = rest.replacingOccurrences(of: ",,", with: ",").replacingOccurrences(of: "{,", with: "{").replacingOccurrences(of: ",}", with: "}")
        return (rest, padding)
    }

    /// `messages` with each payload `unpadded`.
    func unpaddedMessages(_ reply: Reply) -> [(type: String, payload: String)] {
        messages(reply).map { ($0.type, unpadded($0.payload).payload) }
    }

    static let hello = #"{"messages":[{"role":"user","content":[{"text":"hello"}]}]}"#

    @Test func converseAnswersInConversesShape() {
        let reply = call(Bedrock.converse, Self.hello)
        #expect(reply.status == 200)
        #expect(reply.headers["x-amzn-RequestId"] == "req_1")
        #expect(reply.bodyBytes.description == #"{"output":{"message":{"role":"assistant","content":[{"text":"Hi!"}]}},"stopReason":"end_turn","#
            + #""usage":{"inputTokens":8,"outputTokens":2,"totalTokens":10},"metrics":{"latencyMs":0}}"#)
    }

    @Test func converseStreamSendsBedrocksEventsInOrder() {
        let reply = call(Bedrock.converseStream, #"{"messages":[{"role":"user","content":[{"text":"weather?"}]}]}"#)
        #expect(reply.headers["content-type"] == "application/vnd.amazon.eventstream")
        let events = unpaddedMessages(reply)
        #expect(events.first! == ("messageStart", #"{"role":"assistant"}"#))
        #expect(events.contains { $0 == ("contentBlockStart", #"{"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"tooluse_fixed","name":"get_weather"}}}"#) })
        let text = events.filter { $0.type == "contentBlockDelta" && $0.payload.contains(#""text""#) }.count
        #expect(text > 0)
        let input = events.filter { $0.payload.hasPrefix(#"{"contentBlockIndex":1,"delta":{"toolUse""#) }
            .map { try! JSONSerialization.jsonObject(with: Data($0.payload.utf8)) as! [String: Any] }
            .map { (($0["delta"] as! [String: Any])["toolUse"] as! [String: Any])["input"] as! String }.joined()
        #expect((try? JSONSerialization.jsonObject(with: Data(input.utf8))) as? [String: String] == ["city": "Paris"])
        #expect(events.suffix(2).map(\.type) == ["messageStop", "metadata"])
        #expect(events[events.count - 2].payload == #"{"stopReason":"tool_use"}"#)
    }

    /// Bedrock's padding: in every event, where its name sorts among the members (as captured
    /// streams have it), of lengths that vary from event to event.
    @Test func everyStreamEventCarriesPaddingInNameOrder() throws {
        let converse = messages(call(Bedrock.converseStream, #"{"messages":[{"role":"user","content":[{"text":"weather?"}]}]}"#))
        let shapes: [String: Regex<Substring>] = [
            "messageStart": #/\{"p":"[A-Za-z0-9]+","role":"assistant"\}/#,
            "contentBlockStart": #/\{"contentBlockIndex":\d+,"p":"[A-Za-z0-9]+","start":\{.*\}\}/#,
            "contentBlockDelta": #/\{"contentBlockIndex":\d+,"delta":\{.*\},"p":"[A-Za-z0-9]+"\}/#,
            "contentBlockStop": #/\{"contentBlockIndex":\d+,"p":"[A-Za-z0-9]+"\}/#,
            "messageStop": #/\{"p":"[A-Za-z0-9]+","stopReason":"tool_use"\}/#,
            "metadata": #/\{"metrics":\{"latencyMs":\d+\},"p":"[A-Za-z0-9]+","usage":\{"inputTokens":\d+,"outputTokens":\d+,"totalTokens":\d+\}\}/#,
        ]
        for event in converse {
            let shape = try #require(shapes[event.type], "\(event.type)")
            #expect(event.payload.wholeMatch(of: shape) != nil, "\(event.payload)")
        }
        #expect(Set(converse.map(\.type)) == Set(shapes.keys))
        let lengths = converse.map { unpadded($0.payload).padding.count }
        #expect(Set(lengths).count > 3, "lengths \(lengths)")
        let invoke = messages(call(Bedrock.invokeStream, #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"hello"}]}"#))
        for event in invoke {
            #expect(event.payload.wholeMatch(of: #/\{"bytes":"[A-Za-z0-9+\/=]+","p":"[A-Za-z0-9]+"\}/#) != nil, "\(event.payload)")
        }
        let llama = messages(call(Bedrock.invokeStream, model: "meta.llama3-8b-instruct-v1:0", #"{"prompt":"hello"}"#))
        #expect(!llama.isEmpty && llama.allSatisfy { unpadded($0.payload).payload.hasPrefix(#"{"bytes":""#) })
    }

    @Test func invokeStreamWrapsAnthropicEventsInChunks() throws {
        let body = #"{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"hello"}]}"#
        let events = unpaddedMessages(call(Bedrock.invokeStream, body))
        #expect(events.allSatisfy { $0.type == "chunk" })
        #expect(events.allSatisfy { $0.payload.hasPrefix(#"{"bytes":""#) && $0.payload.hasSuffix(#""}"#) })
        let objects = try events.map { event -> [String: Any] in
            let chunk = try #require(try JSONSerialization.jsonObject(with: Data(event.payload.utf8)) as? [String: Any])
            let encoded = try #require(chunk["bytes"] as? String)
            let bytes = try #require(Data(base64Encoded: encoded))
            return try #require(try JSONSerialization.jsonObject(with: bytes) as? [String: Any])
        }
        #expect(objects.first?["type"] as? String == "message_start")
        #expect(objects.last?["type"] as? String == "message_stop")
        let metrics = try #require(objects.last?["amazon-bedrock-invocationMetrics"] as? [String: Any])
        #expect(metrics["outputTokenCount"] as? Int == 2)
    }

    @Test(arguments: [
        ("meta.llama3-8b-instruct-v1:0", #"{"prompt":"<|start_header_id|>user<|end_header_id|>\n\nhello<|eot_id|>"}"#,
         #"{"generation":"Hi!","prompt_token_count":8,"generation_token_count":2,"stop_reason":"stop"}"#),
        ("amazon.titan-text-lite-v1", #"{"inputText":"hello"}"#,
         #"{"inputTextTokenCount":8,"results":[{"tokenCount":2,"outputText":"Hi!","completionReason":"FINISH"}]}"#),
        ("mistral.mistral-7b-instruct-v0:2", #"{"prompt":"<s>[INST] hello [/INST]"}"#, #"{"outputs":[{"text":"Hi!","stop_reason":"stop"}]}"#),
        ("us.amazon.nova-lite-v1:0", #"{"schemaVersion":"messages-v1","messages":[{"role":"user","content":[{"text":"hello"}]}]}"#,
         #"{"output":{"message":{"role":"assistant","content":[{"text":"Hi!"}]}},"stopReason":"end_turn","usage":{"inputTokens":8,"outputTokens":2,"totalTokens":10}}"#),
    ])
    func invokeAnswersInEachFamilysBody(model: String, body: String, expected: String) {
        let reply = call(Bedrock.invoke, model: model, body)
        #expect(reply.status == 200)
        #expect(reply.bodyBytes.description == expected)
        #expect(reply.headers["x-amzn-bedrock-output-token-count"] == "2")
    }

    @Test func errorsCarryTheirTypeInXAmznErrorType() {
        let reply = call(Bedrock.converse, #"{"messages":[{"role":"user","content":[{"text":"busy"}]}]}"#)
        #expect(reply.status == 429)
        #expect(reply.headers["x-amzn-ErrorType"] == "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/")
        #expect(reply.bodyBytes.description == #"{"message":"Too many."}"#)
        let bad = call(Bedrock.invoke, #"{"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#)
        #expect(bad.status == 400)
        #expect(bad.headers["x-amzn-ErrorType"]?.hasPrefix("ValidationException:") == true)
        #expect(bad.bodyBytes.description.contains("anthropic_version"))
        let notJSON = call(Bedrock.converse, "{")
        #expect(notJSON.status == 400)
        #expect(notJSON.bodyBytes.description.hasPrefix(#"{"message":"Malformed input request"#))
    }

    @Test func aStreamErrorFaultIsAnExceptionMessage() {
        let fault = StreamFault(after: 1, cut: .error(type: "ThrottlingException", message: "Slow."))
        var decoder = EventStreamDecoder()
        var seen: [String?] = []
        BedrockErrors.streamErrorEvent(fault).withUnsafeReadableBytes { raw in
            _ = decoder.feed(raw) { frame in
                seen = [frame.string(":message-type"), frame.string(":exception-type"), String(decoding: frame.payload, as: UTF8.self)]
            }
        }
        #expect(seen == ["exception", "throttlingException", #"{"message":"Slow."}"#])
        #expect(BedrockErrors.streamMember(nil) == "internalServerException")
        #expect(BedrockErrors.streamMember("overloaded_error") == "serviceUnavailableException")
    }

    @Test(arguments: [
        ("anthropic.claude-3-5-sonnet-20240620-v1%3A0", "anthropic.claude-3-5-sonnet-20240620-v1:0"),
        ("arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2Fmeta.llama3-8b-instruct-v1%3A0", "meta.llama3-8b-instruct-v1:0"),
        ("us.amazon.nova-lite-v1:0", "us.amazon.nova-lite-v1:0"),
    ])
    func pathModelIDsAreDecoded(raw: String, id: String) {
        #expect(Bedrock.modelID(fromPath: raw) == id)
    }

    @Test(arguments: ["us.", "eu.", "apac.", ""])
    func crossRegionProfilesResolveToTheModel(prefix: String) {
        #expect(ModelRegistry.builtIn.resolve(prefix + Self.claude)?.id == Self.claude)
        #expect(ModelRegistry.builtIn.resolve(prefix + Self.claude)?.provider == "bedrock")
    }

    @Test func strictModelsRefusesAModelBedrockDoesNotServe() throws {
        let strict = try ScriptLoader.parse(yaml: "settings: {strict_models: true}\nresponses: {hello: Hi!}", file: "t",
                                            providers: providerCatalog).script
        let reply = call(Bedrock.converse, model: "gpt-4o", Self.hello, script: strict)
        #expect(reply.status == 404)
        #expect(reply.headers["x-amzn-ErrorType"]?.hasPrefix("ResourceNotFoundException:") == true)
        #expect(call(Bedrock.converse, model: "eu." + Self.claude, Self.hello, script: strict).status == 200)
    }
}
