import MockLLMScript
import Synchronization

/// The file a server's script comes from, and the one way a new version of it reaches the
/// workers: the file watcher (`ScriptReloader`) and `POST /_mockllm/reload` both go through it.
/// It remembers which version the workers have, so an explicit reload is not followed, 150 ms
/// later, by the watcher handing out the same file again, which would start the rules'
/// `times:` and sequence counters over in the middle of a test.
final class ScriptSource: Sendable {
    let path: String
    let providers: ProviderCatalog
    private let state: Mutex<State>

    private struct State {
        /// `ScriptLoader.Loaded.fingerprint` of the version the workers have.
        var fingerprint: Int
        /// The last attempt to load the file failed.
        var broken = false
        var workers: [Worker] = []
    }

    init(path: String, providers: ProviderCatalog, fingerprint: Int) {
        self.path = path
        self.providers = providers
        state = Mutex(State(fingerprint: fingerprint))
    }

    /// The workers new versions go to; set once they exist.
    func attach(_ workers: [Worker]) {
        state.withLock { $0.workers = workers }
    }

    /// The watcher's offer: hands `loaded` to every worker unless they already have it (and the
    /// file has not been broken since). `recovered`: the file had been broken.
    func offer(_ loaded: ScriptLoader.Loaded) -> (delivered: Bool, recovered: Bool) {
        state.withLock { state in
            let recovered = state.broken
            guard loaded.fingerprint != state.fingerprint || recovered else { return (false, false) }
            state.fingerprint = loaded.fingerprint
            state.broken = false
            for worker in state.workers { worker.deliver(loaded.script) }
            return (true, recovered)
        }
    }

    /// The file could not be loaded; the workers keep what they have.
    func markBroken() {
        state.withLock { $0.broken = true }
    }

    /// `POST /_mockllm/reload`: reads the file now, on the calling thread, and hands a valid
    /// script to every worker, even an unchanged one (an explicit reload starts the rules'
    /// counters over). A broken file changes nothing.
    func reloadNow() -> Result<ScriptLoader.Loaded, ScriptLoadError> {
        let result = Result { () throws(ScriptLoadError) in try ScriptLoader.load(path: path, providers: providers) }
        state.withLock { state in
            switch result {
            case .success(let loaded):
                state.fingerprint = loaded.fingerprint
                state.broken = false
                for worker in state.workers { worker.deliver(loaded.script) }
            case .failure:
                state.broken = true
            }
        }
        return result
    }
}
