import Foundation
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The faults' admin API over real sockets: counters, reset, and switching the scenario.
@Suite("Faults admin API over real sockets")
struct FaultsAdminEndToEndTests {
    static let yaml = """
        responses: {hi: hello}
        faults:
          - name: outage
            scenario: bad-day
            status: 503
          - name: flaky
            match: {prompt: hi}
            sequence: [429, ok]
        """

    func chat(_ server: TestServer) throws -> Int {
        try server.request("POST", "/v1/chat/completions", body: #"{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}"#).status
    }

    @Test func countersResetAndScenarioSwitch() throws {
        let script = try ScriptLoader.parse(yaml: Self.yaml, file: "f.yml", providers: providerCatalog).script
        try withServer(script: script) { server in
            #expect(try chat(server) == 429)
            #expect(try chat(server) == 200)
            var report = try server.request("GET", "/_mockllm/faults").json()
            var faults = report["faults"] as? [[String: Any]] ?? []
            #expect(faults.map { $0["name"] as? String } == ["outage", "flaky"])
            #expect(faults.map { $0["active"] as? Bool } == [false, true])
            #expect(faults[1]["injected"] as? Int == 1 && faults[1]["counted"] as? Int == 2)

            #expect(try server.request("DELETE", "/_mockllm/faults").status == 204)
            #expect(try chat(server) == 429, "the sequence starts again")

            let body = #"{"name":"bad-day"}"#
            let switched = try server.request("PUT", "/_mockllm/scenario", body: body)
            #expect(switched.status == 200)
            #expect(try switched.json()["scenario"] as? String == "bad-day")
            #expect(try chat(server) == 503, "the scenario's fault comes first now")
            report = try server.request("GET", "/_mockllm/faults").json()
            faults = report["faults"] as? [[String: Any]] ?? []
            #expect(report["scenario"] as? String == "bad-day" && faults[0]["active"] as? Bool == true)

            let unknown = #"{"name":"nope"}"#
            #expect(try server.request("PUT", "/_mockllm/scenario", body: unknown).status == 404)
            let none = #"{"name":null}"#
            #expect(try server.request("PUT", "/_mockllm/scenario", body: none).status == 200)
            #expect(try chat(server) == 200)
        }
    }
}
