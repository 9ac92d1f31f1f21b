import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMScript
import TestSupport
import Testing

/// The dashboard over real sockets: `GET /_mockllm/ui` (the page, its validator, its token in
/// the query) and the JSON it polls that the admin API did not give before: `/_mockllm/rules`,
/// `/_mockllm/tests?limit=` and the journal's `reply_body`. The page itself runs in Chromium in
/// `scripts/dashboard-test`.
@Suite("Dashboard over real sockets")
struct DashboardEndToEndTests {
    static let yaml = """
        rules:
          - name: refund
            match: {prompt: {contains: refund}}
            reply: "Refund {{count}} is on its way."
          - name: busy
            match: {prompt: {prefix: pay}}
            error: {status: 429, message: "Slow down."}
            times: 2
          - name: flaky
            match: {prompt: {prefix: retry}}
            reply: "Done."
            fault: {status: 503, when: {first: 1}}
        responses: {hi: hello}
        """

    static func server(token: String? = nil) throws -> TestServer {
        let script = try ScriptLoader.parse(yaml: yaml, file: "dashboard.yml", providers: ["openai", "anthropic"]).script
        return try TestServer(script: script) { configuration in configuration.adminToken = token }
    }

    static func chat(_ server: TestServer, _ prompt: String, headers: [(String, String)] = [], stream: Bool = false) throws -> TestResponse {
        try server.request("POST", "/v1/chat/completions", headers: headers,
                           body: #"{"model":"gpt-4o","stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#)
    }

    @Test func thePageIsOneSelfContainedHTMLDocumentWithAStrongValidator() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let page = try server.request("GET", "/_mockllm/ui")
        #expect(page.status == 200)
        #expect(page.header("content-type") == "text/html; charset=utf-8")
        #expect(page.body == Dashboard.html.bytes)
        #expect(page.header("cache-control") == "private, no-cache")
        let etag = try #require(page.header("etag"))
        #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && !etag.hasPrefix("W/"), "a strong entity tag: \(etag)")
        #expect(etag == Dashboard.etag)
        let csp = try #require(page.header("content-security-policy"))
        #expect(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"))

        // Nothing fetched from elsewhere: no external script, style, font or address.
        let html = String(decoding: page.body, as: UTF8.self)
        for outside in ["http://", "https://", "<script src", "<link", "@import", "url("] {
            #expect(!html.contains(outside), "the page refers to something outside it: \(outside)")
        }
        // Every endpoint the page polls is served.
        for path in ["/metrics", "/_mockllm/requests?limit=40", "/_mockllm/rules", "/_mockllm/faults", "/_mockllm/tests?limit=20"] {
            #expect(html.contains("\"" + path) || html.contains("\"" + path.split(separator: "?")[0]), "the page polls \(path)")
            #expect(try server.request("GET", path).status == 200, "\(path) answers")
        }
    }

