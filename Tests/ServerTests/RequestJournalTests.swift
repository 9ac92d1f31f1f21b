import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMHTTPServer
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

@Suite("Request journal")
struct RequestJournalTests {
    static func request(_ path: String = "/v1/chat/completions", model: String = "gpt-4o-mini", body: String? = nil,
                        headers: HTTPFields = HTTPFields()) -> HTTPRequest {
        let text = body ?? #"{"model":"\#(model)","messages":[{"role":"user","content":"hi"}]}"#
        return HTTPRequest(method: "POST", target: path, headers: headers, body: Array(text.utf8))
    }

    static func reply(_ status: Int = 200, rule: String? = "responses") -> Reply {
        var headers = HTTPFields()
        if let rule { headers.append(name: "x-mockllm-rule", value: rule) }
        return Reply.json(status, ByteBuffer("{}"), headers: headers)
    }

    static func finished(_ trace: Int, aborted: Bool = false) -> FinishedReply {
        FinishedReply(trace: trace, status: 200, firstByteNanoseconds: 1_500_000, durationNanoseconds: 12_345_678, events: 3, aborted: aborted)
    }

    /// The report as JSON objects.
    static func report(_ journal: RequestJournal, _ query: String? = nil) throws -> (entries: [[String: Any]], total: Int, dropped: Int) {
        let snapshot = journal.snapshot()
        let selected = try JournalQuery(query: query).select(snapshot.entries)
        let bytes = JournalReport.json(selected, total: snapshot.total, dropped: snapshot.dropped).bytes
        let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(object.keys.sorted() == ["dropped", "requests", "total"])
        return (try #require(object["requests"] as? [[String: Any]]), try #require(object["total"] as? Int),
                try #require(object["dropped"] as? Int))
    }

    @Test func aFullRingDropsTheOldestAndCountsThem() throws {
        let journal = RequestJournal(capacity: 3, workers: 1)
        let ring = journal.rings[0]
        let traces = (0..<5).map { _ in ring.record(Self.request(), reply: Self.reply(), provider: "openai") }
        #expect(traces == [1, 2, 3, 4, 5])
        let (entries, total, dropped) = try Self.report(journal)
        #expect(entries.map { $0["seq"] as? Int } == [3, 4, 5], "oldest first, the two oldest gone")
        #expect(total == 5)
        #expect(dropped == 2)
        for _ in 0..<4 { _ = ring.record(Self.request(), reply: Self.reply(), provider: "openai") }
        #expect(try Self.report(journal).entries.map { $0["seq"] as? Int } == [7, 8, 9], "wraps more than once")
    }

    @Test func aFinishedReplyFillsInItsEntryAndAnUnfinishedOneShowsInProgress() throws {
        let journal = RequestJournal(capacity: 4, workers: 1)
        let ring = journal.rings[0]
        let first = ring.record(Self.request(), reply: Self.reply(), provider: "openai")
        let second = ring.record(Self.request(), reply: Self.reply(), provider: "openai")
        _ = ring.record(Self.request(), reply: Self.reply(), provider: "openai")
        ring.finish(Self.finished(first, aborted: true))  // not the newest: found by search
        ring.finish(Self.finished(99))  // unknown: ignored
        let entries = try Self.report(journal).entries
        #expect(entries[0]["state"] as? String == "complete")
        #expect(entries[0]["first_byte_ms"] as? Double == 1.5)
        #expect(entries[0]["duration_ms"] as? Double == 12.345)
        #expect(entries[0]["events"] as? Int == 3)
        #expect(entries[0]["aborted"] as? Bool == true)
        #expect(entries[1]["state"] as? String == "in_progress")
        #expect(entries[1]["duration_ms"] is NSNull)
        #expect(entries[1]["first_byte_ms"] is NSNull)
        #expect(entries[1]["aborted"] is NSNull)
        ring.finish(Self.finished(second))
        #expect(try Self.report(journal).entries[1]["state"] as? String == "complete")
    }

    @Test func anEntryDroppedOrClearedBeforeItsReplyFinishesIsLeftAlone() throws {
        let journal = RequestJournal(capacity: 2, workers: 1)
        let ring = journal.rings[0]
        let old = ring.record(Self.request(), reply: Self.reply(), provider: "openai")
        for _ in 0..<2 { _ = ring.record(Self.request(), reply: Self.reply(), provider: "openai") }
        ring.finish(Self.finished(old))
        #expect(try Self.report(journal).entries.allSatisfy { $0["state"] as? String == "in_progress" })
        let pending = ring.record(Self.request(), reply: Self.reply(), provider: "openai")
        journal.clear()
        ring.finish(Self.finished(pending))
        let (entries, total, dropped) = try Self.report(journal)
        #expect(entries.isEmpty && total == 0 && dropped == 0)
        let next = ring.record(Self.request(), reply: Self.reply(), provider: "openai")
        #expect(next == pending + 1, "sequence numbers go on after a clear")
    }

    @Test func anEntryShowsTheRequestAndNeverItsKey() throws {
        let journal = RequestJournal(capacity: 10, workers: 1)
        let headers = HTTPFields([
            "Authorization": "Bearer sk-secret-1", "x-api-key": "sk-secret-2", "User-Agent": "OpenAI/Python 2.0",
            "X-Stainless-Retry-Count": "1", "x-stainless-lang": "python", "anthropic-version": "2023-06-01",
            "openai-beta": "assistants=v2", "idempotency-key": "stainless-retry-1", "x-request-id": "abc",
            "content-type": "application/json", "x-mockllm-ttft-ms": "5", "x-mockllm-admin-token": "sk-secret-3",
            "cookie": "session=sk-secret-4", "x-stainless-lang": "again",
        ])
        let trace = journal.rings[0].record(Self.request(headers: headers), reply: Self.reply(429, rule: "rule flaky"), provider: "openai")
        let (bytes, entry) = try reportOne(journal)
        #expect(!bytes.contains("sk-secret"), "no credential is ever shown")
        #expect(entry["seq"] as? Int == trace)
        #expect(entry["method"] as? String == "POST")
        #expect(entry["path"] as? String == "/v1/chat/completions")
        #expect(entry["provider"] as? String == "openai")
        #expect(entry["model"] as? String == "gpt-4o-mini")
        #expect(entry["api_key"] as? Bool == true)
        #expect(entry["rule"] as? String == "rule flaky")
        #expect(entry["status"] as? Int == 429)
        #expect(entry["stream"] as? Bool == false)
        let shown = try #require(entry["headers"] as? [String: String])
        #expect(shown == [
            "user-agent": "OpenAI/Python 2.0", "x-stainless-retry-count": "1", "x-stainless-lang": "python, again",
            "anthropic-version": "2023-06-01", "openai-beta": "assistants=v2", "idempotency-key": "stainless-retry-1",
            "x-request-id": "abc", "content-type": "application/json", "x-mockllm-ttft-ms": "5",
        ])
        let body = try #require(entry["body"] as? [String: Any], "a JSON body is shown as JSON")
        #expect(body["model"] as? String == "gpt-4o-mini")
        #expect(entry["body_truncated"] as? Bool == false)
        let time = try #require(entry["time"] as? String)
        #expect(time.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(time)")
    }

    func reportOne(_ journal: RequestJournal) throws -> (text: String, entry: [String: Any]) {
        let snapshot = journal.snapshot()
        let text = JournalReport.json(snapshot.entries, total: snapshot.total, dropped: snapshot.dropped).description
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let entries = try #require(object["requests"] as? [[String: Any]])
        return (text, try #require(entries.last))
    }

    @Test func bodiesThatAreNotJSONOrTooLongAreShownAsText() throws {
        let journal = RequestJournal(capacity: 10, workers: 1)
        let ring = journal.rings[0]
        _ = ring.record(Self.request(body: "not json \u{1F600}"), reply: Self.reply(400), provider: "openai")
        var (_, entry) = try reportOne(journal)
        #expect(entry["body"] as? String == "not json \u{1F600}")
        #expect(entry["model"] is NSNull)
        #expect(entry["api_key"] as? Bool == false)
        _ = ring.record(HTTPRequest(method: "GET", target: "/v1/models"), reply: Self.reply(rule: nil), provider: "openai")
        (_, entry) = try reportOne(journal)
        #expect(entry["body"] is NSNull)
        #expect(entry["rule"] is NSNull)
        let long = #"{"model":"m","messages":[{"role":"user","content":""# + String(repeating: "x", count: 70_000) + #""}]}"#
        _ = ring.record(Self.request(body: long), reply: Self.reply(), provider: "openai")
        (_, entry) = try reportOne(journal)
        let shown = try #require(entry["body"] as? String, "a cut JSON body is no longer JSON: shown as text")
        #expect(shown.utf8.count == RequestJournal.bodyLimit)
        #expect(entry["body_bytes"] as? Int == long.utf8.count)
        #expect(entry["body_truncated"] as? Bool == true)
    }

    @Test func theServersOwnPathsAreNotJournaled() throws {
        let journal = RequestJournal(capacity: 10, workers: 1)
        for path in ["/health", "/metrics", "/models", "/providers", "/_mockllm", "/_mockllm/stats", "/_mockllm/nope"] {
            #expect(journal.rings[0].record(Self.request(path), reply: Self.reply(), provider: nil) == 0, "\(path)")
        }
        #expect(journal.snapshot().total == 0)
        #expect(journal.rings[0].record(Self.request("/_mockllmx"), reply: Self.reply(), provider: nil) == 1)
    }

    @Test func filtersCombineAndLimitKeepsTheNewest() throws {
        let journal = RequestJournal(capacity: 20, workers: 1)
        let ring = journal.rings[0]
        let log: [(String, String, Int, String?)] = [
            ("/v1/chat/completions", "gpt-4o", 429, "rule flaky"),   // 1
            ("/v1/chat/completions", "gpt-4o", 429, "rule flaky"),   // 2
            ("/v1/chat/completions", "gpt-4o", 200, "rule paid"),    // 3
            ("/v1/messages", "claude-3-haiku", 529, "rule busy"),    // 4
            ("/v1/messages", "claude-3-haiku", 200, "default"),      // 5
            ("/v1/chat/completions", "gpt-4o-mini", 200, "responses"),  // 6
        ]
        for (path, model, status, rule) in log {
            _ = ring.record(Self.request(path, model: model), reply: Self.reply(status, rule: rule), provider: "x")
        }
        func seqs(_ query: String) throws -> [Int] { try Self.report(journal, query).entries.compactMap { $0["seq"] as? Int } }
        #expect(try seqs("path=/v1/messages") == [4, 5])
        #expect(try seqs("model=gpt-4o") == [1, 2, 3])
        #expect(try seqs("rule=flaky") == [1, 2])
        #expect(try seqs("rule=rule%20paid") == [3], "the whole header value works too")
        #expect(try seqs("rule=default") == [5])
        #expect(try seqs("status=200") == [3, 5, 6])
        #expect(try seqs("status=5xx") == [4])
        #expect(try seqs("status=4XX") == [1, 2])
        #expect(try seqs("since=4") == [5, 6])
        #expect(try seqs("limit=2") == [5, 6])
        #expect(try seqs("limit=0") == [])
        #expect(try seqs("path=%2Fv1%2Fchat%2Fcompletions&status=200&limit=1") == [6])
        #expect(try seqs("model=nobody") == [])
        #expect(try Self.report(journal, "limit=1").total == 6, "total counts every entry, not the selection")
    }

    @Test func malformedFiltersAreRefused() throws {
        for query in ["since=x", "since=-1", "limit=ten", "status=abc", "status=6xx", "status=99", "pth=/v1/messages"] {
            #expect(throws: JournalQuery.Invalid.self, "\(query)") { try JournalQuery(query: query) }
        }
        #expect(try JournalQuery(query: nil) == JournalQuery())
        #expect(try JournalQuery(query: "since=3&limit=2") == JournalQuery(since: 3, limit: 2))
    }

    @Test func workersRingsAreMergedInSequenceOrder() throws {
        let journal = RequestJournal(capacity: 5, workers: 2)
        #expect(journal.rings.map(\.capacity) == [3, 3], "the capacity is shared out, rounded up")
        for k in 0..<6 { _ = journal.rings[k % 2].record(Self.request(), reply: Self.reply(), provider: "openai") }
        let (entries, total, dropped) = try Self.report(journal)
        #expect(entries.compactMap { $0["seq"] as? Int } == [1, 2, 3, 4, 5, 6])
        #expect(total == 6 && dropped == 0)
        journal.clear()
        #expect(journal.snapshot().entries.isEmpty)
    }

    @Test func theNewestEntriesAreCopiedAloneAndMergedOverWorkers() throws {
        let journal = RequestJournal(capacity: 8, workers: 2)
        // Uneven on purpose: worker 0 answers most requests, so its ring has dropped some.
        for k in 0..<9 { _ = journal.rings[k % 3 == 2 ? 1 : 0].record(Self.request(), reply: Self.reply(), provider: "openai") }
        let all = journal.snapshot()
        #expect(all.entries.map(\.sequence) == [3, 4, 5, 6, 7, 8, 9])
        for n in [0, 1, 3, 7, 20] {
            let newest = journal.snapshot(newest: n)
            #expect(newest.entries.map(\.sequence) == Array(all.entries.map(\.sequence).suffix(n)), "newest \(n)")
            #expect(newest.total == all.total && newest.dropped == all.dropped, "the counts are the journal's")
        }
        #expect(try JournalQuery(query: "limit=3").limitsOnly)
        #expect(try !JournalQuery(query: "limit=3&status=200").limitsOnly)
        #expect(try !JournalQuery(query: "since=2").limitsOnly)
    }

    /// A loop writes and finishes entries on its thread while another thread reads: every read
    /// sees whole entries, in order, no more than the ring holds, and counts that only grow.
    @Test func readingWhileAnotherThreadWritesIsSafe() throws {
        let journal = RequestJournal(capacity: 64, workers: 1)
        let ring = journal.rings[0]
        let writes = 50_000
        let done = Flag()
        let writer = Thread {
            let request = Self.request()
            let reply = Self.reply()
            for _ in 0..<writes {
                let trace = ring.record(request, reply: reply, provider: "openai")
                ring.finish(Self.finished(trace))
            }
            done.set()
        }
        writer.start()
        var reads = 0, lastTotal = 0
        while !done.isSet || reads == 0 {
            let snapshot = journal.snapshot()
            #expect(snapshot.entries.count <= 64)
            #expect(snapshot.total >= lastTotal)
            #expect(snapshot.total - snapshot.dropped == snapshot.entries.count)
            let seqs = snapshot.entries.map(\.sequence)
            #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
            if let last = seqs.last { #expect(last == snapshot.total) }
            lastTotal = snapshot.total
            reads += 1
        }
        let final = journal.snapshot()
        #expect(final.total == writes)
        #expect(final.entries.map(\.sequence) == Array((writes - 63)...writes))
        #expect(final.entries.allSatisfy { $0.outcome != nil })
    }

    @Test func millisecondTimestampsAreRFC3339() {
        #expect(RFC3339.format(unixMilliseconds: 0) == "1970-01-01T00:00:00.000Z")
        #expect(RFC3339.format(unixMilliseconds: 1_795_609_276_045) == "2026-11-25T12:21:16.045Z")
        #expect(RFC3339.format(unixMilliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }

    @Test func anApplicationJournalsProviderRequestsOnly() throws {
        let app = Application(script: Script(responses: ["hi": "hello"]), seed: 1)
        let journal = RequestJournal(capacity: 10, workers: 1)
        app.journal = journal.rings[0]
        let chat = app.reply(to: Self.request())
        #expect(chat.trace == 1, "a journaled reply is traced by its sequence number")
        app.replyFinished(Self.finished(chat.trace))
        #expect(app.reply(to: HTTPRequest(method: "GET", target: "/health")).trace == 0)
        #expect(app.reply(to: HTTPRequest(method: "GET", target: "/_mockllm/stats")).trace == 0)
        #expect(app.reply(to: HTTPRequest(method: "GET", target: "/_mockllm/requests")).trace == 0)
        #expect(app.reply(to: HTTPRequest(method: "GET", target: "/v1/nope")).trace == 2, "a 404 to a provider-like path is journaled")
        #expect(app.reply(to: HTTPRequest(method: "DELETE", target: "/v1/chat/completions")).trace == 3)
        let entries = journal.snapshot().entries
        #expect(entries.map(\.status) == [200, 404, 405])
        #expect(entries.map(\.provider) == ["openai", nil, nil])
        #expect(entries[0].rule == "responses")
        #expect(entries[0].outcome != nil)
    }

    @Test func aModelNamedInThePathIsTheEntrysModel() throws {
        let app = Application(script: Script(responses: ["hi": "hello"]), seed: 1)
        let journal = RequestJournal(capacity: 10, workers: 1)
        app.journal = journal.rings[0]
        let body = Array(#"{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}"#.utf8)
        let gemini = app.reply(to: HTTPRequest(method: "POST", target: "/v1beta/models/gemini-2.5-flash:generateContent", body: body))
        #expect(gemini.status == 200)
        _ = app.reply(to: Self.request(model: "gpt-4o"))
        #expect(try Self.report(journal).entries.map { $0["model"] as? String } == ["gemini-2.5-flash", "gpt-4o"])
        #expect(try Self.report(journal, "model=gemini-2.5-flash").entries.map { $0["seq"] as? Int } == [1])
    }
}
