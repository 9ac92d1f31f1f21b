@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing
import Foundation

/// Byte-for-byte checks of the Vertex AI providers without a server: Gemini's messages in Vertex
/// AI's dialect, Claude's Messages under `rawPredict`, and the front end's refusals.
@Suite("Vertex AI providers")
struct VertexTests {
    static let yaml = """
        rules:
          - name: weather
            match: {prompt: {contains: weather}}
            reply: {tool_calls: [{name: get_weather, arguments: {city: Paris}}]}
          - name: vertex-only
            match: {prompt: {contains: who}, provider: vertex-anthropic}
            reply: Claude on Vertex.
        responses:
          ping: pong
        """

    static let project = "/v1/projects/my-project/locations/us-central1"
    static let gemini = project + "/publishers/google/models/gemini-2.0-flash-001"
    static let claude = "/v1/projects/my-project/locations/us-east5/publishers/anthropic/models/claude-3-5-sonnet-v2@20241022"
    static let ping = #"{"contents":[{"role":"user","parts":[{"text":"ping"}]}]}"#

    let script: Script

    init() throws {
        script = try ScriptLoader.parse(yaml: Self.yaml, file: "v.yml", providers: providerCatalog).script
    }

    func call(_ body: String, path: String, headers: HTTPFields = HTTPFields(), script: Script? = nil) -> Reply {
        let http = HTTPRequest(method: "POST", target: path, headers: headers, body: Array(body.utf8))
        let router = Router(providers: [ServedProvider(Vertex.self), ServedProvider(VertexAnthropic.self)], builtins: [])
        guard case .routes(let routes, let parameters) = router.match(method: "POST", path: http.path),
              case .endpoint(let endpoint, _, _) = routes[0].target else { return Reply.json(599, ByteBuffer()) }
        var ctx = ProviderContext(script: script ?? self.script, now: 1_700_000_000, random: SeededRandom(seed: 9),
                                  pathParameters: parameters, requestID: "req_abc")
        return Endpoint.answer(http, &ctx, by: endpoint.handler)
    }

    /// The `createTime` and `responseId` the seed gives, drawn in the provider's order.
    static func stamps(seed: UInt64 = 9) -> (createTime: String, responseID: String) {
        var random = SeededRandom(seed: seed)
        let createTime = VertexPath.createTime(now: 1_700_000_000, random: &random)
        return (createTime, random.alphanumericString(prefix: "", count: 23))
    }

    static func tail(_ model: String) -> String {
        let (createTime, responseID) = stamps()
        return #","modelVersion": "\#(model)","createTime": "\#(createTime)","responseId": "\#(responseID)"}"#
    }

