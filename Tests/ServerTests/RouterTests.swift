@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Routing")
struct RouterTests {
    let router = Router(providers: servedProviders, builtins: BuiltinEndpoint.all(providers: servedProviders))

    @Test func findsProviderEndpointsAndBuiltins() {
        guard case .routes(let routes, _) = router.match(method: "POST", path: "/v1/chat/completions") else {
            Issue.record("no route")
            return
        }
        #expect(routes.map(\.pattern.text) == ["/v1/chat/completions"])
        guard case .routes = router.match(method: "GET", path: "/health") else { Issue.record("no health"); return }
        guard case .routes = router.match(method: "HEAD", path: "/health") else { Issue.record("no HEAD"); return }
    }

    @Test func returnsEveryProviderServingASharedPathInTableOrder() {
        guard case .routes(let routes, _) = router.match(method: "GET", path: "/v1/models") else {
            Issue.record("no route")
            return
        }
        #expect(routes.compactMap { $0.provider?.metadata.name } == ["openai", "anthropic", "gemini"])
        guard case .routes(let one, let parameters) = router.match(method: "GET", path: "/v1/models/gpt-4o") else {
            Issue.record("no route")
            return
        }
        #expect(one.count == 3)
        #expect(parameters == ["model": "gpt-4o"])
    }

    @Test func wrongMethodListsTheAllowedOnes() {
        guard case .methodNotAllowed(let allowed) = router.match(method: "GET", path: "/v1/chat/completions") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["POST", "OPTIONS"])
    }

    @Test func unknownPathIsNotFound() {
        guard case .notFound = router.match(method: "GET", path: "/v1/nothing") else { Issue.record("expected 404"); return }
    }

    @Test func patternsCaptureSegmentsAndSuffixes() {
        let p = PathPattern("/v1beta/models/{model}:generateContent")
        #expect(p.match("/v1beta/models/gemini-pro:generateContent") == ["model": "gemini-pro"])
        #expect(p.match("/v1beta/models/:generateContent") == nil)
        #expect(p.match("/v1beta/models/x:other") == nil)
        #expect(PathPattern("/v1/models/{id}").match("/v1/models/gpt-4") == ["id": "gpt-4"])
        #expect(PathPattern("/v1/models/{id}").match("/v1/models/a/b") == nil)
    }

    @Test func httpDateIsIMFFixdate() {
        #expect(HTTPDate.format(unixSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(unixSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(unixSeconds: 1_795_609_276) == "Wed, 25 Nov 2026 12:21:16 GMT")
    }
}
