import ArgumentParser
import Foundation
import Logging
import MockLLM
import MockLLMProviders
import Synchronization

/// The `mockllm` command line as a library: the `mockllm` executable is one call to it, and a
/// package that adds providers of its own (`CustomProvider`) gets the same commands, options and
/// environment for its binary:
///
/// ```swift
/// import MockLLM
/// import MockLLMCommandLine
///
/// @main enum Main {
///     static func main() { MockLLMCommandLine.main(adding: [MyCompany.self]) }
/// }
/// ```
public enum MockLLMCommandLine {
    /// Parses the process's arguments and runs the command (`serve` by default); exits with its
    /// status: 0, 1 for a failure, 2 for a usage error (as the original's command line).
    /// - Parameter providers: served beside the built-in ones, in this order.
    public static func main(adding providers: [any CustomProvider.Type] = []) -> Never {
        served.withLock { $0 = servedProviders + providers.map { ServedProvider(custom: $0) } }
        do {
            var command = try MockLLMCommand.parseAsRoot()
            try command.run()
            MockLLMCommand.exit()
        } catch {
            if MockLLMCommand.exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((MockLLMCommand.fullMessage(for: error) + "\n").utf8))
                exit(2)
            }
            MockLLMCommand.exit(withError: error)
        }
    }

    /// The providers of this process: set once by `main`, before any command runs.
    static let served = Mutex(servedProviders)
    static var providers: [ServedProvider] { served.withLock { $0 } }
}

/// `mockllm`: argument parsing only; the work is in the MockLLM library (`Launcher`).
struct MockLLMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mockllm",
        abstract: "A mock LLM API server (OpenAI-compatible) answering from a YAML script.",
        discussion: "Run without a subcommand to serve. Environment: MOCKLLM_HOST, MOCKLLM_PORT, MOCKLLM_RESPONSES_FILE, MOCKLLM_WORKERS, MOCKLLM_DRAIN_TIMEOUT, MOCKLLM_API_KEY, MOCKLLM_ADMIN_TOKEN, MOCKLLM_LOG_LEVEL, MOCKLLM_LOG_FORMAT, MOCKLLM_ACCESS_LOG, MOCKLLM_STRICT. Reference: docs/CLI.md.",
        version: Launcher.version,
        subcommands: [Serve.self, Start.self, Validate.self, Bench.self, Health.self, EngineCommand.self],
        defaultSubcommand: Serve.self)
}

struct LoggingOptions: ParsableArguments {
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env MOCKLLM_LOG_LEVEL; default info).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text or json: one JSON object per line (env MOCKLLM_LOG_FORMAT; default text).")
    var logFormat: String?

    func bootstrap() throws -> Logger {
        let text = logLevel ?? ProcessInfo.processInfo.environment["MOCKLLM_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("unknown log level '\(text)': use trace, debug, info, notice, warning, error or critical")
        }
        switch (logFormat ?? ProcessInfo.processInfo.environment["MOCKLLM_LOG_FORMAT"] ?? "text").lowercased() {
        case "text": LoggingSystem.bootstrap(StreamLogHandler.standardError)
        case "json": LoggingSystem.bootstrap(JSONLogHandler.init)
        case let other: throw ValidationError("unknown log format '\(other)': use text or json")
        }
        var logger = Logger(label: "mockllm")
        logger.logLevel = level
        return logger
    }
}

