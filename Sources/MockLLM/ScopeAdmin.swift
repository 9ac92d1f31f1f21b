import MockLLMCore
import MockLLMProviders
import MockLLMScript

/// The admin API of test scopes (`x-mockllm-test: ID`, `/t/ID/`): list them, give one a
/// script of its own, reset or drop one. Under `--admin-token` like every `/_mockllm/` endpoint.
enum ScopeAdmin {
    static let endpoints: [BuiltinEndpoint] = [
        BuiltinEndpoint(method: "GET", path: "/_mockllm/tests") { request, app in list(request, app) },
        BuiltinEndpoint(method: "PUT", path: "/_mockllm/tests/{test}/script") { request, app in putScript(request, app) },
        BuiltinEndpoint(method: "DELETE", path: "/_mockllm/tests/{test}/script") { request, app in
            withID(request) { id in
                app.scopes.existing(id)?.setScript(nil)
                return noContent
            }
        },
        BuiltinEndpoint(method: "DELETE", path: "/_mockllm/tests/{test}") { request, app in
            withID(request) { id in
                app.scopes.drop(id)
                app.admin?.journal?.remove(test: id)
                return noContent
            }
        },
    ]

    static var noContent: Reply { Reply(status: 204, headers: HTTPFields(), body: .bytes(ByteBuffer(), delay: 0)) }

    /// `{"limit":10000,"count":2,"evicted":0,"tests":[{"id":"test_login","script":true},...]}`, the
    /// most recently used first; `?limit=N` lists only the first N (`count` is still all of them),
    /// so a page that polls asks for a bounded answer however many scopes there are.
    static func list(_ request: HTTPRequest, _ app: Application) -> Reply {
        var scopes = app.scopes.scopes
        let total = scopes.count
        if let text = QueryParameters(request.query)["limit"] {
            guard let limit = Int(text), limit >= 0 else {
                return AdminEndpoints.error(400, type: "invalid_request_error", "limit must be a number of scopes (0 or more), got '\(text)'.")
            }
            if scopes.count > limit { scopes.removeLast(scopes.count - limit) }
        }
        var out = ByteBuffer(capacity: 64 + scopes.count * 48)
        out.append(ascii: "{\"limit\":")
        out.append(decimal: app.scopes.limit)
        out.append(ascii: ",\"count\":")
        out.append(decimal: total)
        out.append(ascii: ",\"evicted\":")
        out.append(decimal: app.scopes.evicted)
        out.append(ascii: ",\"tests\":[")
        for (i, scope) in scopes.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"id\":")
            out.append(jsonString: scope.id)
            out.append(ascii: ",\"script\":")
            out.append(jsonBool: scope.script != nil)
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "]}")
        return Reply.json(200, out)
    }

    /// `PUT /_mockllm/tests/ID/script` with a YAML body (`rules`, `responses`, `faults`,
    /// `quotas`): checked like `mockllm validate`; 200 `{"test":"ID","script":"<summary>",
    /// "warnings":[...]}` and every count of the scope starts again, or 400 with every located
    /// error (`<test ID>:line:column: error: ...`) and the scope's script unchanged.
    static func putScript(_ request: HTTPRequest, _ app: Application) -> Reply {
        withID(request) { id in
            let file = "<test \(id)>"
            guard let yaml = String(validating: request.body, as: UTF8.self) else {
                return AdminEndpoints.error(400, type: "invalid_script", "\(file):1:1: error: the script is not valid UTF-8")
            }
            let loaded: ScriptLoader.Loaded
            do throws(ScriptLoadError) {
                // Names only: the scope answers with the server's models, so its script need not
                // carry a registry of its own (a few KB per scope).
                loaded = try ScriptLoader.parseScope(yaml: yaml, file: file, providers: ProviderCatalog(names: app.router.providers.map(\.name)))
            } catch {
                let errors = error.errors.isEmpty ? error.diagnostics : error.errors
                var list = ByteBuffer()
                list.append(ascii: ",\"errors\":[")
                for (i, diagnostic) in errors.enumerated() {
                    if i > 0 { list.append(UInt8(ascii: ",")) }
                    list.append(jsonString: diagnostic.description)
                }
                list.append(UInt8(ascii: "]"))
                let first = errors.first?.description ?? "\(file): cannot load"
                let more = errors.count > 1 ? " (and \(errors.count - 1) more)" : ""
                return AdminEndpoints.error(400, type: "invalid_script", "\(first)\(more); the test's script is unchanged.",
                                            extra: list.description)
            }
            app.scopes.scope(id).setScript(loaded.script)
            var out = ByteBuffer()
            out.append(ascii: "{\"test\":")
            out.append(jsonString: id)
            out.append(ascii: ",\"script\":")
            out.append(jsonString: loaded.script.summary)
            out.append(ascii: ",\"warnings\":[")
            for (i, warning) in loaded.warnings.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(jsonString: warning.description)
            }
            out.append(ascii: "]}")
            return Reply.json(200, out)
        }
    }

    /// The reply of `body` for the scope id in the path (`/_mockllm/tests/ID[/...]`), or a 400.
    private static func withID(_ request: HTTPRequest, _ body: (String) -> Reply) -> Reply {
        let parts = request.path.split(separator: "/", omittingEmptySubsequences: false)
        let id = parts.count > 3 ? parts[3] : ""
        do {
            try ScopeRegistry.check(id, from: "path /_mockllm/tests/ID")
        } catch {
            return AdminEndpoints.error(400, type: "invalid_request_error", error.message)
        }
        return body(String(id))
    }

    /// What a `?test=ID` parameter names.
    enum TestParameter {
        /// No `test` parameter.
        case none
        /// The scope (one with no counts yet if the server keeps none by that id).
        case scope(TestScope)
        /// The 400 of an id that is not one.
        case invalid(Reply)
    }

    static func testParameter(_ request: HTTPRequest, _ app: Application) -> TestParameter {
        guard let id = QueryParameters(request.query)["test"] else { return .none }
        do {
            try ScopeRegistry.check(Substring(id), from: "?test=")
        } catch {
            return .invalid(AdminEndpoints.error(400, type: "invalid_request_error", error.message))
        }
        return .scope(app.scopes.existing(id) ?? TestScope(id: id))
    }
}
