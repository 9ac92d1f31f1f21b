@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Byte-for-byte checks of the Gemini provider's replies and streams, without a server.
@Suite("Gemini provider")
struct GeminiTests {
    static let yaml = """
        rules:
          - name: after
            match: {tool_result: {name: get_weather, content: "15"}}
            reply: It is 15 degrees.
          - name: weather
            match: {prompt: {contains: weather}}
            reply: {tool_calls: [{name: get_weather, arguments: {city: Paris}}]}
          - name: both
            match: {prompt: {contains: both}}
            reply:
              blocks:
                - text: Checking.
                - tool_call: {name: get_time, id: call-7}
        responses:
          hello: Hi "you"
          ping: pong
          long: one two three four five six
        """

    let script: Script

    init() throws {
        script = try ScriptLoader.parse(yaml: Self.yaml, file: "g.yml", providers: providerCatalog).script
    }

    func call(_ body: String, path: String = "/v1beta/models/gemini-2.5-flash:generateContent", headers: HTTPFields = HTTPFields()) -> Reply {
        GeminiHarness.call(body, path: path, script: script, headers: headers)
    }

    static func responseID(seed: UInt64 = 9) -> String {
        var random = SeededRandom(seed: seed)
        return random.alphanumericString(prefix: "", count: 23)
    }

    static func usage(_ prompt: Int, _ output: Int) -> String {
        #""usageMetadata": {"promptTokenCount": \#(prompt),"candidatesTokenCount": \#(output),"totalTokenCount": \#(prompt + output),"promptTokensDetails": [{"modality": "TEXT","tokenCount": \#(prompt)}]}"#
    }

    static let tail = #","modelVersion": "gemini-2.5-flash","responseId": "\#(responseID())"}"#

    @Test func aTextReplyIsOneCandidateInGooglesLayout() {
        let reply = call(#"{"contents":[{"role":"user","parts":[{"text":"hello"}]}]}"#)
        #expect(reply.status == 200)
        #expect(reply.headers["content-type"] == "application/json")
        #expect(reply.headers["x-mockllm-rule"] == "responses")
        #expect(reply.bodyBytes.description == #"{"candidates": [{"content": {"parts": [{"text": "Hi \"you\""}],"role": "model"},"finishReason": "STOP","index": 0}],"#
            + Self.usage(8, 4) + Self.tail)
    }

    @Test func aScriptedCallIsAFunctionCallPart() {
        let body = call(#"{"contents":[{"parts":[{"text":"weather?"}]}]}"#).bodyBytes.description
        #expect(body == #"{"candidates": [{"content": {"parts": [{"functionCall": {"name": "get_weather","args": {"city": "Paris"}}}],"role": "model"},"finishReason": "STOP","index": 0}],"#
            + Self.usage(9, 12) + Self.tail)
    }