/// The flags' values against the ranges `serve` holds them to (one table, `Launcher.check`).
func check(_ options: Launcher.ServeOptions) throws {
    do {
        try Launcher.check(options)
    } catch {
        throw ValidationError(error.message)
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Serve the mock API (the default command).")

    @Option(help: "Address to bind (env MOCKLLM_HOST; default 127.0.0.1, use 0.0.0.0 to accept other hosts).")
    var host: String?

    @Option(help: "Port to listen on (env MOCKLLM_PORT; default 8000; 0 picks a free port).")
    var port: Int?

    @Option(name: [.customShort("r"), .long], help: "Script file, or a directory whose *.yml and *.yaml files load as one script (fixtures) (env MOCKLLM_RESPONSES_FILE; default ./responses.yml, else a built-in script).")
    var responses: String?

    @Option(help: "Seed for ids and jitter, for reproducible runs.")
    var seed: UInt64?

    @Option(help: "Event loops, one thread each, sharing the port via SO_REUSEPORT: a number or 'auto' (one per CPU) (env MOCKLLM_WORKERS; default 1).")
    var workers: String?

    @Option(name: .customLong("drain-timeout"), help: "Seconds replies and streams in progress may take to finish after SIGTERM/SIGINT before they are closed; a second signal stops at once (env MOCKLLM_DRAIN_TIMEOUT; default 10; 0: close at once).")
    var drainTimeout: Double?

    @Option(name: .customLong("idle-timeout"), help: "Seconds a keep-alive connection may wait for its next request before it is closed (default 75).")
    var idleTimeout: Double?

    @Option(name: .customLong("request-timeout"), help: "Seconds a request may take to arrive whole after its first byte, else 408 and close (default 30).")
    var requestTimeout: Double?

    @Option(name: .customLong("max-stream-duration"), help: "Seconds a stream may last; a longer one is cut by closing its connection (default 3600).")
    var maxStreamDuration: Double?

    @Option(name: .customLong("ws-ping-interval"), help: "Seconds a WebSocket client may stay silent before the server pings it (default 30; 0: never).")
    var webSocketPingInterval: Double?

    @Option(name: .customLong("ws-idle-timeout"), help: "Seconds a WebSocket client may stay silent, pongs included, before the server closes the session with 1001 (default 120).")
    var webSocketIdleTimeout: Double?

    @Option(name: .customLong("max-connections"), help: "Connections served at once; beyond them a request gets a quick 503 and the connection closes (default: the open-file limit less 64).")
    var maxConnections: Int?

    @Option(name: .customLong("api-key"), help: "Require this key on provider endpoints, as 'Authorization: Bearer KEY', 'x-api-key: KEY', 'x-goog-api-key: KEY' or '?key=KEY' (env MOCKLLM_API_KEY; default: none).")
    var apiKey: String?

    @Option(name: .customLong("journal-size"), help: "Requests kept in the journal, GET /_mockllm/requests (default 1000; 0: no journal).")
    var journalSize: Int?

    @Option(name: .customLong("admin-token"), help: "Require this token on /_mockllm/ endpoints, as 'Authorization: Bearer TOKEN' or 'x-mockllm-admin-token: TOKEN' (env MOCKLLM_ADMIN_TOKEN; default: none).")
    var adminToken: String?

    @Option(name: .customLong("metrics-style"), help: "Names of the serving-engine metrics on /metrics: vllm (vllm:num_requests_running...) or sglang (sglang:num_running_reqs...) (env MOCKLLM_METRICS_STYLE; default vllm).")
    var metricsStyle: String?

    @Option(name: .customLong("response-store-size"), help: "Responses API responses kept for GET /v1/responses/{id} and previous_response_id, the most recent (default 1000; 0: none).")
    var responseStoreSize: Int?

    @Option(name: .customLong("test-scopes"), help: "Test scopes kept (x-mockllm-test header or /t/ID/ path prefix), each with its own counters, quotas, faults, stored responses and script; past it the least recently used is dropped (default 10000).")
    var testScopes: Int?

    @Flag(name: .customLong("access-log"), help: "Log one line per provider request: method, path, status, rule, fault (env MOCKLLM_ACCESS_LOG=1; default off).")
    var accessLog = false

    @Flag(name: .customLong("no-reload"), help: "Do not reload the script when its file changes.")
    var noReload = false

    @Flag(help: "Refuse (404 in the protocol's shape) every POST to a provider endpoint that no fixture, rule or 'responses' entry answers: no default reply, automatic tool calls or structured output (env MOCKLLM_STRICT=1).")
    var strict = false

    @Flag(name: .customLong("allow-runtime-lora"), help: "Serve vLLM's POST /v1/load_lora_adapter and /v1/unload_lora_adapter, which add and remove LoRA adapters of a model on a serving engine at run time (env VLLM_ALLOW_RUNTIME_LORA_UPDATING=true, as vLLM).")
    var allowRuntimeLoRA = false

    @Option(name: .customLong("data-parallel-size"), help: "Serve N data-parallel ranks on N consecutive ports (--port, --port+1, ...), each with its own serving engines, metrics and runtime LoRA adapters, as llm-d's inference simulator does (1 to 8; default 1).")
    var dataParallelSize: Int?

    @Option(name: .customLong("kv-events-config"), help: "Publish vLLM's KV-cache events (BlockStored, BlockRemoved, AllBlocksCleared; msgpack over a ZeroMQ PUB socket) from every serving engine with prefix caching, configured as vLLM's flag is, e.g. '{\"enable_kv_cache_events\":true,\"endpoint\":\"tcp://*:5557\",\"topic\":\"kv-events\"}'; each data-parallel rank adds its rank to the port.")
    var kvEventsConfig: String?

    @Option(name: .customLong("replay-timing"), help: "When a fixture's recorded stream events go out: recorded (at their recorded offsets), scaled:F (offsets x F) or script (the script's pacing; the default).")
    var replayTiming: String?

    @Option(name: .customLong("replay-ids"), help: "keep (the recorded bytes; the default) or regenerate (fresh response, message and tool-call ids, the same across a stream's events).")
    var replayIDs: String?

    @Option(help: "Record mode: forward each request no fixture, rule or 'responses' entry answers to its protocol's --upstream and write the exchange to this directory, DIR/<x-mockllm-test>.yml or DIR/recorded.yml; without --responses the script is the fixtures in DIR (env MOCKLLM_RECORD).")
    var record: String?

    @Option(name: .customLong("upstream"), help: "With --record: where a protocol's misses go, PROVIDER=URL with PROVIDER openai, anthropic, gemini, ollama, vertex, vertex-anthropic, azure or bedrock, e.g. openai=https://api.openai.com (repeatable; env MOCKLLM_UPSTREAM, comma-separated).")
    var upstreams: [String] = []

    @Option(name: .customLong("upstream-ca"), help: "PEM file of the certificate authorities to trust for the upstreams instead of the system store (env MOCKLLM_UPSTREAM_CA).")
    var upstreamCA: String?

    @Option(name: .customLong("upstream-connect-timeout"), help: "Seconds to resolve, connect and finish the TLS handshake with an upstream, else 504 (env MOCKLLM_UPSTREAM_CONNECT_TIMEOUT; default 10).")
    var upstreamConnectTimeout: Double?

    @Option(name: .customLong("upstream-first-byte-timeout"), help: "Seconds from forwarding a request to the upstream's response head, else 504 (env MOCKLLM_UPSTREAM_FIRST_BYTE_TIMEOUT; default 120).")
    var upstreamFirstByteTimeout: Double?

    @Option(name: .customLong("upstream-idle-timeout"), help: "Seconds an upstream's body may pause, else the reply ends in error and nothing is recorded (env MOCKLLM_UPSTREAM_IDLE_TIMEOUT; default 60).")
    var upstreamIdleTimeout: Double?

    @Flag(name: .customLong("record-errors"), help: "Also record upstream answers whose status is not 2xx (by default a 429 or 500 is passed to the client and not recorded) (env MOCKLLM_RECORD_ERRORS=1).")
    var recordErrors = false

    @OptionGroup var logging: LoggingOptions

    var options: Launcher.ServeOptions {
        var options = Launcher.ServeOptions(host: host, port: port, responses: responses, seed: seed, reload: !noReload,
                                            workers: workers, drainTimeout: drainTimeout)
        options.strict = strict
        options.allowRuntimeLoRA = allowRuntimeLoRA
        options.dataParallelSize = dataParallelSize
        options.kvEventsConfig = kvEventsConfig
        options.replayTiming = replayTiming
        options.replayIDs = replayIDs
        options.record = record
        options.upstreams = upstreams
        options.upstreamCA = upstreamCA
        options.upstreamConnectTimeout = upstreamConnectTimeout
        options.upstreamFirstByteTimeout = upstreamFirstByteTimeout
        options.upstreamIdleTimeout = upstreamIdleTimeout
        options.recordErrors = recordErrors
        options.idleTimeout = idleTimeout
        options.requestTimeout = requestTimeout
        options.apiKey = apiKey
        options.maxConnections = maxConnections
        options.maxStreamDuration = maxStreamDuration
        options.webSocketPingInterval = webSocketPingInterval
        options.webSocketIdleTimeout = webSocketIdleTimeout
        options.journalSize = journalSize
        options.adminToken = adminToken
        options.accessLog = accessLog
        options.metricsStyle = metricsStyle
        options.responseStoreSize = responseStoreSize
        options.testScopes = testScopes
        return options
    }

    func validate() throws { try check(options) }

    func run() throws {
        let logger = try logging.bootstrap()
        throw ExitCode(Launcher.serve(options, environment: ProcessInfo.processInfo.environment, logger: logger,
                                      providers: MockLLMCommandLine.providers))
    }
}

/// The original mockllm's command line, accepted unchanged: `-h` is the host there, not help.
struct Start: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve, with the original mockllm's options (-r FILE, -h HOST, -p PORT).",
        helpNames: [.long])

    @Option(name: [.customShort("r"), .long], help: "Script file.")
    var responses: String?

    @Option(name: [.customShort("h"), .long], help: "Address to bind (default 127.0.0.1).")
    var host: String?

    @Option(name: [.customShort("p"), .long], help: "Port to listen on (default 8000).")
    var port: Int?

    @Flag(help: "Accepted for compatibility with the original mockllm (reloading is on unless --no-reload).")
    var reload = false

    @Flag(name: .customLong("no-reload"), help: "Do not reload the script when its file changes.")
    var noReload = false

    @OptionGroup var logging: LoggingOptions

    var options: Launcher.ServeOptions { Launcher.ServeOptions(host: host, port: port, responses: responses, reload: !noReload) }

    func validate() throws { try check(options) }

    func run() throws {
        let logger = try logging.bootstrap()
        throw ExitCode(Launcher.serve(options, environment: ProcessInfo.processInfo.environment, logger: logger,
                                      providers: MockLLMCommandLine.providers))
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a script file, or a directory of them: exit 0 if valid, 1 if invalid, 2 if missing.")

    @Argument(help: "The script file, or directory of script files (fixtures), to check.")
    var responsesFile: String

    func run() throws {
        throw ExitCode(Launcher.validate(path: responsesFile, providers: MockLLMCommandLine.providers))
    }
}

