import MockLLMCore
import MockLLMHTTPServer
import Prometheus
import Synchronization

/// The metrics every worker shares, and the body of `GET /metrics`.
///
/// Counted per request or per stream, never per event: requests, tokens, streams by outcome
/// and faults are swift-prometheus counters (relaxed atomics, no lock once a loop has its
/// counter), and the two gauges are set from the loops' counters at scrape time. What is
/// counted per event stays in each loop (`LoopServer.Stats`: events, inter-token intervals,
/// lateness) and what each loop measures per stream in `LoopMetrics`; both are merged here
/// when scraped, like `/_mockllm/stats` merges the `StatsBoard`.
final class ServerMetrics: Sendable {
    /// Names and help texts, one place for the exposition and the docs to agree on.
    enum Name {
        static let requests = "mockllm_requests_total"
        static let connectionsOpen = "mockllm_connections_open"
        static let connectionsAccepted = "mockllm_connections_accepted_total"
        static let streamsOpen = "mockllm_streams_open"
        static let streams = "mockllm_streams_total"
        static let streamEvents = "mockllm_stream_events_total"
        static let webSocketsOpen = "mockllm_websocket_sessions_open"
        static let webSocketsOpened = "mockllm_websocket_sessions_total"
        static let webSocketMessagesIn = "mockllm_websocket_messages_received_total"
        static let webSocketMessagesOut = "mockllm_websocket_messages_sent_total"
        static let tokens = "mockllm_tokens_total"
        static let timeToFirstToken = "mockllm_time_to_first_token_seconds"
        static let streamDuration = "mockllm_stream_duration_seconds"
        static let interToken = "mockllm_inter_token_seconds"
        static let lateness = "mockllm_emission_lateness_seconds"
        static let faults = "mockllm_faults_injected_total"
        static let backpressure = "mockllm_backpressure_pauses_total"
    }

    /// A family swift-prometheus holds: its whole name (swift-prometheus joins the non-empty
    /// parts with "_") and help.
    struct Family: Sendable {
        let name: String
        let help: String

        var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
    }

    static let requests = Family(
        name: Name.requests, help: "Requests answered by a provider endpoint, by provider, endpoint path pattern, status and x-mockllm-rule.")
    static let tokens = Family(name: Name.tokens, help: "Tokens in the usage of provider replies: prompt read, completion generated.")
    static let streams = Family(name: Name.streams, help: "Streams ended: completed, or aborted (client gone, cut by the server or a fault).")
    static let faults = Family(name: Name.faults, help: "Faults injected, by fault.")
    static let connectionsOpen = Family(name: Name.connectionsOpen, help: "Connections open.")
    static let streamsOpen = Family(name: Name.streamsOpen, help: "Streams in progress.")

    let registry = PrometheusCollectorRegistry()
    let promptTokens: Counter
    let completionTokens: Counter
    let streamsCompleted: Counter
    let streamsAborted: Counter
    private let connectionsOpen: Gauge
    private let streamsOpen: Gauge
    /// Each loop's latest `LoopMetrics.Histograms`; also serializes scrapes (they set the gauges).
    private let slots: Mutex<[LoopMetrics.Histograms]>

    init(workers: Int) {
        slots = Mutex(Array(repeating: LoopMetrics.Histograms(), count: max(1, workers)))
        promptTokens = registry.makeCounter(descriptor: Self.tokens.descriptor, labels: [("direction", "prompt")])
        completionTokens = registry.makeCounter(descriptor: Self.tokens.descriptor, labels: [("direction", "completion")])
        streamsCompleted = registry.makeCounter(descriptor: Self.streams.descriptor, labels: [("outcome", "completed")])
        streamsAborted = registry.makeCounter(descriptor: Self.streams.descriptor, labels: [("outcome", "aborted")])
        connectionsOpen = registry.makeGauge(descriptor: Self.connectionsOpen.descriptor)
        streamsOpen = registry.makeGauge(descriptor: Self.streamsOpen.descriptor)
    }

    /// The counter of one request label set (created on first use; the registry locks, so a
    /// loop asks once per label set and keeps it).
    func requestCounter(provider: String, endpoint: String, status: Int, rule: String) -> Counter {
        registry.makeCounter(descriptor: Self.requests.descriptor, labels: [
            ("provider", provider), ("endpoint", endpoint), ("status", String(status)), ("rule", rule),
        ])
    }

