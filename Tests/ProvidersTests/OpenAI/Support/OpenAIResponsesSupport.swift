@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Calling the Responses API handlers without a server, and reading their replies: the body,
/// the stream's events, and the generated ids (which the expected bytes then use).
/// Its random source carries on from call to call, as the server's does: each response gets
/// ids of its own, and a harness made with the same seed repeats them.
final class ResponsesHarness {
    static let now = 1_700_000_000
    /// `now` as the 8 hex digits inside every id.
    static let timeHex = "6553f100"

    /// The script most Responses tests share: a call, text and two calls, the answer to a tool
    /// result, short and long replies, and a default.
    static let yaml = """
        rules:
          - name: weather
            match: {prompt: {contains: weather}}
            reply:
              tool_calls:
                - {name: get_weather, arguments: '{"city":"Paris"}', id: call_fixed}  # written back spaced
          - name: both
            match: {prompt: {contains: both}}
            reply:
              text: Checking.
              tool_calls:
                - {name: get_weather, arguments: {city: Oslo}}
                - {name: get_time, arguments: {zone: UTC}}
          - name: result
            match: {tool_result: {name: get_weather, content: "15"}}
            reply: It is 15 degrees.
        responses:
          ping: pong
          long: "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen"
        defaults:
          unknown_response: default
        """

    /// Two function tools as a request offers them.
    static let tools = #"[{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}},{"type":"function","name":"get_time","parameters":null,"strict":false}]"#

    /// `yaml`, loaded.
    static func sharedScript() throws -> Script {
        try ScriptLoader.parse(yaml: yaml, file: "t", providers: providerCatalog).script
    }

    let script: Script
    let store = OpenAIResponseStore(capacity: 10)
    private var random: SeededRandom

    init(script: Script, seed: UInt64 = 5) {
        self.script = script
        random = SeededRandom(seed: seed)
    }

    func context(_ parameters: [String: String] = [:]) -> ProviderContext {
        var ctx = ProviderContext(script: script, now: Self.now, random: random, pathParameters: parameters)
        ctx.states = ProviderStates([store])
        return ctx
    }

    func create(_ body: String, headers: HTTPFields = HTTPFields()) -> Reply {
        var ctx = context()
        defer { random = ctx.random }
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/v1/responses", headers: headers, body: Array(body.utf8)), &ctx, by: OpenAIResponses.create)
    }

    func get(_ id: String, query: String = "") -> Reply {
        var ctx = context(["response_id": id])
        return OpenAIResponses.retrieve(HTTPRequest(method: "GET", target: "/v1/responses/\(id)\(query)"), &ctx)
    }

    func delete(_ id: String) -> Reply {
        var ctx = context(["response_id": id])
        return OpenAIResponses.delete(HTTPRequest(method: "DELETE", target: "/v1/responses/\(id)"), &ctx)
    }

    func inputItems(_ id: String, query: String = "") -> Reply {
        var ctx = context(["response_id": id])
        return OpenAIResponses.inputItems(HTTPRequest(method: "GET", target: "/v1/responses/\(id)/input_items\(query)"), &ctx)
    }

    static func body(_ reply: Reply) -> String { reply.bodyBytes.description }

    static func json(_ reply: Reply) throws -> JSONValue { try ReplyJSON.parse(body(reply)) }

    /// An event's type (from its `event:` line) and its data, parsed.
    static func parse(_ event: String) throws -> (type: String, data: JSONValue) {
        let lines = event.split(separator: "\n", maxSplits: 1)
        #expect(event.hasSuffix("\n\n"))
        let type = String(lines[0].dropFirst("event: ".count))
        return (type, try ReplyJSON.parse(String(lines[1].dropFirst("data: ".count))))
    }

    /// `prefix` and 50 hex digits: 18 shared with the response, the creation time, 24 of its own.
    static func isID(_ id: String, prefix: String, sharing response: String? = nil) -> Bool {
        let hex = id.dropFirst(prefix.count)
        guard id.hasPrefix(prefix), hex.count == 50, hex.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else { return false }
        guard hex.dropFirst(18).prefix(8) == timeHex else { return false }
        return response.map { hex.prefix(18) == $0.dropFirst("resp_".count).prefix(18) } ?? true
    }

    /// The object's members from `background` to `model`, and from `parallel_tool_calls` to
    /// `truncation`, with the defaults of a request that sets nothing but `model` and `input`.
    static func defaults(model: String = "gpt-4o", tools: String = "[]") -> (middle: String, tail: String) {
        (#""instructions":null,"max_output_tokens":null,"max_tool_calls":null,"model":"\#(model)""#,
         #""parallel_tool_calls":true,"previous_response_id":null,"prompt_cache_key":null,"prompt_cache_retention":null,"reasoning":{"effort":null,"summary":null},"safety_identifier":null,"service_tier":"default","store":true,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":\#(tools),"top_logprobs":0,"top_p":1.0,"truncation":"disabled""#)
    }
}
