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

/// `GET /metrics` over real sockets: what the loop measures (streams, events, time to first
/// token, aborts) reaches the exposition, merged over workers. Counts, and timings only as
/// lower bounds.
@Suite("Metrics over real sockets")
struct MetricsEndToEndTests {
    static let reply = "one two three four five six seven eight"

    func chat(_ wire: Wire, stream: Bool, headers: String = "") -> String {
        var body = #"{"model":"\#(wire.defaultModel)","stream":\#(stream),"messages":[{"role":"user","content":"hi"}]"#
        var head = "POST \(wire.path) HTTP/1.1\r\nHost: x\r\n\(headers)"
        if wire == .anthropic {
            body += #","max_tokens":100"#
            head += "anthropic-version: 2023-06-01\r\n"
        }
        body += "}"
        return head + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// Sample lines of a scrape, `name{labels}` -> value, on `client`'s connection or a new one.
    func scrape(_ server: TestServer, on client: RawClient? = nil) throws -> [String: Double] {
        let client = try client ?? server.client()
        try client.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let response = try client.readResponse()
        #expect(response.status == 200)
        #expect(response.header("content-type") == "text/plain; version=0.0.4; charset=utf-8")
        return try prometheusSamples(response.text)
    }

    @Test func streamsTheirEventsAndTimingsAreExposed() throws {
        try withServer(script: Script(responses: ["hi": Self.reply])) { server in
            let client = try server.client()
            let paced = "x-mockllm-ttft-ms: 20\r\nx-mockllm-itl-ms: 2\r\nx-mockllm-chunking: word\r\n"
            var contentEvents = 0
            for wire in Wire.allCases {
                try client.send(chat(wire, stream: true, headers: paced))
                let response = try client.readResponse()
                #expect(response.status == 200)
                contentEvents += response.chunks.filter { isContentEvent($0, wire) }.count
                try client.send(chat(wire, stream: false))
                #expect(try client.readResponse().status == 200)
            }
            // A client that leaves during the time to first token: an aborted stream.
            let leaving = try server.client()
            try leaving.send(chat(.openai, stream: true, headers: "x-mockllm-ttft-ms: 10000\r\n"))
            _ = try leaving.readHead()
            leaving.reset()

            let s = try eventually("the reset stream is counted as aborted") { try scrape(server) } until: {
                $0[#"mockllm_streams_total{outcome="aborted"}"#] ?? 0 >= 1
            }
            #expect(s[#"mockllm_streams_total{outcome="completed"}"#] == 2)
            #expect(s[#"mockllm_streams_total{outcome="aborted"}"#] == 1)
            #expect(s["mockllm_streams_open"] == 0)
            #expect(s[#"mockllm_requests_total{provider="openai",endpoint="/v1/chat/completions",status="200",rule="responses"}"#] == 3)
            #expect(s[#"mockllm_requests_total{provider="anthropic",endpoint="/v1/messages",status="200",rule="responses"}"#] == 2)
            // The two completed streams reached their first token after 20 ms; the aborted one never did.
            #expect(s["mockllm_time_to_first_token_seconds_count"] == 2)
            #expect(s[#"mockllm_time_to_first_token_seconds_bucket{le="0.01"}"#] == 0)
            #expect(try #require(s["mockllm_time_to_first_token_seconds_sum"]) >= 0.04)
            #expect(s["mockllm_stream_duration_seconds_count"] == 3)
            // Each stream's intervals run from its first token: one fewer than its events from there.
            let events = try #require(s["mockllm_stream_events_total"])
            #expect(events > Double(contentEvents))
            let intervals = try #require(s["mockllm_inter_token_seconds_count"])
            #expect(intervals >= Double(contentEvents - 2) && intervals < events)
            // Paced 2 ms apart. The sum telescopes to each stream's last event minus its first
            // token, and every event is written at its deadline or late, never early: only the
            // first token's lateness can shorten the sum, and the sum of all lateness bounds it
            // (on a busy machine a first token may well be 10 ms late).
            let lateness = try #require(s["mockllm_emission_lateness_seconds_sum"])
            #expect(try #require(s["mockllm_inter_token_seconds_sum"]) + lateness >= Double(contentEvents - 2) * 0.002 - 1e-6)
            #expect(s["mockllm_emission_lateness_seconds_count"] == events, "the JSON replies were not delayed: no other timed write")
            #expect(try #require(s[#"mockllm_tokens_total{direction="completion"}"#]) >= 16)
            #expect(s["mockllm_connections_accepted_total"]! >= 3)
            #expect(s["mockllm_connections_open"]! >= 1)
        }
    }

    @Test func everyWorkersCountsAreMerged() throws {
        try withServer(script: Script(responses: ["hi": Self.reply]), workers: 3) { server in
            for i in 0..<30 {
                let client = try server.client()
                try client.send(chat(i % 2 == 0 ? .openai : .anthropic, stream: i % 3 == 0))
                #expect(try client.readResponse().status == 200)
            }
            // Other workers publish their histograms and connection counts every 100 ms. One
            // connection for every scrape, so the connections it counts are known.
            let scraper = try server.client()
            let s = try eventually("every worker's streams and connections are published") { try scrape(server, on: scraper) } until: {
                $0["mockllm_connections_accepted_total"] ?? 0 >= 31 && $0["mockllm_stream_duration_seconds_count"] ?? 0 >= 10
                    && $0["mockllm_time_to_first_token_seconds_count"] ?? 0 >= 10
            }
            let requests = s.filter { $0.key.hasPrefix("mockllm_requests_total{") }.values.reduce(0, +)
            #expect(requests == 30)
            #expect(s["mockllm_connections_accepted_total"] == 31)
            #expect(s[#"mockllm_streams_total{outcome="completed"}"#] == 10)
            #expect(s["mockllm_stream_duration_seconds_count"] == 10)
            #expect(s["mockllm_time_to_first_token_seconds_count"] == 10)
        }
    }
}
