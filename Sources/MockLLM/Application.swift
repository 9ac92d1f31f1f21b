import MockLLMCore
import MockLLMHTTPServer
import MockLLMProviders
import MockLLMScript
import MockLLMSimulation

#if canImport(Glibc)
import Glibc
#endif
import Logging

/// The glue between a loop and the providers: routes each request and returns its `Reply`.
/// One instance per loop, used only on that loop's thread.
package final class Application: HTTPHandler {
    /// The script new requests are answered from; replaced on reload. A script that declares
    /// other providers (`providers:`) than the one before it gets a new router.
    package var script: Script {
        didSet {
            if script.providers != oldValue.providers { router = Self.router(serving: builtIn, script.providers, states: states) }
            if let engineRegistry { engines = engineRegistry.hosts(for: script) }
            overlay = nil
        }
    }
    /// The script with the adapters loaded and unloaded at run time, and the generation of
    /// `RuntimeAdapters` it was made for.
    private var overlay: (generation: Int, script: Script)?
    var runtimeAdapters: RuntimeAdapters? { engineRegistry?.adapters }

    /// What requests are answered from: `script`, with the runtime adapters laid over it once any
    /// has been loaded or unloaded (one atomic load per request otherwise).
    var servedScript: Script {
        guard let adapters = runtimeAdapters else { return script }
        let generation = adapters.generation.load(ordering: .acquiring)
        guard generation > 0 else { return script }
        if let overlay, overlay.generation == generation { return overlay.script }
        let made = adapters.overlay(on: script)
        overlay = (generation, made)
        return made
    }
    /// The server's engines (`engines:`), and the hosts of this script's, looked up once per
    /// script so a request takes no lock; set by the worker with `engineClient`, this loop's
    /// mailbox from the engines.
    var engineRegistry: EngineHosts? {
        didSet { engines = engineRegistry?.hosts(for: script) ?? [:] }
    }
    private(set) var engines: [String: EngineHost] = [:]
    var engineClient: EngineClient?
    private var random: SeededRandom
    /// The providers compiled in, and the state they keep for the life of the server.
    private let builtIn: [ServedProvider]
    private let states: ProviderStates
    private(set) var router: Router
    /// Set with `--api-key`: provider endpoints refuse requests without it (401).
    var apiKey: APIKeyCheck?
    /// Counters of every loop, merged (set by the worker that owns this application).
    var statistics: (() -> (merged: LoopServer.Stats, perWorker: [LoopServer.Stats]))?
    /// The admin endpoints' shared state (journal, token, script file); set by the worker.
    var admin: Admin?
    /// The server's test scopes, shared by every loop (set by the worker; else this application's own).
    var scopes = ScopeRegistry()
    /// This loop's ring of the request journal; nil: nothing is journaled.
    var journal: JournalRing?
    /// `--access-log`: one line per provider request.
    var accessLog: Logger?
    /// `--replay-timing`, `--replay-ids`: how fixtures are replayed.
    var replay = ReplayOptions()
    /// `--strict`: a POST to a provider endpoint that no fixture, rule or `responses:` entry
    /// answers is refused (404 in the protocol's shape), fallbacks included.
    var strict = false
    /// `--record`: misses (no fixture, and only a fallback to answer) go to their protocol's
    /// upstream and are recorded; nil: not recording, and nothing here costs more than this check.
    var recorder: RecordingProxy?
    /// This loop's metrics (`GET /metrics`); the worker gives it the server's shared part.
    var metrics = LoopMetrics(shared: ServerMetrics(workers: 1))
    /// - Parameters:
    ///   - seed: fixes ids and jitter for reproducible runs; nil seeds from the system.
    ///   - providers: what it serves, in table order (the first one's error shape is the default).
    ///   - states: the providers' state, shared by every loop of a server; nil: this application's own.
    package init(script: Script, seed: UInt64? = nil, serving providers: [ServedProvider], states: ProviderStates? = nil) {
        self.script = script
        random = seed.map { SeededRandom(seed: $0) } ?? SeededRandom()
        builtIn = providers
        self.states = states ?? ProviderStates(for: providers, settings: ProviderSettings())
        router = Self.router(serving: providers, script.providers, states: self.states)
    }

    /// The routes of the providers compiled in, then of those the script declares, and the
    /// server's own endpoints (whose listings name them all).
    private static func router(serving builtIn: [ServedProvider], _ declared: [DeclaredProvider], states: ProviderStates) -> Router {
        let providers = builtIn + declared.map(DeclaredService.served)
        return Router(providers: providers, builtins: BuiltinEndpoint.all(providers: providers) + AdminEndpoints.all, states: states)
    }

    /// Serving the providers of these types.
    package convenience init(script: Script, seed: UInt64? = nil, providers: [any Provider.Type] = providerTable,
                             states: ProviderStates? = nil) {
        self.init(script: script, seed: seed, serving: providers.map(ServedProvider.init), states: states)
    }

    package func reply(to request: HTTPRequest) -> Reply {
        if ScopeRegistry.mayName(request) { return scopedReply(to: request) }
        return reply(to: request, requestID: nextRequestID(), scope: nil)
    }

    /// A request's reply once its scope (if any) is known: CORS preflight or the route, CORS
    /// headers, the access log.
    @inline(__always)
    private func reply(to request: HTTPRequest, requestID: String, scope: TestScope?) -> Reply {
        var reply: Reply
        if request.method == "OPTIONS" {
            reply = CORS.preflight(request, methods: router.methods(for: request.path)) ?? notFound(request, requestID)
        } else {
            reply = route(request, requestID: requestID, scope: scope)
        }
        if request.headers.contains("origin") { CORS.decorate(&reply, for: request) }
        if let accessLog { logAccess(request, reply, to: accessLog) }
        return reply
    }

    /// `reply(to:)` for a request that may name a test scope (docs/SCOPES.md): the scope found
    /// or made, the `/t/ID` prefix taken off its path; or a 400 for an id that is not one.
    @inline(never)
    private func scopedReply(to original: HTTPRequest) -> Reply {
        let requestID = nextRequestID()
        let request: HTTPRequest
        let scope: TestScope?
        do {
            let named = try ScopeRegistry.named(by: original)
            request = named.request
            scope = named.id.map(scopes.scope)
        } catch {
            return invalidScope(original, error, requestID)
        }
        return reply(to: request, requestID: requestID, scope: scope)
    }

    package func reply(to error: HTTPParseError) -> Reply {
        let path = error.target.map { ScopeRegistry.unprefixed(HTTPRequest(method: "GET", target: $0).path) } ?? "/"
        return router.errorProvider(for: nil, path: path).errorReply(APIError(error), requestID: nextRequestID())
    }

    /// The 400 of a request whose test scope id is not one, in the error shape of the
    /// provider the rest of its path (or its headers) points at.
    private func invalidScope(_ request: HTTPRequest, _ error: ScopeRegistry.InvalidID, _ requestID: String) -> Reply {
        let provider = router.errorProvider(for: request, path: ScopeRegistry.unprefixed(request.path))
        var reply = provider.errorReply(APIError(status: 400, kind: .invalidRequest, message: error.message, code: "invalid_test_scope"),
                                        requestID: requestID)
        if request.headers.contains("origin") { CORS.decorate(&reply, for: request) }
        return reply
    }

    private func route(_ request: HTTPRequest, requestID: String, scope: TestScope?) -> Reply {
        switch router.match(method: request.method, path: request.path) {
        case .routes(let routes, let parameters):
            let route = routes.count == 1 ? routes[0] : choose(among: routes, for: request)
            // The model a path names, for the journal: Gemini's `models/{model}`, Azure's deployment.
            let pathModel = parameters["model"] ?? parameters["deployment"]
            switch route.target {
            case .builtin(let builtin):
                return admin?.refusal(for: request, to: builtin) ?? builtin.reply(request, self)
            case .endpoint(let endpoint, let provider, let states):
                // With `--api-key`, a request without it: whether it sent another key or none.
                let keyRefused = apiKey.flatMap { key in
                    key.allows(request, sources: router.keySources) ? nil : APIKeyCheck.presented(in: request, sources: router.keySources)
                }
                if let given = keyRefused, !endpoint.answersKeyRefusal {
                    var refusal = provider.errorReply(provider.keyRefusal(given: given), requestID: requestID)
                    metrics.requestAnswered(&refusal, on: route)
                    return journaled(refusal, request, provider: provider.metadata.name, pathModel: pathModel, test: scope?.id)
                }
                var context = ProviderContext(
                    script: servedScript, now: time(nil), random: random, pathParameters: parameters, requestID: requestID)
                context.clientKey = router.keySources.clientKey(in: request)
                context.keyRefused = keyRefused
                if let scope {
                    context.script = scope.effective(over: servedScript)
                    let (providers, settings) = (builtIn, scopes.settings)
                    context.states = scope.attachment { ProviderStates(for: providers, settings: settings) }
                    context.scope = scope
                } else {
                    context.states = states
                }
                var fixtureMiss: String?
                if let fixtures = context.script.fixtures {
                    // Before any protocol decodes the body: fixtures are generic over its JSON.
                    let body = Self.jsonBody(request)
                    switch fixtures.lookup(method: request.method, path: request.path, query: request.query,
                                           headers: request.headers, body: body) {
                    case .hit(let fixture):
                        let model = body?.objectValue?["model"]?.stringValue ?? parameters["model"]
                        var reply = FixtureReplay.reply(fixture, options: replay, model: model, context: &context)
                        random = context.random
                        metrics.requestAnswered(&reply, on: route)
                        return journaled(reply, request, provider: provider.metadata.name, pathModel: pathModel, test: scope?.id)
                    case .miss(let why):
                        fixtureMiss = why.headerSafe
                    case .notHere:
                        break
                    }
                }
                if context.script.countsWindows { context.monotonic = Self.monotonicNanoseconds() }
                var reply = Endpoint.answer(request, &context, by: endpoint.handler)
                random = context.random
                if let recorder, !AnswerSource.isExplicit(reply.headers["x-mockllm-rule"]),
                   let upstream = recorder.upstream(for: provider.name) {
                    // Counted with the status that goes out, once the upstream (or its failure) decides it.
                    let metrics = metrics
                    var forwarded = recorder.forward(request, base: upstream, provider: provider, requestID: requestID,
                                                     fixtureMiss: fixtureMiss) { status, rule in
                        metrics.count(status: status, rule: rule, on: route, usage: nil)
                    }
                    metrics.traceStreams(&forwarded)
                    return journaled(forwarded, request, provider: provider.metadata.name, pathModel: pathModel, test: scope?.id)
                }
                if let fixtureMiss { reply.headers.append(name: "x-mockllm-fixture-miss", value: fixtureMiss) }
                if strict || context.script.onMiss == .strict, request.method == "POST", !AnswerSource.isExplicit(reply.headers["x-mockllm-rule"]),
                   reply.status < 300 || reply.headers["x-mockllm-rule"] == "default" {
                    reply = strictRefusal(reply, fixtureMiss: fixtureMiss, provider: provider, requestID: requestID)
                }
                if let fault = reply.headers["x-mockllm-fault"] { metrics.recordFault(fault) }
                if reply.status == 200, let demand = context.engine, let host = engines[demand.engine], let engineClient {
                    // Counted once the engine has admitted or refused it: the status is its.
                    metrics.traceStreams(&reply)
                    let (rule, usage, metrics) = (reply.headers["x-mockllm-rule"] ?? "", context.usage, metrics)
                    let recorded = journaled(reply, request, provider: provider.metadata.name, pathModel: pathModel, test: scope?.id)
                    return engineReply(recorded, demand, host: host, client: engineClient, provider: provider, requestID: requestID) {
                        metrics.count(status: $0, rule: rule, on: route, usage: $0 == 200 ? usage : nil)
                    }
                }
                metrics.requestAnswered(&reply, on: route, usage: context.usage, model: context.model)
                return journaled(reply, request, provider: provider.metadata.name, pathModel: pathModel, test: scope?.id)
            }
        case .methodNotAllowed(let allowed):
            let list = allowed.joined(separator: ", ")
            return journaled(router.errorProvider(for: request, path: request.path).errorReply(APIError(
                status: 405, kind: .methodNotAllowed,
                message: "Method \(request.method) not allowed for \(request.path). Allowed: \(list).",
                headers: HTTPFields([HTTPFields.Field(name: "allow", value: list)])), requestID: requestID), request, provider: nil,
                test: scope?.id)
        case .notFound:
            return journaled(notFound(request, requestID), request, provider: nil, test: scope?.id)
        }
    }

    /// Records a provider request in the journal; the reply's trace brings back how it went.
    private func journaled(_ reply: consuming Reply, _ request: HTTPRequest, provider: String?, pathModel: String? = nil,
                           test: String?) -> Reply {
        guard let journal else { return reply }
        let previous = reply.trace
        var transcript: WebSocketTranscript?
        if case .webSocket = reply.body { transcript = WebSocketTranscript() }
        let trace = journal.record(request, reply: reply, provider: provider, pathModel: pathModel, test: test, webSocket: transcript)
        // A path the journal does not record keeps the metrics' trace, so its end is still heard.
        guard trace != 0 else { return reply }
        reply.trace = trace
        if let transcript, case .webSocket(let session) = reply.body {
            reply.body = .webSocket(JournaledWebSocketSession(session, transcript: transcript))
        }
        metrics.journaled(previousTrace: previous, trace: trace)
        return reply
    }

    package func replyFinished(_ finished: FinishedReply) {
        metrics.replyFinished(finished)
        if finished.trace > 0 { journal?.finish(finished) }
    }

    private func notFound(_ request: HTTPRequest, _ requestID: String) -> Reply {
        router.errorProvider(for: request, path: request.path).errorReply(APIError(
            status: 404, kind: .notFound, message: "Invalid URL (\(request.method) \(request.path))"), requestID: requestID)
    }

    /// Several providers serve this method and path (the original's multi-provider routing):
    /// the one that claims the request by its headers, else the one the registry says owns the
    /// requested model, else the first in the table.
    private func choose(among routes: [Router.Route], for request: HTTPRequest) -> Router.Route {
        if let claimed = routes.first(where: { $0.provider?.claims(request) == true }) { return claimed }
        if let model = Self.requestedModel(request), let owner = script.models.resolve(model)?.provider,
           let owned = routes.first(where: { $0.provider?.metadata.name == owner }) {
            return owned
        }
        return routes[0]
    }

    /// Under `--strict` (and for the recording proxy when no upstream answers): the refusal of a
    /// request that only a fallback answered, naming the closest fixture and the closest rule and
    /// what differs.
    func strictRefusal(_ reply: Reply, fixtureMiss: String?, provider: ServedProvider, requestID: String) -> Reply {
        let reasons = [fixtureMiss, reply.headers["x-mockllm-miss"]].compactMap { $0 }
        let why = reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
        var error = APIError(status: 404, kind: .notFound, message: "No fixture, rule or response matches this request (--strict)\(why).",
                             code: "no_match")
        error.headers.append(name: "x-mockllm-rule", value: "strict")
        if let fixtureMiss { error.headers.append(name: "x-mockllm-fixture-miss", value: fixtureMiss) }
        if let miss = reply.headers["x-mockllm-miss"] { error.headers.append(name: "x-mockllm-miss", value: miss) }
        return provider.errorReply(error, requestID: requestID)
    }

    /// A JSON body as a value, for fixtures (nil: empty or not JSON).
    static func jsonBody(_ request: HTTPRequest) -> JSONValue? {
        guard !request.body.isEmpty, let document = try? JSONDocument.parse(request.body) else { return nil }
        return withExtendedLifetime(document) { document.root.materialize() }
    }

    /// The `model` of a JSON body, if it has one.
    static func requestedModel(_ request: HTTPRequest) -> String? {
        guard !request.body.isEmpty, let document = try? JSONDocument.parse(request.body) else { return nil }
        return withExtendedLifetime(document) { document.root["model"]?.string }
    }

    static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
    }

    /// `--access-log`: `POST /v1/chat/completions 200` with what answered, for provider requests.
    private func logAccess(_ request: HTTPRequest, _ reply: Reply, to log: Logger) {
        guard !RequestJournal.isServerPath(request.path), request.method != "OPTIONS" else { return }
        var metadata: Logger.Metadata = ["status": "\(reply.status)"]
        if let rule = reply.headers["x-mockllm-rule"] { metadata["rule"] = "\(rule)" }
        if let fault = reply.headers["x-mockllm-fault"] { metadata["fault"] = "\(fault)" }
        switch reply.body {
        case .stream, .pushed: metadata["stream"] = "true"
        case .bytes, .deferred, .webSocket: break
        }
        log.info("\(request.method) \(APIKeyCheck.loggable(request)) \(reply.status)", metadata: metadata)
    }

    /// `req_` and 24 hex digits, as both OpenAI and Anthropic format theirs.
    private func nextRequestID() -> String {
        random.hexString(prefix: "req_", digits: 24)
    }
}
