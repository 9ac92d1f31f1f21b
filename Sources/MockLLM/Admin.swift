import Logging
import MockLLMCore
import MockLLMScript

/// What the server's own endpoints under `/_mockllm/` share over every worker: the request
/// journal, the admin token and the script file to reload. One per server; each worker's
/// `Application` holds it and writes its own ring of the journal.
final class Admin: Sendable {
    /// nil with `--journal-size 0`.
    let journal: RequestJournal?
    /// nil: the admin endpoints are open (the server binds loopback unless told otherwise).
    let token: AdminToken?
    /// nil when the script is built in (or made in code): nothing to reload.
    let scripts: ScriptSource?
    let logger: Logger
    /// The test scopes (`x-mockllm-test`, `/t/ID/`), shared by every worker.
    let scopes: ScopeRegistry

    init(journal: RequestJournal?, token: AdminToken?, scripts: ScriptSource?, logger: Logger, scopes: ScopeRegistry = ScopeRegistry()) {
        self.scopes = scopes
        self.journal = journal
        self.token = token
        self.scripts = scripts
        self.logger = logger
    }

    /// - Parameter scripts: a data-parallel rank's (`--data-parallel-size`): the first rank's
    ///   source, so one reload reaches every rank; nil: this server's own.
    convenience init(configuration: ServerConfiguration, providers: ProviderCatalog, logger: Logger, scripts: ScriptSource? = nil) {
        let workers = max(1, configuration.workers)
        let path = configuration.watchedScript?.path ?? configuration.scriptPath
        self.init(
            journal: configuration.journalSize > 0 ? RequestJournal(capacity: configuration.journalSize, workers: workers) : nil,
            token: configuration.adminToken.map(AdminToken.init),
            scripts: scripts ?? path.map { ScriptSource(path: $0, providers: providers, fingerprint: configuration.watchedScript?.fingerprint ?? 0) },
            logger: logger,
            scopes: ScopeRegistry(limit: configuration.testScopes,
                                  settings: ProviderSettings(storeCapacity: configuration.responseStoreSize)))
    }

    /// The 401 for a request to an admin endpoint without the token (nil: let it through).
    func refusal(for request: HTTPRequest, to endpoint: BuiltinEndpoint) -> Reply? {
        guard let token, endpoint.path.utf8.starts(with: "/_mockllm/".utf8), !token.allows(request) else { return nil }
        if endpoint.tokenInQuery {
            let query = QueryParameters(request.query)["token"]
            if let query, token.token.matches(query) { return nil }
            return AdminToken.refusal(given: query != nil || AdminToken.presented(in: request), page: endpoint.path)
        }
        return AdminToken.refusal(given: AdminToken.presented(in: request))
    }
}
