import MockLLMCore
import MockLLMHTTPServer
import MockLLMProviders
import MockLLMScript
import Prometheus

/// One loop's side of the metrics (`GET /metrics`), used only on that loop's thread: counts
/// each provider request with its tokens, hears how each stream ended, and keeps the per-stream
/// histograms, which `ServerMetrics` merges over the loops when scraped.
final class LoopMetrics {
    /// What a loop measures per stream, in nanoseconds; plain values, merged by the scrape.
    struct Histograms: Sendable {
        var timeToFirstToken = LatencyHistogram()
        var streamDuration = LatencyHistogram()
        /// Per model name the requests named (models without an engine), for vLLM's families.
        var models: [String: ModelTally] = [:]

        mutating func merge(_ other: Histograms) {
            timeToFirstToken.merge(other.timeToFirstToken)
            streamDuration.merge(other.streamDuration)
            for (model, tally) in other.models { models[model, default: ModelTally()].merge(tally) }
        }
    }

    /// What a loop counts per model name for vLLM's families on a model without an engine:
    /// its requests in flight (`vllm:num_requests_running`) and the tokens of its replies.
    struct ModelTally: Sendable, Equatable {
        var running = 0
        var promptTokens: UInt64 = 0
        var generationTokens: UInt64 = 0

        mutating func merge(_ other: ModelTally) {
            running += other.running
            promptTokens += other.promptTokens
            generationTokens += other.generationTokens
        }
    }

    /// The `Reply.trace` given to a stream nothing else traces, so that its end is reported
    /// (`replyFinished`). A request journal that traces replies with its own numbers overrides
    /// it, and must ignore this value when it comes back.
    static let streamTrace = -1

    let shared: ServerMetrics
    /// The server's engines, whose vLLM metrics follow the server's own.
    var engines: EngineHosts?
    /// Whose names the serving-engine families take (`--metrics-style`).
    var style = EngineMetrics.Style.vllm
    let worker: Int
    private(set) var histograms = Histograms()

    private struct RequestKey: Hashable {
        let route: ObjectIdentifier
        let status: Int
        let rule: String
    }
    /// The registry's counters this loop has used, so a request costs a dictionary lookup and
    /// an atomic add, not the registry's lock.
    private var requestCounters: [RequestKey: Counter] = [:]
    /// The label set of the last request and its counter.
    private var lastRequest: RequestKey?
    private var lastCounter: Counter?
    private var faultCounters: [String: Counter] = [:]
    /// Per model name, in the order first seen: a request finds its slot by comparing its model
    /// with the last one (a load test names one model), else by one dictionary lookup.
    /// Touched on this loop's thread only, one access at a time, so the runtime's exclusivity
    /// check (about 60 instructions an access, on every request) is off, as for the
    /// connection's parser.
    @exclusivity(unchecked) private var tallies: [ModelTally] = []
    private var tallyNames: [String] = []
    private var tallySlots: [String: Int] = [:]
    @exclusivity(unchecked) private var lastModel = ""
    @exclusivity(unchecked) private var lastSlot = -1
    /// The tally slot of replies in flight whose trace the journal replaced with its own number.
    @exclusivity(unchecked) private var journalSlots: [Int: Int] = [:]

    /// The `Reply.trace` of a reply in flight for the model of tally slot `slot`: below
    /// `streamTrace`, so the journal (positive traces) and the stream outcome both still work.
    static func modelTrace(_ slot: Int) -> Int { -2 - slot }

    init(shared: ServerMetrics, worker: Int = 0) {
        self.shared = shared
        self.worker = worker
    }

    /// A provider's `reply` to a request routed to `route`: counts the request and its tokens,
    /// and traces a stream so that its end comes back to `replyFinished`.
    func requestAnswered(_ reply: inout Reply, on route: Router.Route, usage: TokenUsage? = nil, model: String? = nil) {
        count(status: reply.status, rule: reply.headers["x-mockllm-rule"] ?? "", on: route, usage: usage)
        traceStreams(&reply)
        if let model, reply.status == 200 { tally(model, usage: usage, reply: &reply) }
    }