    @Test func aGeminiReplyIsInVertexsDialect() {
        let reply = call(Self.ping, path: Self.gemini + ":generateContent")
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        #expect(reply.bodyBytes.description == #"{"candidates": [{"content": {"role": "model","parts": [{"text": "pong"}]},"finishReason": "STOP"}],"#
            + #""usageMetadata": {"promptTokenCount": 8,"candidatesTokenCount": 1,"totalTokenCount": 9,"trafficType": "ON_DEMAND","#
            + #""promptTokensDetails": [{"modality": "TEXT","tokenCount": 8}],"candidatesTokensDetails": [{"modality": "TEXT","tokenCount": 1}]}"#
            + Self.tail("gemini-2.0-flash-001"))
    }

    @Test func createTimeIsTheSecondWithSixDigitsOfMicroseconds() {
        let stamp = Self.stamps().createTime
        #expect(stamp.hasPrefix("2023-11-14T22:13:20.") && stamp.hasSuffix("Z") && stamp.count == 27, "\(stamp)")
    }

    @Test func theStreamReportsUsageInItsLastChunkOnly() {
        let chunks = call(Self.ping, path: Self.gemini + ":streamGenerateContent?alt=sse").streamTexts
        func chunk(_ text: String, last: Bool = false) -> String {
            let usage = last
                ? #"{"promptTokenCount": 8,"candidatesTokenCount": 1,"totalTokenCount": 9,"trafficType": "ON_DEMAND","#
                    + #""promptTokensDetails": [{"modality": "TEXT","tokenCount": 8}],"candidatesTokensDetails": [{"modality": "TEXT","tokenCount": 1}]}"#
                : #"{"trafficType": "ON_DEMAND"}"#
            return "data: " + #"{"candidates": [{"content": {"role": "model","parts": [{"text": "\#(text)"}]}"#
                + (last ? #","finishReason": "STOP""# : "") + #"}],"usageMetadata": "# + usage + Self.tail("gemini-2.0-flash-001") + "\r\n\r\n"
        }
        #expect(chunks == [chunk("p"), chunk("o"), chunk("n"), chunk("g", last: true)])
    }

    @Test func withoutAltSSETheStreamIsOneJSONArray() throws {
        let reply = call(Self.ping, path: Self.gemini + ":streamGenerateContent")
        #expect(reply.headers["content-type"] == "application/json")
        let array = try ReplyJSON.parse(reply.streamTexts.joined())
        #expect(array.arrayValue?.count == 4)
        #expect(ReplyJSON.at(array, "0", "usageMetadata", "promptTokenCount") == nil)
        #expect(ReplyJSON.at(array, "3", "usageMetadata", "candidatesTokenCount") == .number(1))
        #expect(ReplyJSON.at(array, "3", "candidates", "0", "finishReason") == .string("STOP"))
    }

    @Test func expressModeAndV1beta1ServeTheSameReply() {
        let project = call(Self.ping, path: Self.gemini + ":generateContent").bodyBytes
        #expect(call(Self.ping, path: "/v1beta1/publishers/google/models/gemini-2.0-flash-001:generateContent").bodyBytes == project)
        #expect(call(Self.ping, path: "/v1/publishers/google/models/gemini-2.0-flash-001:generateContent").bodyBytes == project)
        #expect(call(Self.ping, path: "/v1beta1/projects/p/locations/global/publishers/google/models/gemini-2.0-flash-001:generateContent")
            .bodyBytes == project)
    }

    @Test func aFunctionCallIsAGeminiPart() {
        let body = call(#"{"contents":[{"parts":[{"text":"weather?"}]}]}"#, path: Self.gemini + ":generateContent").bodyBytes.description
        #expect(body.contains(#"{"role": "model","parts": [{"functionCall": {"name": "get_weather","args": {"city": "Paris"}}}]}"#), "\(body)")
    }

    @Test func countTokensAddsTheBillableCharacters() {
        let reply = call(#"{"contents":[{"role":"user","parts":[{"text":"a b  c\nd"}]}]}"#, path: Self.gemini + ":countTokens")
        let tokens = [ChatMessage(role: "user", text: "a b  c\nd")].promptTokens
        #expect(reply.bodyBytes.description
            == #"{"totalTokens": \#(tokens),"totalBillableCharacters": 4,"promptTokensDetails": [{"modality": "TEXT","tokenCount": \#(tokens)}]}"#)
    }

    @Test func strictModelsRefusesAnotherPublishersModelInVertexsWords() throws {
        let strict = try ScriptLoader.parse(yaml: "settings: {strict_models: true}\n" + Self.yaml, file: "s.yml", providers: providerCatalog).script
        let path = Self.project + "/publishers/google/models/claude-3-haiku@20240307:generateContent"
        let reply = call(Self.ping, path: path, script: strict)
        #expect(reply.status == 404)
        #expect(reply.bodyBytes.description == #"{"error": {"code": 404,"message": "Publisher Model `projects/my-project/locations/us-central1/publishers/google/models/claude-3-haiku@20240307` was not found or your project does not have access to it. Please ensure you are using a valid model version. For more information, see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions","status": "NOT_FOUND"}}"#)
        #expect(call(Self.ping, path: Self.gemini + ":generateContent", script: strict).status == 200)
        let claude = #"{"anthropic_version":"vertex-2023-10-16","max_tokens":10,"messages":[{"role":"user","content":"ping"}]}"#
        #expect(call(claude, path: Self.claude + ":rawPredict", script: strict).status == 200)
        let tooMany = call(claude.replacingOccurrences(of: "10", with: "9000"), path: Self.claude + ":rawPredict", script: strict)
        #expect(tooMany.status == 400 && tooMany.bodyBytes.description.contains(#""type":"invalid_request_error""#))
        let unknown = call(claude, path: Self.claude.replacingOccurrences(of: "claude-3-5-sonnet-v2", with: "claude-9") + ":rawPredict",
                           script: strict)
        #expect(unknown.status == 404 && unknown.bodyBytes.description.contains("publishers/anthropic/models/claude-9@20241022`"))
    }

    @Test func aModelTheScriptDeclaresForVertexIsServedToo() throws {
        let yaml = "settings: {strict_models: true}\nmodels: [{id: my-tuned, provider: vertex, max_output_tokens: 100}]\n" + Self.yaml
        let strict = try ScriptLoader.parse(yaml: yaml, file: "s.yml", providers: providerCatalog).script
        let path = Self.project + "/publishers/google/models/my-tuned:generateContent"
        #expect(call(Self.ping, path: path, script: strict).status == 200)
        let over = #"{"contents":[{"parts":[{"text":"ping"}]}],"generationConfig":{"maxOutputTokens":500}}"#
        #expect(call(over, path: path, script: strict).status == 400)
        #expect(Vertex.metadata.servedModels(in: strict.models).map(\.id).prefix(2) == ["my-tuned", "gemini-2.5-pro"])
        #expect(!VertexAnthropic.metadata.servedModels(in: strict.models).contains { $0.id == "my-tuned" })
    }

    @Test func anEscapedAtSignIsTheVersionsAt() {
        let http = HTTPRequest(method: "POST", target: "/v1/publishers/anthropic/models/claude-3-haiku%4020240307:rawPredict")
        let path = VertexPath(http, parameters: ["model": "claude-3-haiku%4020240307"])
        #expect(path.model == "claude-3-haiku@20240307")
        #expect(path.resource == "publishers/anthropic/models/claude-3-haiku@20240307")
    }

    @Test func vertexNamesResolveToTheVendorsModels() {
        let models = ModelRegistry.builtIn
        #expect(models.resolve("claude-3-5-sonnet-v2@20241022")?.id == "claude-3-5-sonnet-20241022")
        #expect(models.resolve("claude-sonnet-4-5@20250929")?.id == "claude-sonnet-4-5-20250929")
        #expect(models.resolve("claude-3-haiku@20240307")?.provider == "anthropic")
        #expect(models.resolve("gemini-2.0-flash-001")?.id == "gemini-2.0-flash")
    }

    // MARK: - Claude

    static let claudeBody = #"{"anthropic_version":"vertex-2023-10-16","max_tokens":100,"messages":[{"role":"user","content":"ping"}]}"#

    @Test func rawPredictIsAnthropicsMessageForThePathsModel() throws {
        let reply = call(Self.claudeBody, path: Self.claude + ":rawPredict")
        #expect(reply.status == 200)
        let json = try ReplyJSON.parse(reply.bodyBytes.description)
        #expect(ReplyJSON.at(json, "type") == .string("message"))
        #expect(ReplyJSON.at(json, "model") == .string("claude-3-5-sonnet-v2@20241022"))
        #expect(ReplyJSON.at(json, "content", "0", "text") == .string("pong"))
        #expect(ReplyJSON.at(json, "usage", "output_tokens") == .number(1))
    }

    @Test func streamRawPredictIsAnthropicsEventStream() {
        let events = call(Self.claudeBody.replacingOccurrences(of: "{\"anthropic", with: "{\"stream\":true,\"anthropic"),
                          path: Self.claude + ":streamRawPredict").streamTexts
        #expect(events.first?.hasPrefix("event: message_start\ndata: ") == true)
        #expect(events.last == "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
        #expect(events.filter { $0.hasPrefix("event: content_block_delta") }.count == 4)
    }

    @Test func rulesSeeTheVertexProvider() {
        let body = Self.claudeBody.replacingOccurrences(of: "ping", with: "who are you")
        #expect(call(body, path: Self.claude + ":rawPredict").bodyBytes.description.contains("Claude on Vertex."))
    }

    @Test func theBodyNeedsVertexsAnthropicVersionAndNoModel() {
        func refusal(_ body: String) -> String {
            let reply = call(body, path: Self.claude + ":rawPredict")
            #expect(reply.status == 400)
            return reply.bodyBytes.description
        }
        #expect(refusal(#"{"max_tokens":10,"messages":[{"role":"user","content":"ping"}]}"#)
            == #"{"type":"error","error":{"type":"invalid_request_error","message":"anthropic_version: Field required"},"request_id":"req_abc"}"#)
        #expect(refusal(#"{"anthropic_version":"vertex-2024","max_tokens":10,"messages":[{"role":"user","content":"ping"}]}"#)
            .contains(#""message":"anthropic_version: Input should be 'vertex-2023-10-16' or an API version such as '2023-06-01'""#))
        #expect(refusal(#"{"anthropic_version":"2023/06/01","max_tokens":10,"messages":[{"role":"user","content":"ping"}]}"#)
            .contains("anthropic_version: Input should be"))
        // What the anthropic SDK sends today: the API's dated version.
        let dated = call(#"{"anthropic_version":"2026-10-21","max_tokens":10,"messages":[{"role":"user","content":"ping"}]}"#,
                         path: Self.claude + ":rawPredict")
        #expect(dated.status == 200)
        #expect(refusal(#"{"anthropic_version":"vertex-2023-10-16","model":"claude-3-haiku","max_tokens":10,"messages":[{"role":"user","content":"ping"}]}"#)
            .contains(#""message":"model: Extra inputs are not permitted""#))
    }

    @Test func countTokensTakesTheModelInTheBody() {
        let path = "/v1/projects/p/locations/us-east5/publishers/anthropic/models/count-tokens:rawPredict"
        let reply = call(#"{"anthropic_version":"vertex-2023-10-16","model":"claude-3-haiku@20240307","messages":[{"role":"user","content":"ping"}]}"#,
                         path: path)
        #expect(reply.bodyBytes.description == #"{"input_tokens":8}"#)
    }

    // MARK: - The front end

    @Test func refusalsOfTheFrontEndAreGooglesAndOfTheModelAnthropics() {
        let auth = VertexAnthropic.errorReply(VertexErrors.keyRefusal(given: false), requestID: "r")
        #expect(auth.status == 401)
        #expect(auth.bodyBytes.description.hasPrefix(#"{"error": {"code": 401,"message": "Request is missing required authentication credential."#))
        #expect(auth.bodyBytes.description.contains(#""reason": "CREDENTIALS_MISSING","domain": "googleapis.com","metadata": {"service": "aiplatform.googleapis.com"}"#))
        let overloaded = VertexAnthropic.errorReply(VertexAnthropic.overloadRefusal(retryAfter: 1), requestID: "r")
        #expect(overloaded.status == 529)
        #expect(overloaded.bodyBytes.description.hasPrefix(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}"#))
        let wrongKey = Vertex.errorReply(Vertex.keyRefusal(given: true), requestID: "r")
        #expect(wrongKey.bodyBytes.description.contains(#""status": "UNAUTHENTICATED","#))
    }

    @Test func aQuotaRefusesBothProtocolsInVertexsWordsWithRetryInfo() throws {
        let quota = try ScriptLoader.parse(yaml: "quotas: {requests_per_minute: 1}\n" + Self.yaml, file: "q.yml", providers: providerCatalog).script
        #expect(call(Self.ping, path: Self.gemini + ":generateContent", script: quota).status == 200)
        let gemini = call(Self.ping, path: Self.gemini + ":generateContent", script: quota)
        let claude = call(Self.claudeBody, path: Self.claude + ":rawPredict", script: quota)
        for reply in [gemini, claude] {
            #expect(reply.status == 429)
            #expect(reply.headers["retry-after"] != nil)
            #expect(!reply.headers.contains { $0.name.hasPrefix("x-ratelimit-") || $0.name.hasPrefix("anthropic-ratelimit-") }, "Vertex AI sends none")
            let body = reply.bodyBytes.description
            #expect(body.hasPrefix(#"{"error": {"code": 429,"message": "\#(VertexErrors.quotaMessage)","status": "RESOURCE_EXHAUSTED","#))
            #expect(body.contains(#""@type": "type.googleapis.com/google.rpc.RetryInfo""#))
        }
    }

    @Test func aStatusOnlyQuotaIsVertexsResourceExhausted() {
        var error = APIError(status: 429, kind: .rateLimit, message: "")
        error.statusOnly = true
        let body = Vertex.errorReply(error, requestID: "r").bodyBytes.description
        #expect(body == #"{"error": {"code": 429,"message": "\#(VertexErrors.quotaMessage)","status": "RESOURCE_EXHAUSTED"}}"#)
    }
}
