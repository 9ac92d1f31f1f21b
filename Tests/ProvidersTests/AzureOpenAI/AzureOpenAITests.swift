import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Azure OpenAI's front door without a server: api-version, deployments, content filter
/// results and refusals, per-deployment limits, and its errors.
@Suite("Azure OpenAI provider")
struct AzureOpenAITests {
    /// A script loaded for every provider of the table (rules may name `azure`).
    func script(_ yaml: String) throws -> Script {
        try ScriptLoader.parse(yaml: yaml, file: "azure.yml", providers: providerCatalog).script
    }

    func diagnostics(_ yaml: String) -> [ScriptDiagnostic] {
        do {
            return try ScriptLoader.parse(yaml: yaml, file: "azure.yml", providers: providerCatalog).warnings
        } catch {
            return error.diagnostics
        }
    }

    /// The endpoint of `method` and `path` (a pattern, `{deployment}` included).
    func handler(_ path: String, method: String = "POST") -> Endpoint.Handler {
        AzureOpenAI.metadata.endpoints.first { $0.path == path && $0.method == method }!.handler
    }

    /// `body` sent to a deployment's `operation` (`chat/completions`) with `query`.
    func call(_ script: Script, deployment: String = "gpt-4o", operation: String = "chat/completions", query: String = "?api-version=2024-10-21",
              _ body: String, headers: HTTPFields = HTTPFields(), monotonic: UInt64 = 1) -> Reply {
        var ctx = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: 5),
                                  pathParameters: ["deployment": deployment])
        ctx.monotonic = monotonic
        let target = "/openai/deployments/\(deployment)/\(operation)\(query)"
        return Endpoint.answer(HTTPRequest(method: "POST", target: target, headers: headers, body: Array(body.utf8)), &ctx,
                               by: handler("/openai/deployments/{deployment}/" + operation))
    }

    /// `body` sent to `/openai/v1/<operation>` with `query`.
    func callV1(_ script: Script, operation: String = "chat/completions", query: String = "", _ body: String) -> Reply {
        var ctx = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: 5))
        return Endpoint.answer(HTTPRequest(method: "POST", target: "/openai/v1/\(operation)\(query)", body: Array(body.utf8)), &ctx,
                               by: handler("/openai/v1/" + operation))
    }

    func json(_ reply: Reply) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(reply.bodyBytes.bytes))) as? [String: Any] ?? [:]
    }

    func error(_ reply: Reply) -> [String: Any] { json(reply)["error"] as? [String: Any] ?? [:] }

    let chat = #"{"model":"ignored","max_tokens":50,"messages":[{"role":"user","content":"ping"}]}"#
    let plain = Script(responses: ["ping": "pong"])

    // MARK: routing

    @Test func theRouterSendsAzuresPathsToItWithTheDeployment() throws {
        let router = Router(providers: servedProviders, builtins: [])
        for (path, deployment) in [("/openai/deployments/prod-chat/chat/completions", "prod-chat"),
                                   ("/openai/deployments/d/embeddings", "d"), ("/openai/v1/chat/completions", nil),
                                   ("/openai/v1/responses", nil), ("/openai/responses", nil)] {
            guard case .routes(let routes, let parameters) = router.match(method: "POST", path: path) else {
                Issue.record("no route for \(path)")
                continue
            }
            #expect(routes.count == 1)
            #expect(routes.first?.provider?.name == "azure", "\(path)")
            #expect(parameters["deployment"] == deployment)
        }
        #expect(AzureOpenAI.claims(HTTPRequest(method: "POST", target: "/openai/unknown")))
        #expect(!AzureOpenAI.claims(HTTPRequest(method: "POST", target: "/v1/chat/completions")))
    }

    // MARK: api-version

    @Test func aDeploymentPathWithoutAnAPIVersionIsNotFound() {
        let reply = call(plain, query: "", chat)
        #expect(reply.status == 404)
        #expect(reply.bodyBytes.description == #"{"error":{"code":"404","message":"Resource not found"}}"#)
        #expect(reply.headers["apim-request-id"] == "req_test")
    }

    @Test(arguments: ["2099-01-01", "2024-10-21-preview", "latest", ""])
    func anUnknownAPIVersionIsNotSupported(version: String) {
        let reply = call(plain, query: "?api-version=" + version, chat)
        #expect(reply.status == 400)
        #expect(reply.bodyBytes.description == #"{"error":{"code":"BadRequest","message":"API version not supported"}}"#)
    }

    @Test(arguments: ["2024-10-21", "2024-02-01", "2025-04-01-preview", "2023-05-15"])
    func publishedVersionsAreServed(version: String) {
        #expect(call(plain, query: "?api-version=" + version, chat).status == 200)
    }

    @Test func theV1PathsTakeNoVersionOrPreviewOrLatest() {
        let body = #"{"model":"gpt-4o-mini","messages":[{"role":"user","content":"ping"}]}"#
        #expect(callV1(plain, body).status == 200)
        #expect(callV1(plain, query: "?api-version=preview", body).status == 200)
        #expect(callV1(plain, query: "?api-version=latest", body).status == 200)
        let dated = callV1(plain, query: "?api-version=2024-10-21", body)
        #expect(dated.status == 400)
        #expect(error(dated)["code"] as? String == "BadRequest")
    }

    // MARK: deployments

    @Test func anUndeclaredDeploymentServesTheModelOfItsName() {
        let reply = call(plain, deployment: "gpt-4o-mini", chat)
        #expect(reply.status == 200)
        #expect(json(reply)["model"] as? String == "gpt-4o-mini")
        #expect((json(reply)["choices"] as? [[String: Any]])?.first.flatMap { ($0["message"] as? [String: Any])?["content"] as? String } == "pong")
    }

    @Test func aDeclaredDeploymentServesItsModelWhateverTheBodyNames() throws {
        let script = try script("""
            responses: {ping: pong}
            deployments:
              prod-chat: {model: gpt-4o}
              short: gpt-4.1-mini
            """)
        #expect(json(call(script, deployment: "prod-chat", chat))["model"] as? String == "gpt-4o")
        #expect(json(call(script, deployment: "short", chat))["model"] as? String == "gpt-4.1-mini")
        // On /openai/v1 the body's model names the deployment.
        #expect(json(callV1(script, #"{"model":"prod-chat","messages":[{"role":"user","content":"ping"}]}"#))["model"] as? String == "gpt-4o")
    }

    @Test func aDeploymentPathNeedsNoModelInTheBody() throws {
        let script = try script("responses: {ping: pong}\ndeployments:\n  prod-chat: {model: gpt-4o}\n")
        let noModel = #"{"messages":[{"role":"user","content":"ping"}]}"#
        let declared = call(script, deployment: "prod-chat", noModel)
        #expect(declared.status == 200 && json(declared)["model"] as? String == "gpt-4o")
        #expect(json(call(plain, deployment: "gpt-4o-mini", noModel))["model"] as? String == "gpt-4o-mini")
        #expect(call(plain, deployment: "text-embedding-3-small", operation: "embeddings", #"{"input":"hi"}"#).status == 200)
        #expect(call(plain, deployment: "gpt-35-turbo-instruct", operation: "completions", #"{"prompt":"ping"}"#).status == 200)
        // On /openai/v1 the body's model is the deployment: it stays required.
        let v1 = callV1(script, noModel)
        #expect(v1.status == 400 && error(v1)["param"] as? String == "model")
    }

    @Test func strictModelsServesOnlyDeclaredDeployments() throws {
        let script = try script("""
            responses: {ping: pong}
            settings: {strict_models: true}
            deployments: {prod-chat: gpt-4o}
            """)
        let missing = call(script, deployment: "gpt-4o", chat)
        #expect(missing.status == 404)
        #expect(error(missing)["code"] as? String == "DeploymentNotFound")
        #expect((error(missing)["message"] as? String)?.hasPrefix("The API deployment for this resource does not exist.") == true)
        #expect(call(script, deployment: "prod-chat", chat).status == 200)
        let tooMany = call(script, deployment: "prod-chat", #"{"max_tokens":99999,"messages":[{"role":"user","content":"ping"}],"model":"x"}"#)
        #expect(tooMany.status == 400)
        #expect(error(tooMany)["code"] as? String == "invalid_value")
    }

    @Test func rulesSeeTheProviderAndTheDeploymentsModel() throws {
        let script = try script("""
            rules:
              - match: {provider: azure, model: gpt-4o}
                reply: from azure
            deployments: {prod-chat: gpt-4o}
            responses: {}
            """)
        let reply = call(script, deployment: "prod-chat", chat)
        #expect((json(reply)["choices"] as? [[String: Any]])?.first.flatMap { ($0["message"] as? [String: Any])?["content"] as? String } == "from azure")
    }

    // MARK: content filter

    @Test func aReplyCarriesThePromptsAndTheChoicesFilterResults() {
        let body = json(call(plain, chat))
        let prompt = (body["prompt_filter_results"] as? [[String: Any]])?.first
        #expect(prompt?["prompt_index"] as? Int == 0)
        let verdicts = prompt?["content_filter_results"] as? [String: [String: Any]]
        #expect(verdicts?.keys.sorted() == ["hate", "jailbreak", "self_harm", "sexual", "violence"])
        #expect(verdicts?["hate"]?["severity"] as? String == "safe")
        #expect(verdicts?["jailbreak"]?["detected"] as? Bool == false)
        let choice = (body["choices"] as? [[String: Any]])?.first?["content_filter_results"] as? [String: [String: Any]]
        #expect(choice?.keys.sorted() == ["hate", "protected_material_code", "protected_material_text", "self_harm", "sexual", "violence"])
        #expect(choice?.values.allSatisfy { $0["filtered"] as? Bool == false } == true)
    }

    @Test func aStreamStartsWithThePromptsResultsAndAnnotatesEveryChoice() {
        let reply = call(plain, #"{"model":"m","stream":true,"messages":[{"role":"user","content":"ping"}]}"#)
        let events = reply.streamTexts
        #expect(events[0] == "data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\","
            + String(decoding: AzureContentFilter.promptResults, as: UTF8.self) + "}\n\n")
        #expect(events[1].contains(#""choices":[{"content_filter_results":{},"delta":{"role":"assistant","content":null}"#))
        #expect(events[2].contains(#""choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"},"#))
        #expect(events[2].contains(#""delta":{"role":null,"content":"p"}"#))
        #expect(events[events.count - 2].contains(#"{"content_filter_results":{},"delta":{},"index":0,"finish_reason":"stop"}"#))
        #expect(events.last == "data: [DONE]\n\n")
    }

    @Test func aRuleRefusesThePromptAsAzuresContentFilterDoes() throws {
        let script = try script("""
            rules:
              - match: {prompt: {contains: forbidden}}
                error: {status: 400, code: content_filter, type: violence}
            responses: {}
            """)
        let reply = call(script, #"{"model":"m","messages":[{"role":"user","content":"something forbidden"}]}"#)
        #expect(reply.status == 400)
        let body = error(reply)
        #expect(body["code"] as? String == "content_filter")
        #expect(body["param"] as? String == "prompt")
        #expect(body["status"] as? Int == 400)
        #expect((body["message"] as? String)?.hasPrefix("The response was filtered due to the prompt triggering Azure OpenAI's content management policy.") == true)
        let inner = body["innererror"] as? [String: Any]
        #expect(inner?["code"] as? String == "ResponsibleAIPolicyViolation")
        let verdicts = inner?["content_filter_result"] as? [String: [String: Any]]
        #expect(verdicts?["violence"]?["filtered"] as? Bool == true)
        #expect(verdicts?["violence"]?["severity"] as? String == "high")
        #expect(verdicts?["hate"]?["filtered"] as? Bool == false)
    }

    @Test func aContentFilterFaultStopsTheStreamAsAzureDoes() throws {
        let script = try script("""
            rules:
              - match: {prompt: {contains: story}}
                reply: "Once upon a time."
                fault: {stream: {after: 4, content_filter: violence}}
            responses: {}
            """)
        let reply = call(script, #"{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"a story"}]}"#)
        #expect(reply.status == 200)
        let events = reply.streamTexts
        // The preamble, the role chunk, two chunks of text, then the filtered finish, usage and [DONE].
        #expect(events.count == 7)
        #expect(events[2].contains(#""content":"O"}"#) && events[3].contains(#""content":"n"}"#))
        let finish = try #require(try JSONSerialization.jsonObject(with: Data(events[4].dropFirst(6).utf8)) as? [String: Any])
        let choice = try #require((finish["choices"] as? [[String: Any]])?.first)
        #expect(choice["finish_reason"] as? String == "content_filter")
        #expect((choice["delta"] as? [String: Any])?.isEmpty == true)
        let verdicts = try #require(choice["content_filter_results"] as? [String: [String: Any]])
        #expect(verdicts["violence"]?["filtered"] as? Bool == true)
        #expect(verdicts["violence"]?["severity"] as? String == "high")
        #expect(verdicts.filter { $0.key != "violence" }.values.allSatisfy { $0["filtered"] as? Bool == false })
        #expect(events[5].contains(#""choices":[]"#) && events[5].contains(#""usage""#))
        #expect(events[6] == "data: [DONE]\n\n")
        #expect(reply.headers["x-mockllm-fault"] != nil)
    }

    @Test func aFilteredProtectedMaterialIsDetected() throws {
        let script = try script("""
            faults:
              - stream: {after: 2, content_filter: protected_material_text}
            responses: {ping: pong}
            """)
        let events = call(script, #"{"model":"m","stream":true,"messages":[{"role":"user","content":"ping"}]}"#).streamTexts
        #expect(events[2].contains(#""protected_material_text":{"filtered":true,"detected":true}"#))
        #expect(events[2].contains(#""finish_reason":"content_filter""#))
        #expect(events.last == "data: [DONE]\n\n")
    }

    @Test func aContentFilterFaultIsCheckedByTheLoader() {
        let bad = diagnostics("""
            faults:
              - stream: {after: 2, content_filter: rudeness}
            """)
        #expect(bad.contains { $0.message.contains("content_filter' must be one of hate, sexual, violence, self_harm") })
        let two = diagnostics("""
            faults:
              - stream: {after: 2, content_filter: hate, truncate: true}
            """)
        #expect(two.contains { $0.message.contains("needs exactly one of") })
    }

    // MARK: limits

    @Test func aDeploymentReservesMaxTokensAgainstItsTokensPerMinute() throws {
        let script = try script("""
            responses: {ping: pong}
            deployments:
              small: {model: gpt-4o, tokens_per_minute: 150}
            """)
        // ping is 8 prompt tokens; each request reserves 8 + 50.
        let first = call(script, deployment: "small", chat)
        #expect(first.status == 200)
        #expect(first.headers["x-ratelimit-remaining-tokens"] == "92")
        // 1000 TPM = 6 RPM, at least 1.
        #expect(first.headers["x-ratelimit-remaining-requests"] == "0")
        let second = call(script, deployment: "small", chat, monotonic: 2)
        #expect(second.status == 429)
        #expect(error(second)["code"] as? String == "429")
        #expect(error(second)["message"] as? String
            == "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 60 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.")
        #expect(second.headers["retry-after"] == "60")
        #expect(second.headers["retry-after-ms"] == "60000")
    }

    @Test func tokensRunOutBeforeRequestsWithTheTokenWording() throws {
        let script = try script("""
            responses: {ping: pong}
            deployments:
              small: {model: gpt-4o, tokens_per_minute: 100, requests_per_minute: 10, window_seconds: 2}
            """)
        #expect(call(script, deployment: "small", chat).status == 200)
        let refused = call(script, deployment: "small", chat, monotonic: 500_000_001)
        #expect(refused.status == 429)
        #expect((error(refused)["message"] as? String)?.contains("have exceeded token rate limit") == true)
        #expect(refused.headers["retry-after"] == "2")
        #expect(refused.headers["retry-after-ms"] == "1500")
        #expect(refused.headers["x-ratelimit-remaining-requests"] == "9")
        // A new window admits it again.
        #expect(call(script, deployment: "small", chat, monotonic: 2_000_000_001).status == 200)
    }

    @Test func withoutMaxTokensARequestReservesTheDefault() throws {
        let script = try script("""
            responses: {ping: pong}
            deployments:
              big: {model: gpt-4o, tokens_per_minute: 10000}
            """)
        let reply = call(script, deployment: "big", #"{"model":"m","messages":[{"role":"user","content":"ping"}]}"#)
        #expect(reply.headers["x-ratelimit-remaining-tokens"] == String(10000 - 8 - Deployment.defaultReservedTokens))
        #expect(reply.headers["x-ratelimit-remaining-requests"] == "59")
    }

    @Test func deploymentsAreCheckedWithLocatedErrors() {
        let diagnostics = diagnostics("""
            responses: {}
            deployments:
              a: {tokens_per_minute: 10}
              b: {model: gpt-4o, tokens_per_minute: -1}
              c: {model: gpt-4o, speed: 1}
            """)
        #expect(diagnostics.map(\.message).contains("'deployments.a' needs a model"))
        #expect(diagnostics.map(\.message).contains("'deployments.b.tokens_per_minute' must be a whole number, 1 or more"))
        #expect(diagnostics.contains { $0.message.contains("speed") && $0.line == 5 })
    }

    // MARK: other endpoints and errors

    @Test func aFaultsBare429IsTheGateways() {
        var headers = HTTPFields()
        headers.append(name: "x-mockllm-fault", value: "429")
        let reply = call(plain, chat, headers: headers)
        #expect(reply.status == 429)
        #expect(error(reply)["code"] as? String == "429")
        #expect((error(reply)["message"] as? String)?.contains("have exceeded call rate limit") == true)
        #expect(error(reply)["type"] == nil)
    }

    @Test func embeddingsAndCompletionsAndResponsesAreServed() {
        let embeddings = call(plain, deployment: "text-embedding-3-small", operation: "embeddings", #"{"model":"x","input":"hi"}"#)
        #expect(embeddings.status == 200)
        #expect(json(embeddings)["model"] as? String == "text-embedding-3-small")
        let completion = call(plain, deployment: "gpt-35-turbo-instruct", operation: "completions", #"{"model":"x","prompt":"ping"}"#)
        #expect((json(completion)["choices"] as? [[String: Any]])?.first?["text"] as? String == "pong")
        let response = callV1(plain, operation: "responses", #"{"model":"gpt-4o","input":"ping"}"#)
        #expect(response.status == 200)
        #expect(response.bodyBytes.description.contains(#""text":"pong""#))
    }

    @Test func aBodyProblemIsOpenAIsAndAKeyRefusalIsTheGateways() {
        let bad = call(plain, #"{"model":"m"}"#)
        #expect(bad.status == 400)
        #expect(error(bad)["code"] as? String == "missing_required_parameter")
        let denied = AzureOpenAI.errorReply(AzureOpenAI.keyRefusal(given: true), requestID: "r")
        #expect(denied.status == 401)
        #expect(error(denied)["code"] as? String == "401")
        #expect((error(denied)["message"] as? String)?.hasPrefix("Access denied due to invalid subscription key") == true)
        #expect(AzureOpenAI.apiKeySources == [.header("api-key"), .bearer])
    }
}
