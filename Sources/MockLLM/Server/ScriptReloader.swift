import Logging

/// Hot reload: watches the script file, and after a change settles, parses it off the loop
/// (libuv's thread pool) and hands a valid script to `deliver`. A broken edit changes nothing
/// but one log line (the first problem with its file:line:column); the last good script stays.
/// An edit applies to the next request; a stream already running keeps the script it started with.
final class ScriptReloader {
    /// How long a file must be quiet before it is read: editors write in several steps.
    static let debounceMilliseconds: UInt64 = 150

    private let loop: EventLoop
    private let path: String
    private let providers: [String]
    private let logger: Logger
    private let deliver: (Script) -> Void
    private var watcher: FileWatcher?
    private var debounce: LoopTimer?
    private var loading = false
    private var changedWhileLoading = false
    private var fingerprint: Int
    /// Whether the last attempt failed (so a later success says "recovered").
    private var broken = false
    /// The last failure logged, so one broken edit seen by both watchers is logged once.
    private var lastFailure: String?

    init(loop: EventLoop, path: String, providers: [String], loaded fingerprint: Int, logger: Logger,
         deliver: @escaping (Script) -> Void) throws(UVError) {
        self.loop = loop
        self.path = path
        self.providers = providers
        self.logger = logger
        self.deliver = deliver
        self.fingerprint = fingerprint
        debounce = LoopTimer(loop: loop) { [unowned self] in self.reload() }
        watcher = try FileWatcher(loop: loop, path: path) { [unowned self] in
            self.debounce?.start(after: Self.debounceMilliseconds)
        }
    }

    /// Reads the file now (after a change notification).
    func reload() {
        if loading {
            changedWhileLoading = true
            return
        }
        loading = true
        let path = self.path
        let providers = self.providers
        BackgroundWork.run(on: loop, {
            Result { () throws(ScriptLoadError) in try ScriptLoader.load(path: path, providers: providers) }
        }, then: { [weak self] result in
            self?.finish(result)
        })
    }

    private func finish(_ result: Result<ScriptLoader.Loaded, ScriptLoadError>) {
        loading = false
        switch result {
        case .success(let loaded):
            if loaded.fingerprint != fingerprint || broken {
                fingerprint = loaded.fingerprint
                deliver(loaded.script)
                for warning in loaded.warnings { logger.warning("\(warning)") }
                logger.info("\(broken ? "fixed and reloaded" : "reloaded") \(path) (\(loaded.script.summary))")
                broken = false
                lastFailure = nil
            }
        case .failure(let error):
            broken = true
            let errors = error.errors
            let more = errors.count > 1 ? " (and \(errors.count - 1) more)" : ""
            let line = "\(errors.first?.description ?? "\(path): cannot load")\(more); keeping the last good script"
            if line != lastFailure { logger.error("\(line)") }
            lastFailure = line
        }
        if changedWhileLoading {
            changedWhileLoading = false
            reload()
        }
    }

    func close() {
        watcher?.close()
        watcher = nil
        debounce?.close()
        debounce = nil
    }
}
