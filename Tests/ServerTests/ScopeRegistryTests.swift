import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMHTTPServer
@testable import MockLLMProviders
@testable import MockLLMScript
import TestSupport
import Testing

/// The registry of test scopes (its least-recently-used bound), how a request names a scope,
/// and the journal's part: the test id on each entry, `?test=`, and dropping a test's entries.
@Suite("Test scope registry")
struct ScopeRegistryTests {
    @Test func theLeastRecentlyUsedScopeIsDroppedPastTheLimit() {
        let registry = ScopeRegistry(limit: 3)
        let a = registry.scope("a")
        _ = registry.scope("b")
        _ = registry.scope("c")
        #expect(registry.scope("a") === a, "the same object while kept; now the most recent")
        _ = registry.scope("d")
        #expect(registry.scopes.map(\.id) == ["d", "a", "c"], "b was the least recently used")
        #expect(registry.evicted == 1 && registry.count == 3)
        #expect(registry.existing("b") == nil)
        #expect(registry.scope("b") !== a)
        #expect(registry.scopes.map(\.id) == ["b", "d", "a"])
        #expect(registry.drop("d") && !registry.drop("d"))
        #expect(registry.scopes.map(\.id) == ["b", "a"])
        _ = registry.scope("e")
        _ = registry.scope("f")
        #expect(registry.scopes.map(\.id) == ["f", "e", "b"], "freed slots are reused; a went")
        #expect(registry.existing("b") != nil)
        #expect(registry.scopes.map(\.id) == ["f", "e", "b"], "existing does not change the order")
    }

    @Test func thousandsOfScopesStayBoundedAndOrdered() {
        let registry = ScopeRegistry(limit: 1000)
        for i in 0..<5000 { _ = registry.scope("t\(i % 2500)") }
        #expect(registry.count == 1000)
        #expect(registry.scopes.first?.id == "t2499" && registry.scopes.last?.id == "t1500")
        #expect(registry.evicted == 4000)
    }

    @Test(arguments: ["a", "test_login", "Test-1.2~x", String(repeating: "x", count: 128)])
    func validIDs(id: String) throws {
        try ScopeRegistry.check(Substring(id), from: "header")
    }

    @Test(arguments: ["", ".", "..", "a b", "a/b", "a%20b", "a:b", "é", String(repeating: "x", count: 129)])
    func invalidIDs(id: String) {
        #expect(throws: ScopeRegistry.InvalidID.self) { try ScopeRegistry.check(Substring(id), from: "header") }
    }

    static func request(_ target: String, test: String? = nil) -> HTTPRequest {
        var headers = HTTPFields()
        if let test { headers.append(name: "x-mockllm-test", value: test) }
        return HTTPRequest(method: "POST", target: target, headers: headers)
    }

    @Test func aRequestNamesItsScopeByHeaderOrPathPrefix() throws {
        let plain = try ScopeRegistry.named(by: Self.request("/v1/chat/completions"))
        #expect(plain.id == nil && plain.request.path == "/v1/chat/completions")
        #expect(!ScopeRegistry.mayName(Self.request("/v1/chat/completions")))
        #expect(!ScopeRegistry.mayName(Self.request("/tags")))
        let header = try ScopeRegistry.named(by: Self.request("/v1/messages", test: "t1"))
        #expect(header.id == "t1" && header.request.path == "/v1/messages")
        let path = try ScopeRegistry.named(by: Self.request("/t/t2/v1beta/models/gemini-2.0-flash:generateContent?key=k"))
        #expect(path.id == "t2" && path.request.path == "/v1beta/models/gemini-2.0-flash:generateContent")
        #expect(path.request.query == "key=k" && path.request.target == "/v1beta/models/gemini-2.0-flash:generateContent?key=k")
        // Named by the path alone, the request carries the header too: one form for what reads it.
        #expect(path.request.headers["x-mockllm-test"] == "t2" && path.request.headers.namesTestScope)
        #expect(plain.request.headers["x-mockllm-test"] == nil)
        let both = try ScopeRegistry.named(by: Self.request("/t/t3/api/chat", test: "t3"))
        #expect(both.id == "t3" && both.request.path == "/api/chat")
        #expect(try ScopeRegistry.named(by: Self.request("/t/t4")).request.path == "/")
    }

    @Test(arguments: [
        ("/t/a%20b/v1/chat/completions", nil, "Invalid test scope id 'a%20b' (path prefix /t/ID/)"),
        ("/t//v1/chat/completions", nil, "Invalid test scope id '' (path prefix /t/ID/)"),
        ("/v1/chat/completions", "a b", "Invalid test scope id 'a b' (header x-mockllm-test)"),
        ("/t/a/v1/chat/completions", "b", "The x-mockllm-test header names test scope 'b' and the path prefix /t/a/ another"),
    ] as [(String, String?, String)])
    func aBadScopeIsRefused(target: String, header: String?, message: String) {
        do {
            _ = try ScopeRegistry.named(by: Self.request(target, test: header))
            Issue.record("accepted \(target)")
        } catch {
            #expect(error.message.hasPrefix(message), "\(error.message)")
        }
    }

    @Test(arguments: [(0, false), (1, true), (10_000, true), (1_000_000, true), (1_000_001, false)])
    func theTestScopesFlagIsBetweenOneAndAMillion(value: Int, accepted: Bool) {
        var options = Launcher.ServeOptions()
        options.testScopes = value
        do {
            try Launcher.check(options)
            #expect(accepted)
        } catch {
            #expect(!accepted && error.message == "--test-scopes must be between 1 and 1000000")
        }
    }

    @Test func journalEntriesCarryTheirTestAndAreFilteredAndDroppedByIt() throws {
        let journal = RequestJournal(capacity: 4, workers: 1)
        let ring = journal.rings[0]
        for test in ["a", nil, "b", "a", "a"] as [String?] {
            _ = ring.record(RequestJournalTests.request(), reply: RequestJournalTests.reply(), provider: "openai", test: test)
        }
        let all = try RequestJournalTests.report(journal)
        #expect(all.entries.map { $0["test"] as? String } == [nil, "b", "a", "a"] && all.total == 5 && all.dropped == 1)
        let onlyA = try RequestJournalTests.report(journal, "test=a")
        #expect(onlyA.entries.map { $0["seq"] as? Int } == [4, 5])
        #expect(journal.remove(test: "a") == 2)
        let after = try RequestJournalTests.report(journal)
        #expect(after.entries.map { $0["seq"] as? Int } == [2, 3] && after.total == 3 && after.dropped == 1)
        _ = ring.record(RequestJournalTests.request(), reply: RequestJournalTests.reply(), provider: "openai", test: "c")
        ring.finish(RequestJournalTests.finished(6))
        let next = try RequestJournalTests.report(journal)
        #expect(next.entries.map { $0["seq"] as? Int } == [2, 3, 6] && next.entries.last?["state"] as? String == "complete")
    }
}
