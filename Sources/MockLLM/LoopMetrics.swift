import MockLLMCore
import MockLLMHTTPServer
import MockLLMProviders
import Prometheus

/// One loop's side of the metrics (`GET /metrics`), used only on that loop's thread: counts
/// each provider request with its tokens, hears how each stream ended, and keeps the per-stream
/// histograms, which `ServerMetrics` merges over the loops when scraped.
final class LoopMetrics {
    /// What a loop measures per stream, in nanoseconds; plain values, merged by the scrape.
    struct Histograms: Sendable {
        var timeToFirstToken = LatencyHistogram()
        var streamDuration = LatencyHistogram()

        mutating func merge(_ other: Histograms) {
            timeToFirstToken.merge(other.timeToFirstToken)
            streamDuration.merge(other.streamDuration)
        }
    }

    /// The `Reply.trace` given to a stream nothing else traces, so that its end is reported
    /// (`replyFinished`). A request journal that traces replies with its own numbers overrides
    /// it, and must ignore this value when it comes back.
    static let streamTrace = -1

    let shared: ServerMetrics
    /// The server's engines, whose vLLM metrics follow the server's own.
    var engines: EngineHosts?
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

    init(shared: ServerMetrics, worker: Int = 0) {
        self.shared = shared
        self.worker = worker
    }

    /// A provider's `reply` to a request routed to `route`: counts the request and its tokens,
    /// and traces a stream so that its end comes back to `replyFinished`.
    func requestAnswered(_ reply: inout Reply, on route: Router.Route, usage: TokenUsage? = nil) {
        count(status: reply.status, rule: reply.headers["x-mockllm-rule"] ?? "", on: route, usage: usage)
        traceStreams(&reply)
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
        case .bytes, .deferred: break
        }
    }

    /// How a traced reply went: a stream's outcome, time to first event and duration.
    func replyFinished(_ finished: FinishedReply) {
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
        shared.publish(histograms, from: worker)
    }

    /// The `GET /metrics` reply, with this loop's histograms fresh and the others' as last
    /// published; `stats` are every loop's counters merged.
    func scrape(stats: LoopServer.Stats) -> Reply {
        publish()
        let headers = HTTPFields([HTTPFields.Field(name: "content-type", value: PrometheusText.contentType)])
        var body = shared.exposition(stats: stats)
        if let engines {
            var out: [UInt8] = []
            EngineMetrics.exposition(of: engines.metrics, into: &out)
            body.append(contentsOf: out)
        }
        return Reply(status: 200, headers: headers, body: .bytes(body, delay: 0))
    }
}
