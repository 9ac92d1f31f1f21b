import MockLLMCore
import MockLLMScript
import Synchronization

/// LoRA adapters loaded and unloaded at run time (`POST /v1/load_lora_adapter`,
/// `/v1/unload_lora_adapter`, allowed by `--allow-runtime-lora` or
/// `VLLM_ALLOW_RUNTIME_LORA_UPDATING=true` as in vLLM), shared by every worker of a server.
///
/// They change the script's models, not the script: each worker lays them over its script
/// (`Application.servedScript`) when the generation changes, and a reload keeps them, as a
/// vLLM server keeps the adapters it loaded whatever else happens.
final class RuntimeAdapters: Sendable {
    struct Loaded: Sendable {
        var name: String
        var path: String
        var base: ModelInfo
    }

    private struct State {
        var loaded: [Loaded] = []
        /// Adapters of the script unloaded (vLLM unloads a `--lora-modules` adapter as well).
        var removed: Set<String> = []
    }

    let allowed: Bool
    private let state = Mutex(State())
    /// Bumped by every change: a worker whose overlay is of an older one makes it again.
    let generation = Atomic<Int>(0)

    init(allowed: Bool) {
        self.allowed = allowed
    }

    /// vLLM's switch: `VLLM_ALLOW_RUNTIME_LORA_UPDATING` is on when "1" or "true" (any case).
    static func allowedByEnvironment(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["1", "true"].contains(value.trimmingCharacters(in: .whitespaces).lowercased())
    }

    func add(_ adapter: Loaded) {
        state.withLock { state in
            state.removed.remove(adapter.name)
            state.loaded.append(adapter)
        }
        generation.add(1, ordering: .releasing)
    }

    /// Removes a loaded adapter, or hides one of the script's.
    func remove(_ name: String) {
        state.withLock { state in
            if let i = state.loaded.firstIndex(where: { $0.name == name }) {
                state.loaded.remove(at: i)
            } else {
                state.removed.insert(name)
            }
        }
        generation.add(1, ordering: .releasing)
    }

    /// `script` with the adapters loaded (on their base model's engine) and without those unloaded.
    func overlay(on script: Script) -> Script {
        let (loaded, removed) = state.withLock { ($0.loaded, $0.removed) }
        let hidden = removed.union(loaded.map(\.name))
        var models = script.models.models.filter { !hidden.contains($0.id) }
        for adapter in loaded {
            var model = ModelInfo(id: adapter.name, provider: adapter.base.provider, contextWindow: adapter.base.contextWindow,
                                  maxOutputTokens: adapter.base.maxOutputTokens, created: adapter.base.created)
            model.engine = adapter.base.engine
            model.parent = adapter.base.id
            model.loraPath = adapter.path
            models.append(model)
        }
        return script.withModels(ModelRegistry(models, added: script.models.added))
    }
}

/// vLLM's adapter endpoints (`vllm/entrypoints/openai/api_server.py`, `serving_models.py`):
/// bodies, replies and errors as vLLM writes them. Without runtime updating they do not exist
/// (FastAPI's 404), as vLLM registers them only then.
enum LoRAAdmin {
    static let endpoints: [BuiltinEndpoint] = [
        BuiltinEndpoint(method: "POST", path: "/v1/load_lora_adapter") { request, app in load(request, app) },
        BuiltinEndpoint(method: "POST", path: "/v1/unload_lora_adapter") { request, app in unload(request, app) },
    ]

    static func load(_ request: HTTPRequest, _ app: Application) -> Reply {
        guard let adapters = app.runtimeAdapters, adapters.allowed else { return notFound }
        guard let body = Application.jsonBody(request)?.objectValue else { return invalidBody }
        let name = body["lora_name"]?.stringValue ?? "", path = body["lora_path"]?.stringValue ?? ""
        guard !name.isEmpty, !path.isEmpty else {
            return error(400, "InvalidUserInput", "Both 'lora_name' and 'lora_path' must be provided.")
        }
        let script = app.servedScript
        guard script.models.resolve(name) == nil else {
            return error(400, "InvalidUserInput", "The lora adapter '\(name)' has already been loaded.")
        }
        // The base model: the one named, else the first model on an engine (vLLM's first served model).
        let base: ModelInfo?
        if let named = body["base_model_name"]?.stringValue {
            base = script.models.resolve(named).flatMap { $0.engine != nil && $0.parent == nil ? $0 : nil }
            guard base != nil else { return error(404, "NotFoundError", "The model `\(named)` does not exist.") }
        } else {
            base = script.models.models.first { $0.engine != nil && $0.parent == nil }
        }
        guard let base else {
            return error(400, "InvalidUserInput",
                         "No model runs on a serving engine: a LoRA adapter needs a base model with an 'engine' (engines:, models:).")
        }
        adapters.add(RuntimeAdapters.Loaded(name: name, path: path, base: base))
        return Reply(status: 200, headers: HTTPFields([HTTPFields.Field(name: "content-type", value: "text/plain; charset=utf-8")]),
                     body: .bytes(ByteBuffer("Success: LoRA adapter '\(name)' added successfully."), delay: 0))
    }

    static func unload(_ request: HTTPRequest, _ app: Application) -> Reply {
        guard let adapters = app.runtimeAdapters, adapters.allowed else { return notFound }
        guard let body = Application.jsonBody(request)?.objectValue else { return invalidBody }
        let name = body["lora_name"]?.stringValue ?? ""
        guard !name.isEmpty else {
            return error(400, "InvalidUserInput", "'lora_name' needs to be provided to unload a LoRA adapter.")
        }
        guard let model = app.servedScript.models.models.first(where: { $0.id == name && $0.parent != nil }) else {
            return error(404, "NotFoundError", "The lora adapter '\(name)' cannot be found.")
        }
        adapters.remove(name)
        if let engine = model.engine { app.engines[engine]?.unload(adapter: name) }
        return Reply(status: 200, headers: HTTPFields([HTTPFields.Field(name: "content-type", value: "text/plain; charset=utf-8")]),
                     body: .bytes(ByteBuffer("Success: LoRA adapter '\(name)' removed successfully."), delay: 0))
    }

    /// FastAPI's reply to a route it does not have.
    static var notFound: Reply { Reply.json(404, ByteBuffer(#"{"detail":"Not Found"}"#)) }

    static var invalidBody: Reply {
        error(400, "BadRequestError", "The body must be a JSON object with 'lora_name' (and 'lora_path' to load).")
    }

    /// vLLM's `ErrorResponse` (`VLLMEndpoints.error`).
    static func error(_ status: Int, _ type: String, _ message: String) -> Reply {
        VLLMEndpoints.error(status, type, message)
    }
}
