import MockLLMSimulation
import Synchronization

/// vLLM's metrics of one engine (`vllm/v1/metrics/loggers.py`, `PrometheusStatLogger`): the
/// same names, meanings and bucket boundaries, labelled `model_name`.
///
/// Recorded on the engine's thread, which knows each step's end exactly, and read when
/// `/metrics` is scraped, both under this object's own mutex (touched once per step and per
/// scrape, never on a worker loop's request path).
final class EngineMetrics: Sendable {
    /// A histogram with fixed bounds, as prometheus_client keeps one.
    struct Histogram: Sendable {
        let bounds: [Double]
        var counts: [UInt64]
        var sum = 0.0
        var count: UInt64 = 0

        init(_ bounds: [Double]) {
            self.bounds = bounds
            counts = Array(repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            if let i = bounds.firstIndex(where: { value <= $0 }) { counts[i] += 1 }
            sum += value
            count += 1
        }
    }

    /// What is kept per model that runs on the engine.
    struct PerModel: Sendable {
        var success: [String: UInt64] = [:]
        var timeToFirstToken = Histogram(EngineMetrics.ttftBounds)
        var interToken = Histogram(EngineMetrics.tpotBounds)
        var e2e = Histogram(EngineMetrics.requestLatencyBounds)
        var queue = Histogram(EngineMetrics.requestLatencyBounds)
        var prefill = Histogram(EngineMetrics.requestLatencyBounds)
        var decode = Histogram(EngineMetrics.requestLatencyBounds)
        var inference = Histogram(EngineMetrics.requestLatencyBounds)
        var promptTokens: Histogram
        var generationTokens: Histogram
        var promptTokensTotal: UInt64 = 0
        var generationTokensTotal: UInt64 = 0

        init(maxModelLength: Int) {
            promptTokens = Histogram(EngineMetrics.oneTwoFive(upTo: maxModelLength))
            generationTokens = Histogram(EngineMetrics.oneTwoFive(upTo: maxModelLength))
        }
    }

    struct State: Sendable {
        var running = 0
        var waiting = 0
        var kvUsage = 0.0
        var preemptions: UInt64 = 0
        var prefixQueries: UInt64 = 0
        var prefixHits: UInt64 = 0
        var models: [String: PerModel] = [:]
        /// Per step and loop with its tokens: when the loop began writing them, and when it had
        /// written the last, minus the step's end.
        var stepLateness = Histogram(EngineMetrics.latenessBounds)
        var stepWritten = Histogram(EngineMetrics.latenessBounds)
        /// `vllm:lora_requests_info`'s series in the order first set, each with its last update
        /// (seconds since the epoch). As prometheus_client keeps them, a label set once set stays.
        var loraSeries: [LoRAState] = []
        var loraUpdated: [LoRAState: Double] = [:]

        mutating func updateLoRA(_ labels: LoRAState, at time: Double) {
            if loraUpdated.updateValue(time, forKey: labels) == nil { loraSeries.append(labels) }
        }
    }

    /// The adapter labels of `vllm:lora_requests_info`: names joined by commas.
    struct LoRAState: Sendable, Hashable {
        var waiting: String
        var running: String
    }

    // vLLM's boundaries (loggers.py).
    static let ttftBounds = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
                             20.0, 40.0, 80.0, 160.0, 640.0, 2560.0]
    static let tpotBounds = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0]
    static let requestLatencyBounds = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0,
                                       240.0, 480.0, 960.0, 1920.0, 7680.0]
    /// mockllm's own: how late a loop began writing a step's tokens, and finished.
    static let latenessBounds = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1]

    /// vLLM's `build_1_2_5_buckets(max_model_len)`: 1, 2, 5, 10, 20, 50... up to the maximum.
    static func oneTwoFive(upTo maximum: Int) -> [Double] {
        var bounds: [Double] = []
        var scale = 1
        while true {
            for m in [1, 2, 5] {
                let (value, overflow) = m.multipliedReportingOverflow(by: scale)
                if overflow || value > maximum { return bounds }
                bounds.append(Double(value))
            }
            scale *= 10
        }
    }

    let engine: String
    let profile: EngineProfile
    /// The models of the registry that run on this engine, in registry order.
    let modelNames: [String]
    let state: Mutex<State>
    /// LoRA is on (vLLM's `--enable-lora`): the engine has adapters, or may load some.
    let lora: Bool

    init(engine: String, profile: EngineProfile, models: [String], lora: Bool = false) {
        self.engine = engine
        self.profile = profile
        self.lora = lora
        modelNames = models
        var initial = State()
        // vLLM's maximum model length bounds its token histograms; here the KV cache does.
        for model in models { initial.models[model] = PerModel(maxModelLength: profile.kvCacheTokens) }
        state = Mutex(initial)
    }

    /// Registry models plus any model name seen in a request (a model served under another
    /// name); each has its label set.
    func withModel(_ model: String, in state: inout State, _ body: (inout PerModel) -> Void) {
        // `index(forKey:)`, not `models[model] == nil`: that comparison copies the value out.
        if state.models.index(forKey: model) == nil { state.models[model] = PerModel(maxModelLength: profile.kvCacheTokens) }
        body(&state.models[model]!)
    }
}

