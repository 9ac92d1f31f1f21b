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

/// `--workers`, the deadline-driven scheduler's bookkeeping and `/_mockllm/stats`, over real
/// sockets. Nothing here is timed: counts and bytes only.
@Suite("Workers and statistics over real sockets")
struct WorkersEndToEndTests {
    static let reply = "one two three four five six seven eight"

    func chat(_ prompt: String, stream: Bool, headers: String = "") -> String {
        let body = #"{"model":"gpt-4o-mini","stream":\#(stream),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n\(headers)Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    @Test func statsCountRequestsStreamsAndEveryTimedEvent() throws {
        try withServer(script: Script(responses: ["hi": Self.reply])) { server in
            let client = try server.client()
            let paced = "x-mockllm-ttft-ms: 5\r\nx-mockllm-itl-ms: 1\r\nx-mockllm-chunking: word\r\n"
            for _ in 0..<3 {
                try client.send(chat("hi", stream: true, headers: paced))
                let response = try client.readResponse()
                #expect(response.status == 200)
            }
            try client.send(chat("hi", stream: false, headers: "x-mockllm-ttft-ms: 5\r\n"))
            #expect(try client.readResponse().status == 200)
            let events = try client.eventsPerStream
            // One worker answers the stats request with its own counters as they are now.
            let s = try server.stats()
            #expect(s["workers"] == 1)
            #expect(s["requests"] == 5)  // the stats request itself is counted before it is answered
            #expect(s["streams", "started"] == 3)
            #expect(s["streams", "completed"] == 3)
            #expect(s["streams", "open"] == 0)
            // Every event of the three streams, plus the delayed non-stream reply.
            #expect(s["events"] == 3 * events + 1)
            #expect(s["lateness_ns", "count"] == 3 * events + 1)
            let buckets = try #require((s.json["lateness_ns"] as? [String: Any])?["buckets"] as? [[Int]])
            #expect(buckets.reduce(0) { $0 + $1[2] } == 3 * events + 1)
            #expect(buckets.allSatisfy { $0.count == 3 && $0[0] <= $0[1] })
        }
    }

    @Test func severalWorkersShareThePortAndTheirCountsAreMerged() throws {
        try withServer(script: Script(responses: ["hi": Self.reply]), workers: 3) { server in
            #expect(server.server.workerCount == 3)
            for i in 0..<60 {
                let client = try server.client()
                try client.send(chat("hi", stream: i % 2 == 0))
                let response = try client.readResponse()
                #expect(response.status == 200)
            }
            // The other workers publish their counters every 100 ms; each stats request is
            // one more request and one more connection.
            var asked = 0
            let s = try eventually("every worker's requests are published") {
                asked += 1
                return try server.stats()
            } until: { $0["requests"] ?? 0 >= 60 + asked }
            #expect(s["workers"] == 3)
            #expect(s["requests"] == 60 + asked)
            let byWorker = try #require(s.json["by_worker"] as? [[String: Any]])
            #expect(byWorker.count == 3)
            #expect(byWorker.reduce(0) { $0 + ($1["requests"] as? Int ?? 0) } == 60 + asked)
            // The kernel hashes each new connection to one listener: 60 connections over 3
            // loops leave none idle (the chance of that is below 1e-10).
            #expect(byWorker.allSatisfy { ($0["connections"] as? Int ?? 0) > 0 })
        }
    }

    @Test func aReloadReachesEveryWorker() throws {
        let file = try ScriptFile("responses:\n  hi: before\n")
        let loaded = try ScriptLoader.load(path: file.path, providers: ["openai", "anthropic"])
        let watched = ServerConfiguration.WatchedScript(path: file.path, fingerprint: loaded.fingerprint)
        try withServer(script: loaded.script, watchedScript: watched, workers: 2) { server in
            try file.replace("responses:\n  hi: after\n")
            let answers = try eventually("no worker answers from the old script") {
                try (0..<20).map { _ in
                    let client = try server.client()  // a new connection each: any worker may take it
                    try client.send(chat("hi", stream: false))
                    let message = try client.readResponse().json()
                    let choice = (message["choices"] as? [[String: Any]])?.first?["message"] as? [String: Any]
                    return choice?["content"] as? String ?? "?"
                }
            } until: { !$0.contains("before") }
            #expect(answers.allSatisfy { $0 == "after" }, "answers after the edit: \(answers)")
        }
    }

    @Test func stoppingJoinsEveryWorkerWithNothingLeftOpen() throws {
        // withServer checks that every loop closed every handle; a stream is in flight on
        // each worker's connections when the stop arrives.
        try withServer(script: Script(responses: ["hi": Self.reply]), workers: 4) { server in
            var clients: [RawClient] = []
            for _ in 0..<16 {
                let client = try server.client()
                try client.send(chat("hi", stream: true, headers: "x-mockllm-itl-ms: 1000\r\n"))
                _ = try client.readHead()
                clients.append(client)
            }
            withExtendedLifetime(clients) {}
        }
    }
}

private extension RawClient {
    /// Events in one stream of `WorkersEndToEndTests.reply` with word chunking: role, one per
    /// word, finish, [DONE].
    var eventsPerStream: Int {
        get throws { WorkersEndToEndTests.reply.split(separator: " ").count + 3 }
    }
}
