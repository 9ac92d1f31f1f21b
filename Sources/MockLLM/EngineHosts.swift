import MockLLMLoop
import MockLLMScript
import MockLLMSimulation
import Synchronization

/// The engines of the server: one `EngineHost` per `engines:` entry, shared by every worker.
///
/// Each worker's application asks for the hosts of its script once, when the script arrives
/// (at start and on each reload), and keeps the answer: the request path takes no lock.
/// A reload that keeps an engine's profile, its models and `settings.time_scale` keeps its host
/// (requests in progress, queue and metrics carry on); one that changes any of them gets a new
/// host for new requests, while the old one finishes the requests it has (their loops still
/// hold their tickets) and stops with the server. `/metrics` shows the current hosts.
final class EngineHosts: Sendable {
    private struct Key: Hashable {
        let name: String
        let profile: EngineProfile
        let timeScale: Double
        let models: [String]
        let lora: Bool
        /// Where it publishes KV-cache events (its `kv_events:`, else `--kv-events-config`).
        let events: KVEventsConfig?
    }

    private struct State {
        var hosts: [Key: EngineHost] = [:]
        /// The hosts of the last script asked for, by name.
        var current: [String: EngineHost] = [:]
        var stopped = false
        /// Engines whose KV-cache event endpoint could not be bound, with why.
        var eventProblems: [String] = []
    }

    private let state = Mutex(State())
    /// `--allow-runtime-lora`: adapters can be loaded at run time, so every engine has LoRA on
    /// (its `vllm:lora_requests_info` gauge), as vLLM with `--enable-lora`.
    let allowRuntimeLoRA: Bool
    /// The adapters loaded and unloaded at run time on these engines.
    let adapters: RuntimeAdapters

    /// `--kv-events-config` (an engine's `kv_events:` in the script comes first), and this rank
    /// (the port offset of its endpoints).
    let kvEvents: KVEventsConfig?
    let rank: Int

    init(allowRuntimeLoRA: Bool = false, kvEvents: KVEventsConfig? = nil, rank: Int = 0) {
        self.allowRuntimeLoRA = allowRuntimeLoRA
        adapters = RuntimeAdapters(allowed: allowRuntimeLoRA)
        self.kvEvents = kvEvents?.publishes == true ? kvEvents : nil
        self.rank = rank
    }

    /// Engines that could not publish KV-cache events (their endpoint could not be bound).
    var eventProblems: [String] { state.withLock { $0.eventProblems } }

    /// The KV-cache event endpoints of the current engines, by engine name.
    var eventEndpoints: [(engine: String, endpoints: [String])] {
        state.withLock { state in
            state.current.keys.sorted().compactMap { name in
                state.current[name].flatMap { $0.eventEndpoints.isEmpty ? nil : (name, $0.eventEndpoints) }
            }
        }
    }

    /// The hosts serving `script`'s engines, made when first asked for.
    func hosts(for script: Script) -> [String: EngineHost] {
        guard !script.engines.isEmpty else { return [:] }
        return state.withLock { state in
            guard !state.stopped else { return [:] }
            var hosts: [String: EngineHost] = [:]
            for (name, profile) in script.engines {
                // Adapters are labelled with their base model (vLLM's `model_name`), and runtime
                // ones come and go without a new host: only base models make the key.
                let onEngine = script.models.models.filter { $0.engine == name }
                let models = onEngine.filter { $0.parent == nil }.map(\.id)
                let lora = allowRuntimeLoRA || onEngine.contains { $0.parent != nil }
                // The entry's own `kv_events:` over the flag's.
                let events = (script.engineEvents[name] ?? kvEvents).flatMap { $0.publishes ? $0 : nil }
                let key = Key(name: name, profile: profile, timeScale: script.timeScale, models: models, lora: lora, events: events)
                if let host = state.hosts[key] {
                    hosts[name] = host
                } else {
                    // The engine it replaces gives up its KV-event endpoint for it.
                    state.current[name]?.retirePublisher()
                    let host: EngineHost?
                    do throws(UVError) {
                        host = try EngineHost(name: name, profile: profile, timeScale: script.timeScale, models: models, lora: lora,
                                              kvEvents: events, rank: rank)
                    } catch {
                        if let events, profile.prefixCaching {
                            state.eventProblems.append("engine \(name) cannot publish KV-cache events on \(events.endpoint) (rank \(rank)): \(error.message)")
                        }
                        // Served without events rather than not at all.
                        host = try? EngineHost(name: name, profile: profile, timeScale: script.timeScale, models: models, lora: lora)
                    }
                    if let host {
                        state.hosts[key] = host
                        hosts[name] = host
                    }
                }
            }
            state.current = hosts
            return hosts
        }
    }

    /// vLLM's metrics of the current engines, for `/metrics`.
    var metrics: [EngineMetrics] {
        state.withLock { state in state.current.keys.sorted().compactMap { state.current[$0]?.metrics } }
    }

    /// Stops every engine's thread (after the workers have stopped).
    func stopAll() {
        let hosts = state.withLock { state in
            state.stopped = true
            defer { state.hosts.removeAll() }
            return Array(state.hosts.values)
        }
        for host in hosts { host.stop() }
    }
}
