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

    @Test func patternsMatchOnlyPathsWithAsManySegments() {
        let p = PathPattern("/model/{model}/converse-stream")
        #expect(p.match("/model/us.anthropic.claude-3-haiku-20240307-v1%3A0/converse-stream") == ["model": "us.anthropic.claude-3-haiku-20240307-v1%3A0"])
        #expect(p.match("/model/x/converse") == nil)
        #expect(p.match("/model/x/converse-streamx") == nil)
        #expect(p.match("/model//converse-stream") == nil)  // a parameter is never empty
        #expect(p.match("/model/x/converse-stream/") == nil)
        #expect(p.match("model/x/converse-stream") == nil)
        #expect(PathPattern("/").match("/") == [:])
        #expect(PathPattern("/{a}/{b}").match("/x/y") == ["a": "x", "b": "y"])
        #expect(PathPattern("/{a}/{b}").match("/x") == nil)
    }

    @Test func bedrockPathsFindTheirRouteAndItsParameters() {
        for (path, pattern) in [("/model/anthropic.claude-3-haiku-20240307-v1:0/converse-stream", "/model/{model}/converse-stream"),
                                ("/model/m/converse", "/model/{model}/converse"),
                                ("/model/m/invoke", "/model/{model}/invoke"),
                                ("/model/m/invoke-with-response-stream", "/model/{model}/invoke-with-response-stream")] {
            guard case .routes(let routes, let parameters) = router.match(method: "POST", path: path) else {
                Issue.record("no route for \(path)")
                continue
            }
            #expect(routes.map(\.pattern.text) == [pattern])
            #expect(parameters["model"] == path.split(separator: "/")[1].description)
        }
        guard case .methodNotAllowed(let allowed) = router.match(method: "GET", path: "/model/m/converse") else {
            Issue.record("expected 405")
            return
        }
        #expect(allowed == ["POST", "OPTIONS"])
        guard case .notFound = router.match(method: "POST", path: "/model/m/other") else { Issue.record("expected 404"); return }
    }

    @Test func aLiteralPathIsFoundAmongThoseOfItsLength() {
        // Built from a string of its own, not the parser's shared copy: compared byte for byte.
        let path = String(decoding: Array("/v1/embeddings".utf8), as: UTF8.self)
        guard case .routes(let routes, _) = router.match(method: "POST", path: path) else { Issue.record("no route"); return }
        #expect(routes.map(\.pattern.text) == ["/v1/embeddings"])
        guard case .notFound = router.match(method: "POST", path: "/v1/embeddingz") else { Issue.record("expected 404"); return }
        guard case .notFound = router.match(method: "POST", path: String(repeating: "/x", count: 300)) else { Issue.record("expected 404"); return }
    }

    @Test func httpDateIsIMFFixdate() {
        #expect(HTTPDate.format(unixSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HTTPDate.format(unixSeconds: 0) == "Thu, 01 Jan 1970 00:00:00 GMT")
        #expect(HTTPDate.format(unixSeconds: 1_795_609_276) == "Wed, 25 Nov 2026 12:21:16 GMT")
    }
}