    @Test(arguments: [("", 200), ("\"0000000000000000\"", 200), ("*", 304), ("W/", 304), ("\"x\", ", 304)])
    func aBrowsersCopyIsRevalidatedWithA304(_ given: String, _ status: Int) throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let value = given == "W/" ? "W/" + Dashboard.etag : given.hasSuffix(", ") ? given + Dashboard.etag : given
        let client = try server.client()
        try client.send("GET /_mockllm/ui HTTP/1.1\r\nHost: x\r\n" + (value.isEmpty ? "" : "If-None-Match: \(value)\r\n") + "\r\n")
        let response = try client.readResponse()
        #expect(response.status == status, "If-None-Match: \(value)")
        #expect(response.header("etag") == Dashboard.etag)
        if status == 304 {
            #expect(response.header("content-length") == nil && response.header("content-type") == nil)
        }
        // The connection goes on: a 304 carries no body bytes that could be misread as the next reply.
        try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try client.readResponse().status == 200)
    }

    @Test func underAnAdminTokenThePageTakesItInTheQueryAndNothingElseDoes() throws {
        let server = try Self.server(token: "admin-secret")
        defer { #expect(server.stop() == 0) }
        let refused = try server.request("GET", "/_mockllm/ui")
        #expect(refused.status == 401)
        #expect(refused.header("www-authenticate") != nil)
        let error = try #require(try refused.json()["error"] as? [String: Any])
        #expect(error["type"] as? String == "unauthorized")
        #expect((error["message"] as? String)?.contains("/_mockllm/ui?token=TOKEN") == true)

        let wrong = try server.request("GET", "/_mockllm/ui?token=admin-secreT")
        #expect(wrong.status == 401)
        #expect(((try wrong.json()["error"] as? [String: Any])?["message"] as? String)?.hasPrefix("Incorrect admin token") == true)
        #expect(try server.request("GET", "/_mockllm/ui?token=").status == 401)
        #expect(try server.request("GET", "/_mockllm/ui?token=admin-secret").status == 200)
        #expect(try server.request("GET", "/_mockllm/ui?token=admin%2Dsecret").status == 200, "the query value is percent-decoded")
        #expect(try server.request("GET", "/_mockllm/ui", headers: [("Authorization", "Bearer admin-secret")]).status == 200)
        #expect(try server.request("GET", "/_mockllm/ui", headers: [("x-mockllm-admin-token", "admin-secret")]).status == 200)

        // The query opens only the page: the API it polls still wants the header.
        for path in ["/_mockllm/rules", "/_mockllm/tests", "/_mockllm/faults"] {
            #expect(try server.request("GET", path + "?token=admin-secret").status == 401, "\(path)")
            #expect(try server.request("GET", path, headers: [("Authorization", "Bearer admin-secret")]).status == 200, "\(path)")
        }
        #expect(try server.request("GET", "/_mockllm/requests?token=admin-secret").status == 401)
    }

    @Test func theRulesEndpointListsEveryRuleWithItsCounters() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        func rules() throws -> [[String: Any]] {
            let response = try server.request("GET", "/_mockllm/rules")
            #expect(response.status == 200)
            #expect(response.header("content-type") == "application/json")
            return try #require(try response.json()["rules"] as? [[String: Any]])
        }
        let before = try rules()
        #expect(before.map { $0["name"] as? String } == ["refund", "busy", "flaky"])
        #expect(before.map { $0["matched"] as? Int } == [0, 0, 0])
        #expect(before[0]["times"] is NSNull && before[0]["fault"] is NSNull)
        #expect(before[1]["times"] as? Int == 2 && before[1]["fault"] is NSNull)
        #expect(before[2]["fault"] as? String == "flaky")
        #expect(before.map { $0["line"] as? Int } == [2, 5, 9])

        #expect(try Self.chat(server, "a refund please").status == 200)
        #expect(try Self.chat(server, "another refund").status == 200)
        #expect(try Self.chat(server, "pay now").status == 429)
        #expect(try Self.chat(server, "pay now").status == 429)
        #expect(try Self.chat(server, "pay now").status == 200, "past its times the rule is passed over")
        #expect(try Self.chat(server, "retry").status == 503, "the rule's fault fires first")
        #expect(try Self.chat(server, "retry").status == 200)
        #expect(try Self.chat(server, "refund", headers: [("x-mockllm-test", "scoped")]).status == 200)

        let after = try rules()
        #expect(after[0]["matched"] as? Int == 2 && after[0]["answered"] as? Int == 2, "a test scope counts its own")
        #expect(after[1]["matched"] as? Int == 3 && after[1]["answered"] as? Int == 2, "answered stops at times")
        #expect(after[2]["matched"] as? Int == 2 && after[2]["answered"] as? Int == 2, "a fault's reply is the rule's answer too")
    }

    @Test func theScopeListTakesALimitAndStillCountsThemAll() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        for id in ["test_a", "test_b", "test_c"] { #expect(try Self.chat(server, "hi", headers: [("x-mockllm-test", id)]).status == 200) }
        let limited = try server.request("GET", "/_mockllm/tests?limit=2").json()
        #expect(limited["count"] as? Int == 3)
        #expect((limited["tests"] as? [[String: Any]])?.map { $0["id"] as? String } == ["test_c", "test_b"], "the most recent first")
        #expect(((try server.request("GET", "/_mockllm/tests").json())["tests"] as? [Any])?.count == 3)
        #expect(((try server.request("GET", "/_mockllm/tests?limit=0").json())["tests"] as? [Any])?.count == 0)
        for bad in ["-1", "two", ""] {
            let refused = try server.request("GET", "/_mockllm/tests?limit=\(bad)")
            #expect(refused.status == 400, "limit=\(bad)")
            #expect(((try refused.json()["error"] as? [String: Any])?["message"] as? String)?.contains("limit") == true)
        }
    }

    @Test func theJournalShowsAWholeReplysBodyAndNotAStreams() throws {
        let server = try Self.server()
        defer { #expect(server.stop() == 0) }
        let whole = try Self.chat(server, "a refund please")
        let refused = try Self.chat(server, "pay now")
        let streamed = try Self.chat(server, "hi", stream: true)
        #expect(whole.status == 200 && refused.status == 429 && streamed.status == 200)
        var entries: [[String: Any]] = []
        try eventually("the stream's entry is complete") {
            entries = try #require(try server.request("GET", "/_mockllm/requests").json()["requests"] as? [[String: Any]])
            return entries.count == 3 && entries[2]["state"] as? String == "complete"
        }
        let sent = try #require(try JSONSerialization.jsonObject(with: Data(whole.body)) as? NSDictionary)
        #expect((entries[0]["reply_body"] as? NSDictionary) == sent, "the reply body as the client got it")
        let error = try #require(try JSONSerialization.jsonObject(with: Data(refused.body)) as? NSDictionary)
        #expect((entries[1]["reply_body"] as? NSDictionary) == error)
        #expect(entries[2]["reply_body"] is NSNull, "a stream's text is not kept")
    }
}
