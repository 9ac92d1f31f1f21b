import MockLLMCore

/// The admin API under `/_mockllm/` (besides `stats`): the request journal and an explicit
/// script reload. Served by whichever worker the connection landed on; what they touch is
/// thread-safe (`RequestJournal`, `ScriptSource`).
enum AdminEndpoints {
    static let all: [BuiltinEndpoint] = [
        BuiltinEndpoint(method: "GET", path: "/_mockllm/requests") { request, app in requests(request, app) },
        BuiltinEndpoint(method: "DELETE", path: "/_mockllm/requests") { _, app in
            app.admin?.journal?.clear()
            return Reply(status: 204, headers: HTTPFields(), body: .bytes(ByteBuffer(), delay: 0))
        },
        BuiltinEndpoint(method: "POST", path: "/_mockllm/reload") { _, app in reload(app) },
    ]

    /// `GET /_mockllm/requests[?path=&model=&rule=&status=&since=&limit=]`.
    static func requests(_ request: HTTPRequest, _ app: Application) -> Reply {
        let query: JournalQuery
        do {
            query = try JournalQuery(query: request.query)
        } catch {
            return Self.error(400, type: "invalid_request_error", error.message)
        }
        guard let journal = app.admin?.journal else { return Reply.json(200, JournalReport.json([], total: 0, dropped: 0)) }
        // `?limit=N` alone (the dashboard's poll): only the newest N are copied out of the rings.
        let snapshot = journal.snapshot(newest: query.limitsOnly ? query.limit : nil)
        return Reply.json(200, JournalReport.json(query.select(snapshot.entries), total: snapshot.total, dropped: snapshot.dropped,
                                                  redact: app.script.record))
    }

    /// `POST /_mockllm/reload`: 200 `{"reloaded":true,"script":"<summary>"}`, or 400 with every
    /// located error (`file:line:column: error: ...`) while the running script stays. The file
    /// is parsed on the loop serving the request (a few milliseconds for a usual script).
    static func reload(_ app: Application) -> Reply {
        guard let admin = app.admin, let source = admin.scripts else {
            return Self.error(400, type: "no_script_file",
                              "The server runs on a built-in script: there is no file to reload (start it with --responses FILE).",
                              extra: ",\"reloaded\":false")
        }
        switch source.reloadNow() {
        case .success(let loaded):
            app.script = loaded.script  // this loop answers from it at once; the others get it by mailbox
            for warning in loaded.warnings { admin.logger.warning("\(warning)") }
            admin.logger.info("reloaded \(source.path) (\(loaded.script.summary)) on request")
            var out = ByteBuffer()
            out.append(ascii: "{\"reloaded\":true,\"script\":")
            out.append(jsonString: loaded.script.summary)
            out.append(UInt8(ascii: "}"))
            return Reply.json(200, out)
        case .failure(let failure):
            let errors = failure.errors.isEmpty ? failure.diagnostics : failure.errors
            admin.logger.error("reload on request failed: \(errors.first?.description ?? source.path); keeping the last good script")
            var list = ByteBuffer()
            list.append(ascii: ",\"reloaded\":false,\"errors\":[")
            for (i, diagnostic) in errors.enumerated() {
                if i > 0 { list.append(UInt8(ascii: ",")) }
                list.append(jsonString: diagnostic.description)
            }
            list.append(UInt8(ascii: "]"))
            let first = errors.first?.description ?? "\(source.path): cannot load"
            let more = errors.count > 1 ? " (and \(errors.count - 1) more)" : ""
            return Self.error(400, type: "invalid_script", "\(first)\(more); the running script stays.", extra: list.description)
        }
    }

    /// `{"error":{"message":...,"type":...}}` plus `extra` members.
    static func error(_ status: Int, type: String, _ message: String, extra: String = "", headers: HTTPFields = HTTPFields()) -> Reply {
        var out = ByteBuffer()
        out.append(ascii: "{\"error\":{\"message\":")
        out.append(jsonString: message)
        out.append(ascii: ",\"type\":")
        out.append(jsonString: type)
        out.append(UInt8(ascii: "}"))
        out.append(utf8: extra)
        out.append(UInt8(ascii: "}"))
        return Reply.json(status, out, headers: headers)
    }
}