    func faultCounter(_ fault: String) -> Counter {
        registry.makeCounter(descriptor: Self.faults.descriptor, labels: [("fault", fault)])
    }

    func publish(_ histograms: LoopMetrics.Histograms, from worker: Int) {
        slots.withLock { $0[worker] = histograms }
    }

    /// Every loop's per-model tallies as last published, added up.
    func modelTallies() -> [String: LoopMetrics.ModelTally] {
        slots.withLock { slots in
            var merged = LoopMetrics.Histograms()
            for slot in slots { merged.models.merge(slot.models) { a, b in var a = a; a.merge(b); return a } }
            return merged.models
        }
    }

    /// The body of `GET /metrics`, from every loop's counters added up (`stats`) and every
    /// loop's latest histograms.
    func exposition(stats: LoopServer.Stats) -> ByteBuffer {
        var out: [UInt8] = []
        out.reserveCapacity(16 * 1024)
        slots.withLock { slots in
            var histograms = LoopMetrics.Histograms()
            for slot in slots { histograms.merge(slot) }
            connectionsOpen.set(Int64(stats.openConnections))
            streamsOpen.set(Int64(max(0, stats.streamsStarted - stats.streamsCompleted - stats.streamsAborted)))
            registry.emit(into: &out)
            Self.appendLoopMetrics(stats: stats, histograms: histograms, into: &out)
        }
        // A labeled family appears in the registry with its first label set: until then, its
        // HELP and TYPE still tell a scraper it exists.
        let emitted = String(decoding: out, as: UTF8.self)
        for family in [Self.requests, Self.faults] where !emitted.contains("# TYPE \(family.name) ") {
            PrometheusText.appendHeader(family.name, help: family.help, type: "counter", into: &out)
        }
        return ByteBuffer(out)
    }

    /// What the loops count themselves, rendered by hand.
    static func appendLoopMetrics(stats: LoopServer.Stats, histograms: LoopMetrics.Histograms, into out: inout [UInt8]) {
        PrometheusText.appendSingle(
            Name.connectionsAccepted, help: "Connections accepted.", type: "counter", value: stats.acceptedConnections, into: &out)
        PrometheusText.appendSingle(
            Name.streamEvents, help: "Stream events written.", type: "counter", value: stats.streamEvents, into: &out)
        PrometheusText.appendSingle(
            Name.backpressure, help: "Times a stream paused because its client read slower than it was written.",
            type: "counter", value: stats.streamsPaused, into: &out)
        PrometheusText.appendSingle(
            Name.webSocketsOpen, help: "WebSocket sessions open.", type: "gauge", value: stats.openWebSockets, into: &out)
        PrometheusText.appendSingle(
            Name.webSocketsOpened, help: "WebSocket sessions opened (101 written).", type: "counter", value: stats.webSocketsOpened,
            into: &out)
        PrometheusText.appendSingle(
            Name.webSocketMessagesIn, help: "WebSocket messages read from clients.", type: "counter", value: stats.webSocketMessagesIn,
            into: &out)
        PrometheusText.appendSingle(
            Name.webSocketMessagesOut, help: "WebSocket messages sent to clients.", type: "counter", value: stats.webSocketMessagesOut,
            into: &out)
        PrometheusText.appendHistogram(
            Name.timeToFirstToken, help: "Time from a stream's request to its first token event written.",
            histograms.timeToFirstToken, bounds: PrometheusText.latencyBounds, into: &out)
        PrometheusText.appendHistogram(
            Name.streamDuration, help: "Time from a stream's request to its end or cut.",
            histograms.streamDuration, bounds: PrometheusText.durationBounds, into: &out)
        PrometheusText.appendHistogram(
            Name.interToken, help: "Time between consecutive events of a stream as written, from its first token on (events written together: 0).",
            stats.payloadIntervals, bounds: PrometheusText.latencyBounds, into: &out)
        PrometheusText.appendHistogram(
            Name.lateness, help: "How late each timed write (stream event, delayed reply) was: written minus due.",
            stats.lateness, bounds: PrometheusText.latencyBounds, into: &out)
    }
}
