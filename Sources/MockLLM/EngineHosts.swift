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
    }

    private struct State {
        var hosts: [Key: EngineHost] = [:]
        /// The hosts of the last script asked for, by name.
        var current: [String: EngineHost] = [:]
        var stopped = false
    }

    private let state = Mutex(State())
    /// `--allow-runtime-lora`: adapters can be loaded at run time, so every engine has LoRA on
    /// (its `vllm:lora_requests_info` gauge), as vLLM with `--enable-lora`.
    let allowRuntimeLoRA: Bool
    /// The adapters loaded and unloaded at run time on these engines.
    let adapters: RuntimeAdapters

    init(allowRuntimeLoRA: Bool = false) {
        self.allowRuntimeLoRA = allowRuntimeLoRA
        adapters = RuntimeAdapters(allowed: allowRuntimeLoRA)
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
                let key = Key(name: name, profile: profile, timeScale: script.timeScale, models: models, lora: lora)
                if let host = state.hosts[key] {
                    hosts[name] = host
                } else if let host = try? EngineHost(name: name, profile: profile, timeScale: script.timeScale, models: models,
                                                     lora: lora) {
                    state.hosts[key] = host
                    hosts[name] = host
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
