import Logging
import MockLLMCore
import MockLLMHTTPServer
import MockLLMProviders
import MockLLMScript

/// Everything `MockServer` needs to start.
package struct ServerConfiguration: Sendable {
    /// Address to bind; loopback unless told otherwise, so a developer machine is not exposed.
    package var host: String
    /// 0 picks a free port (tests); the bound port is `MockServer.port`.
    package var port: Int
    package var script: Script
    /// Fixes ids and jitter for reproducible runs.
    package var seed: UInt64?
    package var limits: RequestParser.Limits
    /// Stop cleanly on SIGINT and SIGTERM (the CLI); tests stop with `MockServer.stop()`.
    package var handleSignals: Bool
    /// On SIGTERM/SIGINT, how long replies and streams in progress may take to finish before
    /// they are closed (0: close at once).
    package var drainMilliseconds: UInt64
    /// Keep-alive connections with no request for this long are closed.
    package var idleTimeoutMilliseconds: UInt64 = 75_000
    /// A request must arrive whole within this long of its first byte (else 408).
    package var requestTimeoutMilliseconds: UInt64 = 30_000
    /// A stream whose schedule runs longer than this is cut by closing its connection.
    package var maxStreamMilliseconds: UInt64 = 3_600_000
    /// WebSocket sessions' message limit, ping interval, idle and close timeouts.
    package var webSocket = LoopServer.WebSocketOptions()
    /// Connections served at once, over all workers; beyond it a request gets a quick 503.
    package var maxConnections = Int.max
    /// Provider endpoints require this key (Bearer or x-api-key); nil: no key needed.
    package var apiKey: String?
    /// Event loops, each on its own thread with its own SO_REUSEPORT listener (at least 1).
    package var workers: Int
    /// The file `script` was loaded from, to reload when it changes (nil: never reload).
    package var watchedScript: WatchedScript?
    /// Request journal entries kept over all workers (`GET /_mockllm/requests`); 0: no journal.
    package var journalSize = RequestJournal.defaultCapacity
    /// Required on every `/_mockllm/` endpoint when set (Bearer or x-mockllm-admin-token).
    package var adminToken: String?
    /// Whose names the serving-engine families on `/metrics` take (`--metrics-style`).
    var metricsStyle = EngineMetrics.Style.vllm
    /// The file `script` came from, for `POST /_mockllm/reload` when it is not watched.
    package var scriptPath: String?
    /// `--access-log`: one line per provider request to this logger; nil: none.
    package var accessLog: Logger?
    /// Responses API responses kept for `GET /v1/responses/{id}` and `previous_response_id`,
    /// the most recent first, over all workers; 0: none.
    package var responseStoreSize = ProviderSettings.defaultStoreCapacity
    /// Test scopes kept (`x-mockllm-test`, `/t/ID/`); past it the least recently used is dropped.
    package var testScopes = ScopeRegistry.defaultLimit
    /// The providers compiled in: the table's, plus those a package adds (`CustomProvider`).
    /// Scripts are loaded for them; a script's `providers:` come on top.
    package var providers = servedProviders
    /// `--replay-timing`, `--replay-ids`: how fixtures are replayed.
    package var replay = ReplayOptions()
    /// `--strict`: only fixtures, rules and `responses:` answer POSTs to provider endpoints.
    package var strict = false
    /// `--allow-runtime-lora` (or `VLLM_ALLOW_RUNTIME_LORA_UPDATING`): vLLM's adapter
    /// load/unload endpoints are served.
    package var allowRuntimeLoRA = false
    /// `--data-parallel-size`: ranks on consecutive ports from `port`, each with its own engines.
    package var dataParallelSize = 1
    /// `--kv-events-config`: the engines publish vLLM's KV-cache events; nil: they do not.
    package var kvEvents: KVEventsConfig?
    /// `--record DIR --upstream ...`: forward misses to the real APIs and record them; nil: off.
    package var recording: RecordingConfiguration?

    package struct WatchedScript: Sendable {
        package var path: String
        /// `ScriptLoader.Loaded.fingerprint` of the script already loaded.
        package var fingerprint: Int

        package init(path: String, fingerprint: Int) {
            self.path = path
            self.fingerprint = fingerprint
        }
    }

    package init(
        host: String = "127.0.0.1", port: Int = 8000, script: Script = Script(models: .builtIn), seed: UInt64? = nil,
        limits: RequestParser.Limits = RequestParser.Limits(), handleSignals: Bool = false,
        watchedScript: WatchedScript? = nil, workers: Int = 1, drainMilliseconds: UInt64 = 10_000
    ) {
        self.drainMilliseconds = drainMilliseconds
        self.workers = workers
        self.watchedScript = watchedScript
        self.host = host
        self.port = port
        self.script = script
        self.seed = seed
        self.limits = limits
        self.handleSignals = handleSignals
    }
}