extension EngineMetrics {
    /// Whose names the families take: vLLM's (`vllm:`), or SGLang's (`sglang:`, its
    /// `metrics/collector.py`: the same `model_name` label, its own names for the queue, the KV
    /// usage and the prefix cache, and no family vLLM alone has).
    enum Style: String, Sendable, CaseIterable {
        case vllm, sglang

        /// The family's name in this style, nil when this engine does not have it.
        func name(_ vllm: String) -> String? {
            switch self {
            case .vllm: return vllm
            case .sglang: return Self.sglangNames[vllm]
            }
        }

        static let sglangNames = [
            "vllm:num_requests_running": "sglang:num_running_reqs",
            "vllm:num_requests_waiting": "sglang:num_queue_reqs",
            "vllm:kv_cache_usage_perc": "sglang:token_usage",
            "vllm:prompt_tokens_total": "sglang:prompt_tokens_total",
            "vllm:generation_tokens_total": "sglang:generation_tokens_total",
            "vllm:time_to_first_token_seconds": "sglang:time_to_first_token_seconds",
            "vllm:inter_token_latency_seconds": "sglang:inter_token_latency_seconds",
            "vllm:e2e_request_latency_seconds": "sglang:e2e_request_latency_seconds",
        ]
    }

    /// The serving-engine families, each once: a sample per model of every engine, then one per
    /// model without an engine (`plain`: running = its requests in flight, waiting 0, KV usage 0,
    /// its tokens; no histogram samples). With neither, the families are still declared.
    static func exposition(of engines: [EngineMetrics], plain: [(key: String, value: LoopMetrics.ModelTally)] = [], style: Style = .vllm,
                           into out: inout [UInt8]) {
        let snapshots = engines.map { metrics in (metrics, metrics.state.withLock { $0 }) }
        func samples(_ vllmName: String, help: String, type: String, plain plainValue: ((LoopMetrics.ModelTally) -> String)? = nil,
                     _ value: (EngineMetrics, State, String) -> String) {
            guard let name = style.name(vllmName) else { return }
            header(name, help: help, type: type, into: &out)
            for (metrics, state) in snapshots {
                for model in state.models.keys.sorted() {
                    out.append(contentsOf: "\(name){model_name=\"\(escaped(model))\"} \(value(metrics, state, model))\n".utf8)
                }
            }
            guard let plainValue else { return }
            for (model, tally) in plain {
                out.append(contentsOf: "\(name){model_name=\"\(escaped(model))\"} \(plainValue(tally))\n".utf8)
            }
        }
        samples("vllm:num_requests_running", help: "Number of requests in model execution batches.", type: "gauge", plain: { "\($0.running)" }) {
            _, s, _ in "\(s.running)"
        }
        samples("vllm:num_requests_waiting", help: "Number of requests waiting to be processed.", type: "gauge", plain: { _ in "0" }) { _, s, _ in
            "\(s.waiting)"
        }
        samples("vllm:kv_cache_usage_perc", help: "KV-cache usage. 1 means 100 percent usage.", type: "gauge", plain: { _ in "0.0" }) { _, s, _ in
            "\(s.kvUsage)"
        }
        samples("vllm:gpu_cache_usage_perc", help: "GPU KV-cache usage. 1 means 100 percent usage.DEPRECATED: Use vllm:kv_cache_usage_perc instead.",
                type: "gauge", plain: { _ in "0.0" }) { _, s, _ in "\(s.kvUsage)" }
        if style == .sglang {
            header("sglang:cache_hit_rate", help: "The prefix cache hit rate.", type: "gauge", into: &out)
            for (_, state) in snapshots {
                let rate = state.prefixQueries == 0 ? 0 : Double(state.prefixHits) / Double(state.prefixQueries)
                for model in state.models.keys.sorted() {
                    out.append(contentsOf: "sglang:cache_hit_rate{model_name=\"\(escaped(model))\"} \(rate)\n".utf8)
                }
            }
            for (model, _) in plain { out.append(contentsOf: "sglang:cache_hit_rate{model_name=\"\(escaped(model))\"} 0.0\n".utf8) }
        }
        samples("vllm:num_preemptions_total", help: "Cumulative number of preemption from the engine.", type: "counter") { _, s, _ in "\(s.preemptions)" }
        samples("vllm:prefix_cache_queries_total", help: "Prefix cache queries, in terms of number of queried tokens.", type: "counter") { _, s, _ in
            "\(s.prefixQueries)"
        }
        samples("vllm:prefix_cache_hits_total", help: "Prefix cache hits, in terms of number of cached tokens.", type: "counter") { _, s, _ in
            "\(s.prefixHits)"
        }
        samples("vllm:prompt_tokens_total", help: "Number of prefill tokens processed.", type: "counter", plain: { "\($0.promptTokens)" }) { _, s, m in
            "\(s.models[m]!.promptTokensTotal)"
        }
        samples("vllm:generation_tokens_total", help: "Number of generation tokens processed.", type: "counter",
                plain: { "\($0.generationTokens)" }) { _, s, m in
            "\(s.models[m]!.generationTokensTotal)"
        }
        if let name = style.name("vllm:request_success_total") {
            header(name, help: "Count of successfully processed requests.", type: "counter", into: &out)
            for (_, state) in snapshots {
                for model in state.models.keys.sorted() {
                    for reason in ["stop", "length", "abort"] {
                        let n = state.models[model]!.success[reason] ?? 0
                        out.append(contentsOf: "\(name){model_name=\"\(escaped(model))\",finished_reason=\"\(reason)\"} \(n)\n".utf8)
                    }
                }
            }
        }
        let histograms: [(String, String, KeyPath<PerModel, Histogram>)] = [
            ("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", \.timeToFirstToken),
            ("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", \.interToken),
            ("vllm:time_per_output_token_seconds",
             "Histogram of time per output token in seconds.DEPRECATED: Use vllm:inter_token_latency_seconds instead.", \.interToken),
            ("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", \.e2e),
            ("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", \.queue),
            ("vllm:request_inference_time_seconds", "Histogram of time spent in RUNNING phase for request.", \.inference),
            ("vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.", \.prefill),
            ("vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.", \.decode),
            ("vllm:request_prompt_tokens", "Number of prefill tokens processed.", \.promptTokens),
            ("vllm:request_generation_tokens", "Number of generation tokens processed.", \.generationTokens),
        ]
        for (vllmName, help, path) in histograms {
            guard let name = style.name(vllmName) else { continue }
            header(name, help: help, type: "histogram", into: &out)
            for (_, state) in snapshots {
                for model in state.models.keys.sorted() {
                    append(state.models[model]![keyPath: path], name: name, labels: "model_name=\"\(escaped(model))\"", into: &out)
                }
            }
        }
        guard !snapshots.isEmpty else { return }
        if style == .vllm {
            header("vllm:cache_config_info", help: "Information of the LLMEngine CacheConfig", type: "gauge", into: &out)
            for (metrics, state) in snapshots {
                let p = metrics.profile
                for model in state.models.keys.sorted() {
                    out.append(contentsOf: ("vllm:cache_config_info{model_name=\"\(escaped(model))\",engine=\"\(escaped(metrics.engine))\","
                        + "block_size=\"\(p.blockSize)\",num_gpu_blocks=\"\(p.kvCacheBlocks)\","
                        + "enable_prefix_caching=\"\(p.prefixCaching ? "True" : "False")\",cache_dtype=\"auto\"} 1\n").utf8)
                }
            }
        }
        if snapshots.contains(where: { $0.0.lora }) {
            // prometheus_client writes the labels in their declared order: max_lora,
            // waiting_lora_adapters, running_lora_adapters (vllm/v1/metrics/loggers.py).
            header("vllm:lora_requests_info", help: "Running stats on lora requests.", type: "gauge", into: &out)
            for (metrics, state) in snapshots where metrics.lora {
                for series in state.loraSeries {
                    out.append(contentsOf: ("vllm:lora_requests_info{max_lora=\"\(metrics.profile.maxLoras)\","
                        + "waiting_lora_adapters=\"\(escaped(series.waiting))\",running_lora_adapters=\"\(escaped(series.running))\"} "
                        + "\(state.loraUpdated[series]!)\n").utf8)
                }
            }
        }
        header("mockllm_engine_step_lateness_seconds",
               help: "Time from an engine step's end to the loop of its requests beginning to write its tokens (the step boundary's lateness), per step and loop.",
               type: "histogram", into: &out)
        for (metrics, state) in snapshots {
            append(state.stepLateness, name: "mockllm_engine_step_lateness_seconds", labels: "engine=\"\(escaped(metrics.engine))\"", into: &out)
        }
        header("mockllm_engine_step_written_seconds",
               help: "Time from an engine step's end to the last of its tokens written by the loop of its requests, per step and loop.",
               type: "histogram", into: &out)
        for (metrics, state) in snapshots {
            append(state.stepWritten, name: "mockllm_engine_step_written_seconds", labels: "engine=\"\(escaped(metrics.engine))\"", into: &out)
        }
    }

    private static func header(_ name: String, help: String, type: String, into out: inout [UInt8]) {
        out.append(contentsOf: "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n".utf8)
    }

    private static func append(_ h: Histogram, name: String, labels: String, into out: inout [UInt8]) {
        var cumulative: UInt64 = 0
        for (bound, count) in zip(h.bounds, h.counts) {
            cumulative += count
            out.append(contentsOf: "\(name)_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n".utf8)
        }
        out.append(contentsOf: "\(name)_bucket{\(labels),le=\"+Inf\"} \(h.count)\n".utf8)
        out.append(contentsOf: "\(name)_sum{\(labels)} \(h.sum)\n".utf8)
        out.append(contentsOf: "\(name)_count{\(labels)} \(h.count)\n".utf8)
    }

    private static func escaped(_ value: String) -> String {
        var out = ""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out
    }
}
