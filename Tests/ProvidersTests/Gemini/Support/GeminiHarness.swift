@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation

/// Calling the Gemini provider without a server: its handlers take the model and the method
/// from the path, so a request goes through the router as the server's would.
enum GeminiHarness {
    /// Calls a handler of the provider as the router would for `path`.
    static func call(_ body: String, path: String = "/v1beta/models/gemini-2.5-flash:generateContent", script: Script,
                     headers: HTTPFields = HTTPFields(), seed: UInt64 = 9) -> Reply {
        answer(body, path: path, script: script, headers: headers, seed: seed).reply
    }

    /// The reply and the token usage the handler reported with it.
    static func answer(_ body: String, path: String = "/v1beta/models/gemini-2.5-flash:generateContent", script: Script,
                       headers: HTTPFields = HTTPFields(), seed: UInt64 = 9) -> (reply: Reply, usage: TokenUsage?) {
        let http = HTTPRequest(method: "POST", target: path, headers: headers, body: Array(body.utf8))
        let router = Router(providers: [ServedProvider(Gemini.self)], builtins: [])
        guard case .routes(let routes, let parameters) = router.match(method: "POST", path: http.path),
              case .endpoint(let endpoint, _, _) = routes[0].target else { return (Reply.json(599, ByteBuffer()), nil) }
        var ctx = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: seed), pathParameters: parameters,
                                  requestID: "req_abc")
        let reply = Endpoint.answer(http, &ctx, by: endpoint.handler)
        return (reply, ctx.usage)
    }
}
