import Foundation
import Logging
import MockLLMLoop
import MockLLMProviders
import MockLLMScript

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
        /// `--max-connections`; nil: the open-file limit less 64 descriptors kept for the rest.
        package var maxConnections: Int?
        /// `--api-key`; nil: MOCKLLM_API_KEY, else none.
        package var apiKey: String?
        /// `--journal-size`; nil: 1000. `--admin-token`; nil: MOCKLLM_ADMIN_TOKEN, else none.
        package var journalSize: Int?
        package var adminToken: String?
        /// `--access-log`; false: MOCKLLM_ACCESS_LOG (1 or true), else none.
        package var accessLog = false
        /// `--response-store-size`; nil: 1000.
        package var responseStoreSize: Int?
        /// `--strict`; false: MOCKLLM_STRICT (1 or true), else off.
        package var strict = false
        /// `--replay-timing` (`recorded`, `scaled:F`, `script`), `--replay-ids` (`keep`, `regenerate`); nil: the defaults.
        package var replayTiming: String?
        package var replayIDs: String?
        /// `--test-scopes`; nil: 10000.
        package var testScopes: Int?

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
        _ = try settings(options, environment: [:])
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
        var replay = ReplayOptions()
    }

    static func settings(_ options: ServeOptions, environment: [String: String]) throws(UsageError) -> Settings {
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
        return Settings(
            port: port, workers: workers,
            drainSeconds: try seconds(options.drainTimeout, "--drain-timeout", "MOCKLLM_DRAIN_TIMEOUT") ?? 10,
            idleSeconds: try seconds(options.idleTimeout, "--idle-timeout", minimum: 0.01),
            requestSeconds: try seconds(options.requestTimeout, "--request-timeout", minimum: 0.01),
            maxStreamSeconds: try seconds(options.maxStreamDuration, "--max-stream-duration"), replay: replay)
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
        switch loadScript(named: options.responses ?? environment["MOCKLLM_RESPONSES_FILE"], providers: ProviderCatalog(providers)) {
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
        if let key = options.apiKey ?? environment["MOCKLLM_API_KEY"], !key.isEmpty { configuration.apiKey = key }
        if options.accessLog || ["1", "true"].contains(environment["MOCKLLM_ACCESS_LOG"]?.lowercased() ?? "") {
            configuration.accessLog = logger
        }
        if let request = settings.requestSeconds { configuration.requestTimeoutMilliseconds = UInt64((request * 1000).rounded()) }
        if let size = options.responseStoreSize { configuration.responseStoreSize = size }
        configuration.replay = settings.replay
        configuration.strict = options.strict || ["1", "true"].contains(environment["MOCKLLM_STRICT"]?.lowercased() ?? "")
        if let scopes = options.testScopes { configuration.testScopes = scopes }
        configureAdmin(&configuration, options, environment)
        let server: MockServer
        do {
            server = try MockServer(configuration: configuration, logger: logger)
        } catch {
            let reason = error.isAddressInUse ? "address already in use" : error.message
            printError("mockllm: cannot listen on \(SocketAddress.display(host: host, port: port)): \(reason)")
            return 1
        }
        let reloading = watched == nil ? "" : ", reloading on change"
        let loops = (workers == 1 ? "" : ", \(workers) workers") + (configuration.apiKey == nil ? "" : ", API key required")
        logger.info("mockllm \(version) listening on \(server.baseURL) with \(script.origin) (\(script.summary)\(reloading)\(loops))")
        logger.debug("file descriptor limit \(files.soft) (hard \(files.hard))")
        server.run()
        logger.info("stopped")
        return 0
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
