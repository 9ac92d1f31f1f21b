import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import Testing

/// `mockllm engine simulate` and `curve`, run as a user runs them.
extension CLITests {
    @Test func engineSimulatePrintsTheContractsJSON() throws {
        let result = try run(["engine", "simulate", "--concurrency", "4", "--input-tokens", "100", "--output-tokens", "20",
                              "--requests", "40", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["ttft_ms", "itl_ms", "request_throughput", "output_token_throughput", "requests"])
        for key in ["ttft_ms", "itl_ms"] {
            let summary = try #require(object[key] as? [String: Double])
            #expect(Set(summary.keys) == ["mean", "p50", "p99"])
            #expect(summary.values.allSatisfy { $0 > 0 })
        }
        #expect(object["requests"] as? Int == 40)
        let requests = try #require(object["request_throughput"] as? Double)
        let tokens = try #require(object["output_token_throughput"] as? Double)
        #expect(abs(tokens - 20 * requests) / tokens < 0.05)
    }

    /// `--time-scale 10`: what a live server with `settings.time_scale: 10` measures, ten times
    /// the durations and a tenth of the rates, under the same client (its default 0.2 ms gap is
    /// a tenth of the slowed engine's time, so it is the engine at scale 1 with a 0.02 ms gap).
    @Test func engineSimulateScalesToALiveTimeScale() throws {
        let common = ["engine", "simulate", "--concurrency", "4", "--input-tokens", "100", "--output-tokens", "20",
                      "--requests", "40", "--json"]
        func object(_ arguments: [String]) throws -> [String: Any] {
            let result = try run(arguments)
            #expect(result.status == 0, "\(result.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        }
        let plain = try object(common + ["--client-gap-ms", "0.02"])
        let slow = try object(common + ["--time-scale", "10"])
        for key in ["ttft_ms", "itl_ms"] {
            let a = try #require(plain[key] as? [String: Double]), b = try #require(slow[key] as? [String: Double])
            for stat in ["mean", "p50", "p99"] { #expect(abs(b[stat]! - 10 * a[stat]!) <= 1e-6 * b[stat]!, "\(key).\(stat)") }
        }
        let rate = try #require(plain["request_throughput"] as? Double), slowRate = try #require(slow["request_throughput"] as? Double)
        #expect(abs(slowRate * 10 - rate) <= 1e-6 * rate)
    }

    /// The contract's flags alone give what `engine fit` simulates (users started together), so
    /// a fitted profile predicts its table without extra flags; `--staggered` differs.
    @Test func engineSimulateStartsUsersTogetherByDefault() throws {
        let common = ["engine", "simulate", "--concurrency", "16", "--input-tokens", "1000", "--output-tokens", "20",
                      "--requests", "64", "--json"]
        let plain = try run(common)
        let together = try run(common + ["--users-together"])
        let staggered = try run(common + ["--staggered"])
        #expect(plain.status == 0 && together.status == 0 && staggered.status == 0, "\(plain.stderr)\(staggered.stderr)")
        #expect(plain.stdout == together.stdout)
        #expect(plain.stdout != staggered.stdout)
    }

    /// `engine simulate --json` of 10-token prompts and 11-token replies on a profile file whose
    /// every step takes 10 ms (two sequences at most), with `arguments` added.
    func simulateOnTenMillisecondSteps(_ arguments: [String]) throws -> [String: Any] {
        let file = try temporaryFile("""
            max_num_seqs: 2
            max_num_batched_tokens: 512
            kv_cache_tokens: 10000
            step_time: {base_ms: 10, per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}
            """, name: "profile.yml")
        let result = try run(["engine", "simulate", "--profile", file.path, "--input-tokens", "10", "--output-tokens", "11",
                              "--json"] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// `--cold-start`: aiperf's run, every user at once on an idle engine, `--requests` in all,
    /// the throughput those requests over their span.
    @Test func engineSimulateColdStartMeasuresAsAiperfDoes() throws {
        let object = try simulateOnTenMillisecondSteps(["--concurrency", "2", "--requests", "2", "--cold-start"])
        // Both prompts in the first 10 ms step, then ten decode steps: two requests in 110 ms.
        #expect(object["requests"] as? Int == 2)
        #expect((object["ttft_ms"] as? [String: Double])?["mean"] == 10)
        let rate = try #require(object["request_throughput"] as? Double)
        #expect(abs(rate - 2 / 0.110) < 1e-9, "\(rate)")
    }

    @Test func engineSimulateReadsAProfileFile() throws {
        let object = try simulateOnTenMillisecondSteps(["--concurrency", "1"])
        // Every step takes 10 ms: one for the prefill, ten for the decodes.
        #expect((object["ttft_ms"] as? [String: Double])?["mean"] == 10)
        #expect((object["itl_ms"] as? [String: Double])?["p99"] == 10)
    }

    @Test func engineUsageErrorsExitTwo() throws {
        let bad: [([String], String)] = [
            (["engine", "simulate", "--concurrency", "0", "--input-tokens", "1", "--output-tokens", "1"], "--concurrency must be 1 or more"),
            (["engine", "simulate", "--concurrency", "2", "--input-tokens", "1"], "--output-tokens"),
            (["engine", "simulate", "--concurrency", "2", "--input-tokens", "0", "--output-tokens", "1"], "--input-tokens must be 1 or more"),
            (["engine", "simulate", "--profile", "defualt", "--concurrency", "2", "--input-tokens", "1", "--output-tokens", "1"],
             "did you mean 'default'?"),
            (["engine", "simulate", "--concurrency", "1", "--input-tokens", "500000", "--output-tokens", "1"],
             "does not fit in a KV cache"),
            (["engine", "curve", "--concurrency", "1,x", "--input-tokens", "1", "--output-tokens", "1"], "'x' is not"),
            (["engine", "simulate", "--concurrency", "2", "--input-tokens", "1", "--output-tokens", "1", "--time-scale", "0"],
             "--time-scale must be greater than 0"),
        ]
        for (arguments, message) in bad {
            let result = try run(arguments)
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
        }
        let file = try temporaryFile("max_num_seqs: 8\nblock_size: zero\n", name: "bad.yml")
        let result = try run(["engine", "simulate", "--profile", file.path, "--concurrency", "1", "--input-tokens", "1",
                              "--output-tokens", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("bad.yml:2:13: error: 'block_size' must be a number, found 'zero'"), "\(result.stderr)")
    }

    @Test func engineCurveWritesATableJSONAndAnSVG() throws {
        let svg = FileManager.default.temporaryDirectory.appendingPathComponent("curve-\(UUID().uuidString).svg")
        defer { try? FileManager.default.removeItem(at: svg) }
        let result = try run(["engine", "curve", "--concurrency", "1,4,16", "--input-tokens", "100", "--output-tokens", "20",
                              "--requests", "50", "--json", "--svg", svg.path])
        #expect(result.status == 0, "\(result.stderr)")
        let points = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(points.map { $0["concurrency"] as? Int } == [1, 4, 16])
        let throughputs = points.compactMap { $0["output_token_throughput"] as? Double }
        #expect(throughputs.count == 3 && throughputs[0] < throughputs[1] && throughputs[1] < throughputs[2])
        let drawing = try String(contentsOf: svg, encoding: .utf8)
        #expect(drawing.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(drawing.contains("Time to first token") && drawing.contains("Inter-token latency")
            && drawing.contains("Output throughput"))
        #expect(drawing.components(separatedBy: "<polyline").count - 1 == 5)
        _ = try XMLDocument(data: Data(drawing.utf8))   // well-formed
        let table = try run(["engine", "curve", "--concurrency", "1,2", "--input-tokens", "10", "--output-tokens", "5"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("TTFT mean") && table.stdout.contains("x real time"))
    }
}