    @Test func textAndCallsKeepTheirOrderAndAScriptedIDIsSent() {
        let body = call(#"{"contents":[{"parts":[{"text":"both"}]}]}"#).bodyBytes.description
        #expect(body.hasPrefix(#"{"candidates": [{"content": {"parts": [{"text": "Checking."},{"functionCall": {"id": "call-7","name": "get_time","args": {}}}],"role": "model"},"finishReason": "STOP""#))
    }

    @Test func theSSEStreamIsOneResponsePerChunkWithGooglesSeparator() {
        let reply = call(#"{"contents":[{"parts":[{"text":"ping"}]}]}"#, path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse")
        #expect(reply.headers["content-type"] == "text/event-stream; charset=utf-8")
        let chunks = reply.streamTexts
        func chunk(_ text: String, _ output: Int, finish: Bool = false) -> String {
            "data: " + #"{"candidates": [{"content": {"parts": [{"text": "\#(text)"}],"role": "model"}"#
                + (finish ? #","finishReason": "STOP""# : "") + #","index": 0}],"# + Self.usage(8, output) + Self.tail + "\r\n\r\n"
        }
        // Each character is at least one estimated token; the last chunk reports the reply's count.
        #expect(chunks == [chunk("p", 1), chunk("o", 1), chunk("n", 1), chunk("g", 1, finish: true)])
    }

    @Test func withoutAltSSETheStreamIsOneJSONArray() throws {
        let reply = call(#"{"contents":[{"parts":[{"text":"long"}]}]}"#, path: "/v1/models/gemini-2.5-flash:streamGenerateContent",
                         headers: HTTPFields(["x-mockllm-chunking": "word"]))
        #expect(reply.headers["content-type"] == "application/json")
        let chunks = reply.streamTexts
        #expect(chunks.count == 6)
        #expect(chunks[0].hasPrefix(#"[{"candidates": [{"content": {"parts": [{"text": "one"}]"#))
        #expect(chunks[1].hasPrefix(",\r\n{"))
        #expect(chunks[5].hasSuffix("}]"))
        let array = try ReplyJSON.parse(chunks.joined())
        #expect(array.arrayValue?.count == 6)
        #expect(ReplyJSON.at(array, "5", "candidates", "0", "finishReason") == .string("STOP"))
        #expect(ReplyJSON.at(array, "5", "usageMetadata", "candidatesTokenCount") == .number(6))
    }

    @Test func aStreamedCallComesWholeInItsOwnChunk() {
        let chunks = call(#"{"contents":[{"parts":[{"text":"both"}]}]}"#,
                          path: "/v1beta/models/m:streamGenerateContent?alt=sse", headers: HTTPFields(["x-mockllm-chunking": "word"])).streamTexts
        #expect(chunks.count == 2)
        #expect(chunks[0].contains(#"{"text": "Checking."}],"role": "model"},"index": 0}]"#))
        #expect(chunks[1].contains(#"[{"functionCall": {"id": "call-7","name": "get_time","args": {}}}],"role": "model"},"finishReason": "STOP","index": 0}]"#))
    }

    @Test func maxOutputTokensAndStopSequencesCutTheReply() {
        let cut = call(#"{"contents":[{"parts":[{"text":"long"}]}],"generationConfig":{"maxOutputTokens":2}}"#).bodyBytes.description
        #expect(cut.contains(#"[{"text": "one two"}]"#) && cut.contains(#""finishReason": "MAX_TOKENS""#))
        #expect(cut.contains(#""candidatesTokenCount": 2"#))
        let stopped = call(#"{"contents":[{"parts":[{"text":"long"}]}],"generation_config":{"stop_sequences":[" three","five"]}}"#).bodyBytes.description
        #expect(stopped.contains(#"[{"text": "one two"}]"#) && stopped.contains(#""finishReason": "STOP""#))
    }

    @Test func candidateCountRepeatsTheCandidate() throws {
        let body = try ReplyJSON.parse(call(#"{"contents":[{"parts":[{"text":"ping"}]}],"generationConfig":{"candidateCount":2}}"#).bodyBytes.description)
        #expect(ReplyJSON.at(body, "candidates")?.arrayValue?.count == 2)
        #expect(ReplyJSON.at(body, "candidates", "1", "index") == .number(1))
        #expect(ReplyJSON.at(body, "usageMetadata", "candidatesTokenCount") == .number(2))
    }

    @Test func theSystemInstructionIsPartOfThePromptByEitherName() {
        for key in ["systemInstruction", "system_instruction"] {
            let body = call(#"{"\#(key)":{"parts":[{"text":"Be brief."}]},"contents":[{"parts":[{"text":"hello"}]}]}"#).bodyBytes.description
            #expect(body.contains(#""promptTokenCount": 15"#), "\(key)")
        }
    }

    @Test func aFunctionResponseIsAToolResultForRules() {
        let body = call(#"""
            {"contents":[{"role":"user","parts":[{"text":"weather?"}]},
             {"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},
             {"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temperature":15}}}]}]}
            """#).bodyBytes.description
        #expect(body.contains(#"[{"text": "It is 15 degrees."}]"#))
    }

    @Test func automaticCallsUseTheDeclarationsAndTheFunctionCallingMode() throws {
        let auto = HTTPFields(["x-mockllm-auto-tools": "true"])
        let tools = #""tools":[{"functionDeclarations":[{"name":"get_time","parameters":{"type":"OBJECT","properties":{"zone":{"type":"STRING"}},"required":["zone"]}},{"name":"lookup","parametersJsonSchema":{"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}}]}]"#
        let any = try ReplyJSON.parse(call(#"{"contents":[{"parts":[{"text":"what now"}]}],\#(tools),"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["lookup"]}}}"#, headers: auto).bodyBytes.description)
        #expect(ReplyJSON.at(any, "candidates", "0", "content", "parts", "0", "functionCall", "name") == .string("lookup"))
        #expect(ReplyJSON.at(any, "candidates", "0", "content", "parts", "0", "functionCall", "args", "id")?.stringValue == nil)
        let zone = try ReplyJSON.parse(call(#"{"contents":[{"parts":[{"text":"what time"}]}],\#(tools)}"#, headers: auto).bodyBytes.description)
        #expect(ReplyJSON.at(zone, "candidates", "0", "content", "parts", "0", "functionCall", "args", "zone")?.stringValue != nil)
        let none = call(#"{"contents":[{"parts":[{"text":"hello"}]}],\#(tools),"tool_config":{"function_calling_config":{"mode":"NONE"}}}"#, headers: auto)
        #expect(none.bodyBytes.description.contains(#"[{"text": "Hi \"you\""}]"#))
    }

    @Test func responseSchemaGivesJSONValidAgainstItsNormalisedForm() throws {
        let body = call(#"{"contents":[{"parts":[{"text":"who"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","properties":{"age":{"type":"INTEGER"},"name":{"type":"STRING"}},"propertyOrdering":["name","age"],"required":["name","age"]}}}"#).bodyBytes.description
        let text = try #require(ReplyJSON.at(try ReplyJSON.parse(body), "candidates", "0", "content", "parts", "0", "text")?.stringValue)
        let value = try ReplyJSON.parse(text)
        #expect(value.objectValue?.members.map(\.key) == ["name", "age"])
        #expect(value.objectValue?["age"].map { if case .number = $0 { true } else { false } } == true)
        let json = call(#"{"contents":[{"parts":[{"text":"who"}]}],"generationConfig":{"responseMimeType":"application/json"}}"#).bodyBytes.description
        #expect(json.contains(#"[{"text": "{\"text\":"#))
    }

    @Test func googleSchemasBecomeJSONSchema() throws {
        let schema = try ReplyJSON.parse(#"{"type":"OBJECT","nullable":true,"properties":{"tags":{"type":"ARRAY","items":{"type":"STRING"},"min_items":1},"b":{"any_of":[{"type":"NUMBER"}]},"a":{"type":"BOOLEAN"}},"property_ordering":["a","tags"]}"#)
        #expect(GeminiSchema.jsonSchema(schema).jsonText
            == #"{"type":["object","null"],"properties":{"a":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"},"minItems":1},"b":{"anyOf":[{"type":"number"}]}}}"#)
    }

    @Test func aStreamFaultSendsGooglesErrorChunk() {
        let fault = HTTPFields(["x-mockllm-fault": "error:1"])
        let sse = call(#"{"contents":[{"parts":[{"text":"ping"}]}]}"#, path: "/v1beta/models/m:streamGenerateContent?alt=sse", headers: fault).streamTexts
        #expect(sse.count == 2)
        #expect(sse[1] == "data: {\"error\": {\"code\": 500,\"message\": \"The server had an error while processing your request.\",\"status\": \"INTERNAL\"}}\r\n\r\n")
        let array = call(#"{"contents":[{"parts":[{"text":"ping"}]}]}"#, path: "/v1beta/models/m:streamGenerateContent", headers: fault).streamTexts
        #expect(array[1] == ",\r\n{\"error\": {\"code\": 500,\"message\": \"The server had an error while processing your request.\",\"status\": \"INTERNAL\"}}]")
        let first = call(#"{"contents":[{"parts":[{"text":"ping"}]}]}"#, path: "/v1beta/models/m:streamGenerateContent",
                         headers: HTTPFields(["x-mockllm-fault": "error:0"])).streamTexts
        #expect(first == ["[{\"error\": {\"code\": 500,\"message\": \"The server had an error while processing your request.\",\"status\": \"INTERNAL\"}}]"])
    }

    @Test func streamFaultTypesBecomeGoogleStatuses() {
        #expect(GeminiErrors.streamStatus("overloaded_error") == (503, "UNAVAILABLE"))
        #expect(GeminiErrors.streamStatus("RESOURCE_EXHAUSTED") == (429, "RESOURCE_EXHAUSTED"))
        #expect(GeminiErrors.streamStatus(nil) == (500, "INTERNAL"))
        #expect(GeminiErrors.streamStatus("weird") == (500, "INTERNAL"))
    }
}
