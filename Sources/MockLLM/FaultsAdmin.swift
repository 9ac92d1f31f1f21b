import MockLLMCore
import MockLLMScript

/// The admin API of faults: read and reset their counters, switch the active scenario.
/// Every worker answers from the same script snapshot, whose faults and scenario are shared.
enum FaultsAdmin {
    static let endpoints: [BuiltinEndpoint] = [
        BuiltinEndpoint(method: "GET", path: "/_mockllm/faults") { request, app in
            switch ScopeAdmin.testParameter(request, app) {
            case .invalid(let reply): return reply
            case .scope(let scope): return Reply.json(200, report(scope.effective(over: app.script), scope: scope))
            case .none: return Reply.json(200, report(app.script))
            }
        },
        BuiltinEndpoint(method: "DELETE", path: "/_mockllm/faults") { request, app in
            switch ScopeAdmin.testParameter(request, app) {
            case .invalid(let reply): return reply
            case .scope(let scope):
                scope.resetFaults()
                return Reply(status: 204, headers: HTTPFields(), body: .bytes(ByteBuffer(), delay: 0))
            case .none: break
            }
            for fault in app.script.faults { fault.reset() }
            for rule in app.script.rules { rule.fault?.reset() }
            return Reply(status: 204, headers: HTTPFields(), body: .bytes(ByteBuffer(), delay: 0))
        },
        BuiltinEndpoint(method: "GET", path: "/_mockllm/scenario") { _, app in Reply.json(200, scenario(app.script)) },
        BuiltinEndpoint(method: "PUT", path: "/_mockllm/scenario") { request, app in switchScenario(request, app.script) },
    ]

    /// `{"scenario":"..."|null,"faults":[{"name","scenario","active","injected","counted"}]}`: global
    /// faults, then rules' faults (named after their rule); with `scope` (`?test=ID`), that test
    /// scope's faults (its script's, then the server's) and its counts.
    static func report(_ script: Script, scope: TestScope? = nil) -> ByteBuffer {
        let active = script.scenario.active
        var out = ByteBuffer()
        out.append(ascii: "{\"scenario\":")
        out.append(jsonStringOrNull: active)
        out.append(ascii: ",\"faults\":[")
        let all = script.faults + script.rules.compactMap(\.fault)
        for (i, fault) in all.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(ascii: "{\"name\":")
            out.append(jsonString: fault.name)
            out.append(ascii: ",\"scenario\":")
            out.append(jsonStringOrNull: fault.scenario)
            out.append(ascii: ",\"active\":")
            out.append(ascii: fault.scenario == nil || fault.scenario == active ? "true" : "false")
            out.append(ascii: ",\"injected\":")
            let counts = scope?.counts(of: fault) ?? (injected: fault.injected, counted: fault.counted)
            out.append(decimal: counts.injected)
            out.append(ascii: ",\"counted\":")
            out.append(decimal: counts.counted)
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "]}")
        return out
    }

    static func scenario(_ script: Script) -> ByteBuffer {
        var out = ByteBuffer()
        out.append(ascii: "{\"scenario\":")
        out.append(jsonStringOrNull: script.scenario.active)
        out.append(ascii: ",\"known\":[")
        let names = Array(Set(script.faults.compactMap(\.scenario))).sorted()
        for (i, name) in names.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(jsonString: name)
        }
        out.append(ascii: "]}")
        return out
    }

    /// `PUT /_mockllm/scenario` with `{"name":"outage"}` (or `{"name":null}` for none).
    static func switchScenario(_ request: HTTPRequest, _ script: Script) -> Reply {
        guard let value = try? JSONReader.parse(request.body), case .object(let body) = value,
              let name = body["name"], name.isNull || name.stringValue != nil else {
            return Reply.json(400, ByteBuffer(#"{"error":{"message":"expected a JSON body {\"name\": \"<scenario>\"} or {\"name\": null}","type":"invalid_request_error"}}"#))
        }
        let wanted = name.stringValue
        if let wanted, !script.faults.contains(where: { $0.scenario == wanted }) {
            var out = ByteBuffer()
            out.append(ascii: "{\"error\":{\"message\":")
            out.append(jsonString: "no fault belongs to scenario '\(wanted)'")
            out.append(ascii: ",\"type\":\"not_found\"}}")
            return Reply.json(404, out)
        }
        script.scenario.active = wanted
        return Reply.json(200, scenario(script))
    }
}