    /// Counts a successful reply of `model` (a model without an engine) for vLLM's families: its
    /// tokens, and, when it is still in flight once answered (a stream, a delayed body), one
    /// running request until `replyFinished` hears of its end.
    private func tally(_ model: String, usage: TokenUsage?, reply: inout Reply) {
        let slot: Int
        if lastSlot >= 0, model == lastModel {
            slot = lastSlot
        } else if let known = tallySlots[model] {
            slot = known
        } else {
            slot = tallies.count
            tallies.append(ModelTally())
            tallyNames.append(model)
            tallySlots[model] = slot
        }
        (lastModel, lastSlot) = (model, slot)
        if let usage {
            tallies[slot].promptTokens &+= UInt64(max(0, usage.prompt))
            tallies[slot].generationTokens &+= UInt64(max(0, usage.completion))
        }
        let inFlight: Bool
        switch reply.body {
        case .stream, .pushed, .deferred, .webSocket: inFlight = true
        case .bytes(_, let delay): inFlight = delay > 0
        }
        guard inFlight, reply.trace == 0 || reply.trace == Self.streamTrace else { return }
        reply.trace = Self.modelTrace(slot)
        tallies[slot].running += 1
    }

    /// The journal gave a reply in flight its own trace: the reply's model slot goes with it.
    func journaled(previousTrace: Int, trace: Int) {
        guard previousTrace <= Self.modelTrace(0) else { return }
        journalSlots[trace] = Self.modelTrace(0) - previousTrace
    }

    /// Counts a request answered with `status` (`mockllm_requests_total`) and its tokens. An
    /// engine model's request is counted when the engine has admitted or refused it.
    func count(status: Int, rule: String, on route: Router.Route, usage: TokenUsage?) {
        let key = RequestKey(route: ObjectIdentifier(route), status: status, rule: rule)
        if key != lastRequest {
            // A load test repeats one request: it is hashed once, not every time.
            if let known = requestCounters[key] {
                lastCounter = known
            } else {
                let counter = shared.requestCounter(
                    provider: route.provider?.metadata.name ?? "", endpoint: route.pattern.text, status: status, rule: rule)
                requestCounters[key] = counter
                lastCounter = counter
            }
            lastRequest = key
        }
        lastCounter?.increment()
        if let usage {
            if usage.prompt > 0 { shared.promptTokens.increment(by: Int64(usage.prompt)) }
            if usage.completion > 0 { shared.completionTokens.increment(by: Int64(usage.completion)) }
        }
    }

    /// A stream is traced (even with the journal off) so that its outcome is counted.
    func traceStreams(_ reply: inout Reply) {
        switch reply.body {
        case .stream, .pushed: if reply.trace == 0 { reply.trace = Self.streamTrace }
        case .bytes, .deferred, .webSocket: break
        }
    }

    /// How a traced reply went: a stream's outcome, time to first event and duration.
    func replyFinished(_ finished: FinishedReply) {
        if finished.trace <= Self.modelTrace(0) {
            tallies[Self.modelTrace(0) - finished.trace].running -= 1
        } else if finished.trace > 0, !journalSlots.isEmpty, let slot = journalSlots.removeValue(forKey: finished.trace) {
            tallies[slot].running -= 1
        }
        guard finished.stream else { return }
        (finished.aborted ? shared.streamsAborted : shared.streamsCompleted).increment()
        if let first = finished.firstPayloadNanoseconds { histograms.timeToFirstToken.record(first) }
        histograms.streamDuration.record(finished.durationNanoseconds)
    }

    /// A fault was injected (`mockllm_faults_injected_total{fault=name}`).
    func recordFault(_ name: String) {
        if let counter = faultCounters[name] { return counter.increment() }
        let counter = shared.faultCounter(name)
        faultCounters[name] = counter
        counter.increment()
    }

    /// Copies this loop's histograms where a scrape on any loop reads them.
    func publish() {
        var published = histograms
        for (slot, name) in tallyNames.enumerated() { published.models[name] = tallies[slot] }
        shared.publish(published, from: worker)
    }

    /// The `GET /metrics` reply, with this loop's histograms fresh and the others' as last
    /// published; `stats` are every loop's counters merged.
    /// vLLM's families follow the server's own, always: the engines' series, and one series per
    /// other model of `registry` (and per other model name requests used).
    func scrape(stats: LoopServer.Stats, registry: ModelRegistry) -> Reply {
        publish()
        let headers = HTTPFields([HTTPFields.Field(name: "content-type", value: PrometheusText.contentType)])
        var body = shared.exposition(stats: stats)
        var models = shared.modelTallies()
        var out: [UInt8] = []
        let engineMetrics = engines?.metrics ?? []
        let engined = Set(engineMetrics.flatMap { metrics in metrics.state.withLock { Array($0.models.keys) } })
        for model in registry.models where model.engine == nil && models[model.id] == nil { models[model.id] = ModelTally() }
        let plain = models.filter { !engined.contains($0.key) }.sorted { $0.key < $1.key }
        EngineMetrics.exposition(of: engineMetrics, plain: plain, style: style, into: &out)
        body.append(contentsOf: out)
        return Reply(status: 200, headers: headers, body: .bytes(body, delay: 0))
    }
}
