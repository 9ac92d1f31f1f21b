import Foundation
import Logging
import MockLLMLoop
import MockLLMScript

/// Hot reload: watches the script file, and after a change settles, parses it off the loop
/// (libuv's thread pool) and offers a valid script to its `ScriptSource`, which hands it to
/// every worker unless they have it already. A broken edit changes nothing
/// but one log line (the first problem with its file:line:column); the last good script stays.
/// An edit applies to the next request; a stream already running keeps the script it started with.
final class ScriptReloader {
    /// How long a file must be quiet before it is read: editors write in several steps.
    static let debounceMilliseconds: UInt64 = 150

    private let loop: EventLoop
    /// The file, the version the workers have, and the way to them (shared with
    /// `POST /_mockllm/reload`).
    private let source: ScriptSource
    private let logger: Logger
    private var watcher: FileWatcher?
    private var debounce: LoopTimer?
    private var loading = false
    private var changedWhileLoading = false
    /// The last failure logged, so one broken edit seen by both watchers is logged once.
    private var lastFailure: String?

    init(loop: EventLoop, source: ScriptSource, logger: Logger) throws(UVError) {
        self.loop = loop
        self.source = source
        self.logger = logger
        let path = source.path
        debounce = LoopTimer(loop: loop) { [unowned self] in self.reload() }
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        watcher = try FileWatcher(loop: loop, path: path, isDirectory: isDirectory.boolValue) { [unowned self] in
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
        let path = source.path
        let providers = source.providers
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
            let (delivered, recovered) = source.offer(loaded)
            if delivered {
                for warning in loaded.warnings { logger.warning("\(warning)") }
                logger.info("\(recovered ? "fixed and reloaded" : "reloaded") \(source.path) (\(loaded.script.summary))")
            }
            lastFailure = nil
        case .failure(let error):
            source.markBroken()
            let errors = error.errors
            let more = errors.count > 1 ? " (and \(errors.count - 1) more)" : ""
            let line = "\(errors.first?.description ?? "\(source.path): cannot load")\(more); keeping the last good script"
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
