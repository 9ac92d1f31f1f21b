@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Gemini's error envelope, request validation in Google's words, `--api-key` with Google's key
/// forms, quotas and the model listing, without a server.
@Suite("Gemini errors and listing")
struct GeminiErrorsTests {
    func call(_ body: String, path: String = "/v1beta/models/gemini-2.5-flash:generateContent", script: Script = Script(models: .builtIn),
              headers: HTTPFields = HTTPFields()) -> Reply {
        GeminiHarness.call(body, path: path, script: script, headers: headers)
    }

    func get(_ app: Application, _ target: String, headers: HTTPFields = HTTPFields()) -> Reply {
        app.reply(to: HTTPRequest(method: "GET", target: target, headers: headers))
    }

    static let google = HTTPFields(["x-goog-api-key": "k"])

    @Test(arguments: [
        ("{bad", "Invalid JSON payload received. Expected a string key at line 1, column 2."),
        ("[1]", "Invalid JSON payload received. Root element must be a message."),
        ("", "* GenerateContentRequest.contents: contents is not specified\n"),
        (#"{"contents":[]}"#, "* GenerateContentRequest.contents: contents is not specified\n"),
        (#"{"contents":"hi"}"#, "Invalid value at 'contents' (TYPE_MESSAGE), a string"),
        (#"{"contents":[{"role":"assistant","parts":[{"text":"x"}]}]}"#, "Please use a valid role: user, model."),
        (#"{"contents":[{"role":"user"}]}"#, "* GenerateContentRequest.contents[0].parts: contents.parts must not be empty.\n"),
        (#"{"contents":[{"parts":[{"thought":true}]}]}"#,
         "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data' must have one initialized field\n"),
        (#"{"contents":[{"parts":[{"text":"a","inline_data":{}}]}]}"#,
         "Invalid JSON payload received. Oneof field 'data' is already set. Cannot set 'inline_data'"),
        (#"{"contents":[{"parts":[{"functionCall":{"args":{}}}]}]}"#,
         "* GenerateContentRequest.contents[0].parts[0].function_call.name: name is not specified\n"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":"9"}}"#,
         "Invalid value at 'generation_config.max_output_tokens' (TYPE_INT32), a string"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"candidateCount":9000000000}}"#,
         "Unable to submit request because candidateCount must be between 1 and 8 but the entered value was 9000000000. Update the candidateCount value and try again."),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseSchema":{},"responseJsonSchema":{}}}"#,
         "* GenerateContentRequest.generation_config: response_schema and response_json_schema cannot both be set.\n"),
        (#"{"contents":[{"parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ALWAYS"}}}"#,
         "Invalid value at 'tool_config.function_calling_config.mode' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), \"ALWAYS\""),
        (#"{"contents":[{"role":"model","parts":[{"text":"x"}]}]}"#,
         "Please ensure that multiturn requests ends with a user role or a function response."),
    ])
    func badRequestsGetGooglesWords(body: String, message: String) throws {
        let reply = call(body)
        #expect(reply.status == 400)
        let error = try ReplyJSON.parse(reply.bodyBytes.description)
        #expect(ReplyJSON.at(error, "error", "message") == .string(message))
        #expect(ReplyJSON.at(error, "error", "code") == .number(400))
        #expect(ReplyJSON.at(error, "error", "status") == .string("INVALID_ARGUMENT"))
    }

    @Test func theEnvelopeIsGooglesByteForByte() {
        let reply = GeminiErrors.reply(APIError(status: 404, kind: .notFound, message: "Gone."), requestID: "req_1")
        #expect(reply.bodyBytes.description == #"{"error": {"code": 404,"message": "Gone.","status": "NOT_FOUND"}}"#)
        #expect(reply.headers["x-mockllm-request-id"] == "req_1")
        var limited = APIError(status: 429, kind: .rateLimit, message: FaultsSection.defaultMessage(429), code: "QUOTA")
        limited.statusOnly = true
        limited.headers.append(name: "retry-after", value: "7")
        #expect(GeminiErrors.reply(limited, requestID: "r").bodyBytes.description
            == #"{"error": {"code": 429,"message": "\#(GeminiErrors.quotaMessage)","status": "RESOURCE_EXHAUSTED","details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo","reason": "QUOTA","domain": "googleapis.com","metadata": {"service": "generativelanguage.googleapis.com"}},{"@type": "type.googleapis.com/google.rpc.RetryInfo","retryDelay": "7s"}]}}"#)
    }

    @Test func aStatusAloneGetsGooglesStatusAndMessage() {
        var overloaded = APIError(status: 503, kind: .overloaded, message: FaultsSection.defaultMessage(503))
        overloaded.statusOnly = true
        #expect(GeminiErrors.reply(overloaded, requestID: "r").bodyBytes.description
            == #"{"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}"#)
        overloaded.typeOverride = "overloaded_error"  // another API's type: not a status, the HTTP status decides
        #expect(GeminiErrors.statusName(for: overloaded) == "UNAVAILABLE")
        overloaded.typeOverride = "RESOURCE_EXHAUSTED"
        #expect(GeminiErrors.statusName(for: overloaded) == "RESOURCE_EXHAUSTED")
    }

    @Test func scriptedFaultsAndErrorsTakeGooglesShape() throws {
        let script = try ScriptLoader.parse(yaml: """
            rules:
              - match: {prompt: {contains: boom}}
                error: {status: 500, message: Boom., type: INTERNAL}
            faults:
              - match: {prompt: {contains: busy}}
                status: 503
            responses: {}
            """, file: "f.yml", providers: providerCatalog).script
        let boom = call(#"{"contents":[{"parts":[{"text":"boom"}]}]}"#, script: script)
        #expect(boom.status == 500)
        #expect(boom.bodyBytes.description == #"{"error": {"code": 500,"message": "Boom.","status": "INTERNAL"}}"#)
        let busy = call(#"{"contents":[{"parts":[{"text":"busy"}]}]}"#, script: script)
        #expect(busy.status == 503)
        #expect(busy.bodyBytes.description == #"{"error": {"code": 503,"message": "The model is overloaded. Please try again later.","status": "UNAVAILABLE"}}"#)
    }

    @Test func strictModelsRefuseInGooglesWords() throws {
        let script = Script(models: .builtIn, strictModels: true)
        let unknown = call(#"{"contents":[{"parts":[{"text":"x"}]}]}"#, path: "/v1beta/models/gpt-4o:streamGenerateContent?alt=sse", script: script)
        #expect(unknown.status == 404)
        #expect(unknown.bodyBytes.description == #"{"error": {"code": 404,"message": "models/gpt-4o is not found for API version v1beta, or is not supported for streamGenerateContent. Call ListModels to see the list of available models and their supported methods.","status": "NOT_FOUND"}}"#)
        let tooMany = call(#"{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":9000}}"#,
                           path: "/v1/models/gemini-2.0-flash:generateContent", script: script)
        #expect(tooMany.status == 400)
        #expect(tooMany.bodyBytes.description.contains("maxOutputTokens value of 9000 but the supported range is from 1 (inclusive) to 8193 (exclusive)"))
        let alias = call(#"{"contents":[{"parts":[{"text":"x"}]}]}"#, path: "/v1/models/gemini-flash-latest:generateContent", script: script)
        #expect(alias.status == 200)
    }

    @Test func theContextWindowIsGooglesInputTokenLimit() throws {
        let script = try ScriptLoader.parse(yaml: "responses: {}\nmodels: [{id: tiny, provider: gemini, context_window: 10}]",
                                            file: "m.yml", providers: providerCatalog).script
        let reply = call(#"{"contents":[{"parts":[{"text":"one two three four five six seven"}]}]}"#, path: "/v1beta/models/tiny:generateContent", script: script)
        #expect(reply.status == 400)
        #expect(reply.bodyBytes.description.contains("The input token count (") && reply.bodyBytes.description.contains("exceeds the maximum number of tokens allowed (10)."))
    }

    @Test func aQuotaRefusalIsResourceExhaustedWithRetryInfo() throws {
        let script = try ScriptLoader.parse(yaml: "responses: {}\nquotas: {requests_per_minute: 1}", file: "q.yml", providers: providerCatalog).script
        let app = Application(script: script, seed: 1)
        func post() -> Reply {
            app.reply(to: HTTPRequest(method: "POST", target: "/v1beta/models/gemini-2.5-flash:generateContent", headers: Self.google,
                                      body: Array(#"{"contents":[{"parts":[{"text":"x"}]}]}"#.utf8)))
        }
        let first = post()
        #expect(first.status == 200)
        #expect(!first.headers.contains { $0.name.contains("ratelimit") }, "Google's API sends no rate-limit headers")
        let second = post()
        #expect(second.status == 429)
        let error = try ReplyJSON.parse(second.bodyBytes.description)
        #expect(ReplyJSON.at(error, "error", "status") == .string("RESOURCE_EXHAUSTED"))
        #expect(ReplyJSON.at(error, "error", "message") == .string(GeminiErrors.quotaMessage))
        #expect(ReplyJSON.at(error, "error", "details", "0", "@type") == .string("type.googleapis.com/google.rpc.RetryInfo"))
    }

    @Test func aKeyInTheQueryHasAQuotaOfItsOwn() throws {
        let script = try ScriptLoader.parse(yaml: "responses: {}\nquotas: {requests_per_minute: 1}", file: "q.yml", providers: providerCatalog).script
        let app = Application(script: script, seed: 1)
        func post(key: String) -> Int {
            app.reply(to: HTTPRequest(method: "POST", target: "/v1beta/models/gemini-2.5-flash:generateContent?key=" + key,
                                      body: Array(#"{"contents":[{"parts":[{"text":"x"}]}]}"#.utf8))).status
        }
        #expect([post(key: "a"), post(key: "b"), post(key: "a"), post(key: "b")] == [200, 200, 429, 429])
    }

    @Test func theAPIKeyIsTakenFromGooglesHeaderOrTheQuery() throws {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        app.apiKey = APIKeyCheck("sekret")
        func post(_ query: String, _ headers: HTTPFields = HTTPFields()) -> Reply {
            app.reply(to: HTTPRequest(method: "POST", target: "/v1beta/models/gemini-2.5-flash:generateContent" + query, headers: headers,
                                      body: Array(#"{"contents":[{"parts":[{"text":"x"}]}]}"#.utf8)))
        }
        #expect(post("", HTTPFields(["x-goog-api-key": "sekret"])).status == 200)
        #expect(post("?key=sekret").status == 200)
        let wrong = post("?key=nope")
        #expect(wrong.status == 400)
        #expect(wrong.bodyBytes.description.hasPrefix(#"{"error": {"code": 400,"message": "API key not valid. Please pass a valid API key.","status": "INVALID_ARGUMENT","details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo","reason": "API_KEY_INVALID""#))
        #expect(post("", HTTPFields(["x-goog-api-key": "nope"])).status == 400)
        let missing = post("")
        #expect(missing.status == 403)
        #expect(missing.bodyBytes.description.contains(#""status": "PERMISSION_DENIED""#))
        #expect(APIKeyCheck.loggable(HTTPRequest(method: "GET", target: "/v1/models?pageSize=2&key=sekret")) == "/v1/models?pageSize=2&key=REDACTED")
    }

    @Test func theJournalNotesAGoogleKeyWithoutKeepingIt() {
        let journal = RequestJournal(capacity: 4, workers: 1)
        let request = HTTPRequest(method: "POST", target: "/v1beta/models/gemini-2.5-flash:generateContent?key=sk-secret-1",
                                  headers: HTTPFields(["x-goog-api-key": "sk-secret-2"]), body: Array("{}".utf8))
        _ = journal.rings[0].record(request, reply: Reply.json(200, ByteBuffer()), provider: "gemini")
        let snapshot = journal.snapshot()
        let text = JournalReport.json(snapshot.entries, total: snapshot.total, dropped: snapshot.dropped).description
        #expect(text.contains(#""api_key":true"#))
        #expect(!text.contains("sk-secret"))
    }

    @Test func sharedPathsAndUnknownOnesAreGeminisForGoogleClients() {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        #expect(get(app, "/v1/models", headers: Self.google).bodyBytes.description.hasPrefix(#"{"models": [{"name": "models/gemini-2.5-pro","version": "001""#))
        #expect(get(app, "/v1/models?key=k").bodyBytes.description.hasPrefix(#"{"models": "#))
        #expect(get(app, "/v1/models/gemini-2.0-flash", headers: Self.google).bodyBytes.description.contains(#""outputTokenLimit": 8192"#))
        let unknown = get(app, "/v1beta/nothing", headers: Self.google)
        #expect(unknown.status == 404)
        #expect(unknown.bodyBytes.description == #"{"error": {"code": 404,"message": "Invalid URL (GET /v1beta/nothing)","status": "NOT_FOUND"}}"#)
    }

    @Test func theListingPagesAndGetRefusesOtherProvidersModels() throws {
        let app = Application(script: Script(models: .builtIn), seed: 1)
        let page = try ReplyJSON.parse(get(app, "/v1beta/models?pageSize=2").bodyBytes.description)
        #expect(ReplyJSON.at(page, "models")?.arrayValue?.count == 2)
        let token = try #require(ReplyJSON.at(page, "nextPageToken")?.stringValue)
        let next = try ReplyJSON.parse(get(app, "/v1beta/models?pageSize=2&pageToken=" + token).bodyBytes.description)
        #expect(ReplyJSON.at(next, "models", "0", "name") == .string("models/gemini-2.5-flash-lite"))
        #expect(get(app, "/v1beta/models?pageToken=zzz").status == 400)
        let claude = get(app, "/v1beta/models/claude-2.1")
        #expect(claude.status == 404)
        #expect(claude.bodyBytes.description.contains("Model is not found: models/claude-2.1 for api version v1beta"))
    }

    @Test func countTokensTakesContentsOrAWholeRequest() {
        let plain = call(#"{"contents":[{"parts":[{"text":"hello"}]}]}"#, path: "/v1beta/models/gemini-2.5-flash:countTokens")
        #expect(plain.bodyBytes.description == #"{"totalTokens": 8,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 8}]}"#)
        let whole = call(#"{"generateContentRequest":{"model":"models/x","systemInstruction":{"parts":[{"text":"Be brief."}]},"contents":[{"parts":[{"text":"hello"}]}]}}"#,
                         path: "/v1/models/gemini-2.5-flash:countTokens")
        #expect(whole.bodyBytes.description.hasPrefix(#"{"totalTokens": 15,"#))
        let missing = call("{}", path: "/v1/models/gemini-2.5-flash:countTokens")
        #expect(missing.status == 400)
        #expect(missing.bodyBytes.description.contains(#"* CountTokensRequest.contents: contents is not specified\n"#))
    }
}
