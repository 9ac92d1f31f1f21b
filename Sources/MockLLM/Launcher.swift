import Foundation
import Logging
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import MockLLMUpstream

/// What the `serve`/`start` and `validate` commands do, kept out of the executable so it can be
/// tested; `main.swift` only parses arguments.
package enum Launcher {
    package static let version = "0.1.0"

    /// Command-line values; nil means "not given" (then the environment, then the default).
    package struct ServeOptions: Sendable {
        package var host: String?
        package var port: Int?
        package var responses: String?
        package var seed: UInt64?
        /// Watch the script file and reload it when it changes.
        package var reload: Bool
        /// `--workers`: a count or "auto" (one per CPU); nil: MOCKLLM_WORKERS, else 1.
        package var workers: String?
        /// `--drain-timeout` seconds; nil: MOCKLLM_DRAIN_TIMEOUT, else 10.
        package var drainTimeout: Double?
        /// `--idle-timeout` / `--request-timeout` seconds; nil: the defaults (75 and 30).
        package var idleTimeout: Double?
        package var requestTimeout: Double?
        /// `--max-stream-duration` seconds; nil: 3600.
        package var maxStreamDuration: Double?
        /// `--ws-ping-interval` / `--ws-idle-timeout` seconds; nil: the defaults (30 and 120).
        package var webSocketPingInterval: Double?
        package var webSocketIdleTimeout: Double?
        /// `--max-connections`; nil: the open-file limit less 64 descriptors kept for the rest.
        package var maxConnections: Int?
        /// `--api-key`; nil: MOCKLLM_API_KEY, else none.
        package var apiKey: String?
        /// `--journal-size`; nil: 1000. `--admin-token`; nil: MOCKLLM_ADMIN_TOKEN, else none.
        package var journalSize: Int?
        package var adminToken: String?
        /// `--access-log`; false: MOCKLLM_ACCESS_LOG (1 or true), else none.
        package var accessLog = false
        /// `--metrics-style`: `vllm` or `sglang`, the serving-engine families' names; nil:
        /// MOCKLLM_METRICS_STYLE, else `vllm`.
        package var metricsStyle: String?
        /// `--response-store-size`; nil: 1000.
        package var responseStoreSize: Int?
        /// `--strict`; false: MOCKLLM_STRICT (1 or true), else off.
        package var strict = false
        /// `--allow-runtime-lora`; false: VLLM_ALLOW_RUNTIME_LORA_UPDATING (1 or true), else off.
        package var allowRuntimeLoRA = false
        /// `--data-parallel-size`; nil: 1.
        package var dataParallelSize: Int?
        /// `--kv-events-config` (vLLM's JSON); nil: no KV-cache events.
        package var kvEventsConfig: String?
        /// `--replay-timing` (`recorded`, `scaled:F`, `script`), `--replay-ids` (`keep`, `regenerate`); nil: the defaults.
        package var replayTiming: String?
        package var replayIDs: String?
        /// `--test-scopes`; nil: 10000.
        package var testScopes: Int?
        /// `--record DIR`; nil: MOCKLLM_RECORD, else not recording.
        package var record: String?
        /// `--upstream PROVIDER=URL`, repeatable; empty: MOCKLLM_UPSTREAM (comma-separated).
        package var upstreams: [String] = []
        /// `--upstream-ca FILE`; nil: MOCKLLM_UPSTREAM_CA, else the system store.
        package var upstreamCA: String?
        /// `--upstream-connect-timeout`, `--upstream-first-byte-timeout`, `--upstream-idle-timeout`
        /// seconds; nil: 10, 120 and 60.
        package var upstreamConnectTimeout: Double?
        package var upstreamFirstByteTimeout: Double?
        package var upstreamIdleTimeout: Double?
        /// `--record-errors`: record upstream answers that are not 2xx too.
        package var recordErrors = false

        package init(host: String? = nil, port: Int? = nil, responses: String? = nil, seed: UInt64? = nil,
                    reload: Bool = true, workers: String? = nil, drainTimeout: Double? = nil) {
            self.workers = workers
            self.drainTimeout = drainTimeout
            self.host = host
            self.port = port
            self.responses = responses
            self.seed = seed
            self.reload = reload
        }
    }

    /// A value out of its range, in one line naming the flag or environment variable.
    package struct UsageError: Error, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }

    /// The flags' values checked, without the environment: what the command line refuses with
    /// its usage text. `serve` checks the same rules again for values from the environment.
    package static func check(_ options: ServeOptions) throws(UsageError) {
        _ = try settings(options, environment: [:], flagsOnly: true)
    }

    /// The values `serve` runs with: each from its flag, else its environment variable, else its
    /// default, every one checked against its range (one table for flags and variables).
    struct Settings {
        var port: Int
        var workers: Int
        var drainSeconds: Double
        var idleSeconds: Double?
        var requestSeconds: Double?
        var maxStreamSeconds: Double?
        var webSocketPingSeconds: Double?
        var webSocketIdleSeconds: Double?
        var replay = ReplayOptions()
        /// `--record`: the directory, the upstreams by provider, the client's settings.
        var record: Record?
    }

    struct Record {
        var directory: String
        var upstreams: [String: String]
        var client: UpstreamConfiguration
        var recordErrors: Bool
    }

    /// The protocols whose misses `--upstream` can send somewhere.
    package static let upstreamProviders = ["openai", "anthropic", "gemini", "ollama", "vertex", "vertex-anthropic", "azure", "bedrock"]

    /// `--record`, `--upstream`, `--upstream-ca` and the upstream timeouts, from the flags, else
    /// the environment; nil when not recording.
    static func recordSettings(_ options: ServeOptions, environment: [String: String], flagsOnly: Bool = false,
                               seconds: (Double?, String, String?, Double) throws(UsageError) -> Double?) throws(UsageError) -> Record? {
        var upstreamTexts = options.upstreams
        var upstreamName = "--upstream"
        if upstreamTexts.isEmpty, let text = environment["MOCKLLM_UPSTREAM"], !text.isEmpty {
            upstreamTexts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            upstreamName = "MOCKLLM_UPSTREAM"
        }
        let directory = options.record ?? environment["MOCKLLM_RECORD"].flatMap { $0.isEmpty ? nil : $0 }
        guard let directory else {
            if !upstreamTexts.isEmpty, !flagsOnly { throw UsageError(message: "\(upstreamName) needs --record DIR: misses are forwarded only when recording") }
            return nil
        }
        guard !upstreamTexts.isEmpty || flagsOnly else {
            throw UsageError(message: "--record needs at least one --upstream PROVIDER=URL (PROVIDER: \(upstreamProviders.joined(separator: ", ")))")
        }
        var upstreams: [String: String] = [:]
        for text in upstreamTexts {
            guard let equals = text.firstIndex(of: "=") else {
                throw UsageError(message: "\(upstreamName) must be PROVIDER=URL (PROVIDER: \(upstreamProviders.joined(separator: ", "))), got '\(text)'")
            }
            let provider = text[..<equals].lowercased(), url = String(text[text.index(after: equals)...])
            guard upstreamProviders.contains(provider) else {
                throw UsageError(message: "\(upstreamName): unknown provider '\(provider)' in '\(text)' (one of \(upstreamProviders.joined(separator: ", ")))")
            }
            guard upstreams[provider] == nil else { throw UsageError(message: "\(upstreamName): '\(provider)' is given twice") }
            guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = parsed.host, !host.isEmpty, parsed.query == nil, parsed.fragment == nil else {
                throw UsageError(message: "\(upstreamName): '\(url)' for \(provider) must be an http:// or https:// URL with a host and no query")
            }
            upstreams[provider] = url
        }
        // Every forwarded request runs at once: a load test's 100 streams through the recorder
        // must not queue behind the client's default of 64 (a queued one would wait a whole stream).
        var client = UpstreamConfiguration(maxConcurrentTransfers: 4096)
        if let ca = options.upstreamCA ?? environment["MOCKLLM_UPSTREAM_CA"].flatMap({ $0.isEmpty ? nil : $0 }) {
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw UsageError(message: "--upstream-ca: cannot read '\(ca)'")
            }
            client.caFile = ca
        }
        func milliseconds(_ value: Double?, _ flag: String, _ variable: String) throws(UsageError) -> UInt64? {
            try seconds(value, flag, variable, 0.001).map { UInt64(($0 * 1000).rounded()) }
        }
        if let ms = try milliseconds(options.upstreamConnectTimeout, "--upstream-connect-timeout", "MOCKLLM_UPSTREAM_CONNECT_TIMEOUT") {
            client.connectTimeout = ms
        }
        if let ms = try milliseconds(options.upstreamFirstByteTimeout, "--upstream-first-byte-timeout", "MOCKLLM_UPSTREAM_FIRST_BYTE_TIMEOUT") {
            client.firstByteTimeout = ms
        }
        if let ms = try milliseconds(options.upstreamIdleTimeout, "--upstream-idle-timeout", "MOCKLLM_UPSTREAM_IDLE_TIMEOUT") {
            client.idleTimeout = ms
        }
        let recordErrors = options.recordErrors || ["1", "true"].contains(environment["MOCKLLM_RECORD_ERRORS"]?.lowercased() ?? "")
        return Record(directory: directory, upstreams: upstreams, client: client, recordErrors: recordErrors)
    }

    /// - Parameter flagsOnly: the flags alone are checked (`check`): what the environment may
    ///   complete (`--record` with MOCKLLM_UPSTREAM, say) is not required of them.
    static func settings(_ options: ServeOptions, environment: [String: String], flagsOnly: Bool = false) throws(UsageError) -> Settings {
        func seconds(_ value: Double?, _ flag: String, _ variable: String? = nil, minimum: Double = 0) throws(UsageError) -> Double? {
            var given = value
            var name = flag
            if given == nil, let variable, let text = environment[variable] {
                guard let parsed = Double(text) else { throw UsageError(message: "\(variable) must be a number of seconds, got '\(text)'") }
                (given, name) = (parsed, variable)
            }
            guard let given else { return nil }
            guard given >= minimum, given <= 86_400 else {
                throw UsageError(message: "\(name) must be between \(minimum.plainDecimal) and 86400 seconds")
            }
            return given
        }
        var port = 8000
        if let given = options.port {
            guard (0...65535).contains(given) else { throw UsageError(message: "--port must be between 0 and 65535") }
            port = given
        } else if let text = environment["MOCKLLM_PORT"] {
            guard let parsed = Int(text), (0...65535).contains(parsed) else {
                throw UsageError(message: "MOCKLLM_PORT must be a port number (0-65535), got '\(text)'")
            }
            port = parsed
        }
        let workers: Int
        switch parseWorkers(options.workers ?? environment["MOCKLLM_WORKERS"] ?? "1") {
        case .success(let count): workers = count
        case .failure(let error): throw UsageError(message: options.workers == nil && environment["MOCKLLM_WORKERS"] != nil
                                                   ? error.message.replacingOccurrences(of: "--workers", with: "MOCKLLM_WORKERS") : error.message)
        }
        for (name, size) in [("--journal-size", options.journalSize), ("--response-store-size", options.responseStoreSize)] {
            if let size, !(0...1_000_000).contains(size) { throw UsageError(message: "\(name) must be between 0 and 1000000") }
        }
        if let scopes = options.testScopes, !(1...1_000_000).contains(scopes) {
            throw UsageError(message: "--test-scopes must be between 1 and 1000000")
        }
        if let connections = options.maxConnections, connections < 1 { throw UsageError(message: "--max-connections must be at least 1") }
        _ = try metricsStyle(options, environment: environment)
        var replay = ReplayOptions()
        if let text = options.replayTiming {
            guard let timing = ReplayTiming(text) else {
                throw UsageError(message: "--replay-timing must be recorded, scaled:F (F a number from 0 to 1000) or script, got '\(text)'")
            }
            replay.timing = timing
        }
        if let text = options.replayIDs {
            guard let ids = ReplayIDs(rawValue: text) else { throw UsageError(message: "--replay-ids must be keep or regenerate, got '\(text)'") }
            replay.ids = ids
        }
        let record = try recordSettings(options, environment: environment, flagsOnly: flagsOnly) { (value, flag, variable, minimum) throws(UsageError) in
            try seconds(value, flag, variable, minimum: minimum)
        }
        return Settings(
            port: port, workers: workers,
            drainSeconds: try seconds(options.drainTimeout, "--drain-timeout", "MOCKLLM_DRAIN_TIMEOUT") ?? 10,
            idleSeconds: try seconds(options.idleTimeout, "--idle-timeout", minimum: 0.01),
            requestSeconds: try seconds(options.requestTimeout, "--request-timeout", minimum: 0.01),
            maxStreamSeconds: try seconds(options.maxStreamDuration, "--max-stream-duration"),
            webSocketPingSeconds: try seconds(options.webSocketPingInterval, "--ws-ping-interval"),
            webSocketIdleSeconds: try seconds(options.webSocketIdleTimeout, "--ws-idle-timeout", minimum: 0.01), replay: replay, record: record)
    }

    /// Starts the server and blocks until it stops; returns the process exit status.
    /// - Parameter providers: the providers compiled in (the table's, and a package's own).
    package static func serve(_ options: ServeOptions, environment: [String: String], logger: Logger,
                              providers: [ServedProvider] = servedProviders) -> Int32 {
        let host = options.host ?? environment["MOCKLLM_HOST"] ?? "127.0.0.1"
        let settings: Settings
        do {
            settings = try Self.settings(options, environment: environment)
        } catch {
            printError("mockllm: \(error.message)")
            return 2
        }
        let (port, workers, drainTimeout) = (settings.port, settings.workers, settings.drainSeconds)
        let files = FileLimit.raiseToHardLimit()
        let script: Script
        var watched: ServerConfiguration.WatchedScript?
        let responses = options.responses ?? environment["MOCKLLM_RESPONSES_FILE"]
        let loadedScript: Result<ScriptLoader.Loaded, ScriptLoadError>
        if let record = settings.record, responses == nil {
            // Recording without a script: the script is the fixtures recorded so far, reloaded as
            // the directory changes, so a new fixture answers the next identical request.
            loadedScript = recordedScript(in: record.directory, providers: ProviderCatalog(providers))
        } else {
            loadedScript = loadScript(named: responses, providers: ProviderCatalog(providers))
        }
        switch loadedScript {
        case .success(let loaded):
            for warning in loaded.warnings { logger.warning("\(warning)") }
            script = loaded.script
            if options.reload, loaded.script.origin != EmbeddedScript.origin {
                watched = ServerConfiguration.WatchedScript(path: loaded.script.origin, fingerprint: loaded.fingerprint)
            }
        case .failure(let error):
            printError("mockllm: cannot load the script:")
            for diagnostic in error.diagnostics { printError("  \(diagnostic)") }
            return 2
        }
        var configuration = ServerConfiguration(
            host: host, port: port, script: script, seed: options.seed, handleSignals: true, watchedScript: watched,
            workers: workers, drainMilliseconds: UInt64((drainTimeout * 1000).rounded()))
        configuration.providers = providers
        if let idle = settings.idleSeconds { configuration.idleTimeoutMilliseconds = UInt64((idle * 1000).rounded()) }
        configuration.maxConnections = options.maxConnections ?? (files.soft == Int.max ? Int.max : max(64, files.soft - 64))
        if let seconds = settings.maxStreamSeconds { configuration.maxStreamMilliseconds = UInt64((seconds * 1000).rounded()) }
        if let seconds = settings.webSocketPingSeconds { configuration.webSocket.pingMilliseconds = UInt64((seconds * 1000).rounded()) }
        if let seconds = settings.webSocketIdleSeconds { configuration.webSocket.idleTimeoutMilliseconds = UInt64((seconds * 1000).rounded()) }
        if let key = options.apiKey ?? environment["MOCKLLM_API_KEY"], !key.isEmpty { configuration.apiKey = key }
        if options.accessLog || ["1", "true"].contains(environment["MOCKLLM_ACCESS_LOG"]?.lowercased() ?? "") {
            configuration.accessLog = logger
        }
        if let request = settings.requestSeconds { configuration.requestTimeoutMilliseconds = UInt64((request * 1000).rounded()) }
        if let size = options.responseStoreSize { configuration.responseStoreSize = size }
        configuration.replay = settings.replay
        // Checked with the other settings above.
        configuration.metricsStyle = (try? metricsStyle(options, environment: environment)) ?? .vllm
        configuration.strict = options.strict || ["1", "true"].contains(environment["MOCKLLM_STRICT"]?.lowercased() ?? "")
        if let scopes = options.testScopes { configuration.testScopes = scopes }
        configuration.allowRuntimeLoRA = options.allowRuntimeLoRA
            || RuntimeAdapters.allowedByEnvironment(environment["VLLM_ALLOW_RUNTIME_LORA_UPDATING"])
        if let size = options.dataParallelSize {
            // llm-d's simulator takes 1 to 8 ranks.
            guard (1...8).contains(size) else {
                printError("mockllm: --data-parallel-size must be from 1 to 8, not \(size)")
                return 2
            }
            configuration.dataParallelSize = size
        }
        if let text = options.kvEventsConfig {
            switch KVEventsConfig.parse(text) {
            case .success(let config): configuration.kvEvents = config
            case .failure(let problem):
                printError("mockllm: \(problem.message)")
                return 2
            }
        }
        if let record = settings.record {
            var recording = RecordingConfiguration(upstreams: record.upstreams, client: record.client,
                                                   store: FixtureStore(directory: record.directory, settings: script.record))
            recording.recordErrors = record.recordErrors
            recording.aws = AWSEnvironment(environment)
            configuration.recording = recording
        }
        configureAdmin(&configuration, options, environment)
        let server: MockServer
        do {
            server = try MockServer(configuration: configuration, logger: logger)
        } catch {
            let reason = error.isAddressInUse ? "address already in use" : error.message
            printError("mockllm: cannot listen on \(SocketAddress.display(host: host, port: port)): \(reason)")
            return 1
        }
        if let problem = server.kvEventProblems.first {
            printError("mockllm: \(problem)")
            server.stop()
            server.run()   // returns at once: closes what was opened
            return 1
        }
        let reloading = watched == nil ? "" : ", reloading on change"
        if let record = settings.record {
            let targets = record.upstreams.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
            logger.info("recording misses to \(record.directory), forwarding them to \(targets)")
            if let bedrock = record.upstreams["bedrock"], let aws = configuration.recording?.aws {
                logger.log(level: aws.credentials == nil && aws.bearerToken == nil ? .warning : .info,
                           "\(BedrockUpstream.describe(aws, upstream: bedrock))")
            }
        }
        let loops = (workers == 1 ? "" : ", \(workers) workers") + (configuration.apiKey == nil ? "" : ", API key required")
        let ranks = server.ports.count > 1 ? " (data-parallel ranks on ports \(server.ports.map(String.init).joined(separator: ", ")))" : ""
        // Before the listening line: whoever waits for that line finds the endpoints above it.
        for (rank, engine, endpoints) in server.kvEventEndpoints {
            logger.info("KV-cache events of engine \(engine)\(server.ports.count > 1 ? " (rank \(rank))" : "") on tcp://\(endpoints.joined(separator: ", replay on tcp://"))")
        }
        logger.info("mockllm \(version) listening on \(server.baseURL)\(ranks) with \(script.origin) (\(script.summary)\(reloading)\(loops))")
        logger.debug("file descriptor limit \(files.soft) (hard \(files.hard))")
        server.run()
        logger.info("stopped")
        return 0
    }

    /// `--metrics-style`, else MOCKLLM_METRICS_STYLE, else vLLM's names.
    static func metricsStyle(_ options: ServeOptions, environment: [String: String]) throws(UsageError) -> EngineMetrics.Style {
        let (text, name) = options.metricsStyle.map { ($0, "--metrics-style") }
            ?? environment["MOCKLLM_METRICS_STYLE"].map { ($0, "MOCKLLM_METRICS_STYLE") } ?? ("vllm", "")
        guard let style = EngineMetrics.Style(rawValue: text) else {
            throw UsageError(message: "\(name) must be vllm or sglang, got '\(text)'")
        }
        return style
    }

    /// The request journal and the admin endpoints: `--journal-size`, `--admin-token`, and the
    /// script file `POST /_mockllm/reload` reads (also with `--no-reload`).
    static func configureAdmin(_ configuration: inout ServerConfiguration, _ options: ServeOptions, _ environment: [String: String]) {
        if let size = options.journalSize { configuration.journalSize = size }
        if let token = options.adminToken ?? environment["MOCKLLM_ADMIN_TOKEN"], !token.isEmpty { configuration.adminToken = token }
        if configuration.script.origin != EmbeddedScript.origin { configuration.scriptPath = configuration.script.origin }
    }

    /// `--workers N` (1...1024) or `auto`: one per CPU this process may run on.
    package static func parseWorkers(_ text: String) -> Result<Int, WorkersError> {
        if text.lowercased() == "auto" { return .success(max(1, EventLoop.availableParallelism)) }
        guard let n = Int(text), (1...1024).contains(n) else {
            return .failure(WorkersError(message: "--workers must be a number from 1 to 1024 or 'auto', got '\(text)'"))
        }
        return .success(n)
    }

    package struct WorkersError: Error, CustomStringConvertible {
        package var message: String
        package var description: String { message }
    }

    /// The script to serve: the named file, else ./responses.yml if present, else the embedded one.
    static func loadScript(named path: String?, providers: ProviderCatalog) -> Result<ScriptLoader.Loaded, ScriptLoadError> {
        if let path {
            return Result { () throws(ScriptLoadError) in try ScriptLoader.load(path: path, providers: providers) }
        }
        if FileManager.default.fileExists(atPath: "responses.yml") {
            return Result { () throws(ScriptLoadError) in try ScriptLoader.load(path: "responses.yml", providers: providers) }
        }
        return .success(ScriptLoader.Loaded(script: EmbeddedScript.load(providers: providers), warnings: [], fingerprint: 0))
    }

    /// Record mode's script when no `--responses` is given: the fixture directory (made if
    /// missing); one with no fixture file yet is an empty script, watched all the same.
    static func recordedScript(in directory: String, providers: ProviderCatalog) -> Result<ScriptLoader.Loaded, ScriptLoadError> {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        if files.contains(where: { !$0.hasPrefix(".") && ($0.hasSuffix(".yml") || $0.hasSuffix(".yaml")) }) {
            return Result { () throws(ScriptLoadError) in try ScriptLoader.load(path: directory, providers: providers) }
        }
        return Result { () throws(ScriptLoadError) in try ScriptLoader.parse(yaml: "rules: []\n", file: directory, providers: providers) }
    }

    /// `mockllm validate FILE`, with the original's messages and exit codes: 0 valid, 1 invalid,
    /// 2 missing file.
    package static func validate(path: String, providers: [ServedProvider] = servedProviders) -> Int32 {
        do {
            let loaded = try ScriptLoader.load(path: path, providers: ProviderCatalog(providers))
            print("✓ Valid responses file")
            print("Found \(loaded.script.responses.count) responses")
            print("Defines: \(loaded.script.summary)")
            for warning in loaded.warnings { print(warning) }
            return 0
        } catch {
            if error.kind == .missingFile {
                printError("Error: Invalid value for 'RESPONSES_FILE': Path '\(path)' does not exist.")
                return 2
            }
            print("✗ Invalid responses file")
            let sorted = error.diagnostics.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
            for diagnostic in sorted { print(diagnostic) }
            let errors = error.errors.count, warnings = error.diagnostics.count - errors
            print("\(errors) error\(errors == 1 ? "" : "s")\(warnings > 0 ? ", \(warnings) warning\(warnings == 1 ? "" : "s")" : "")")
            return 1
        }
    }

    static func printError(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
