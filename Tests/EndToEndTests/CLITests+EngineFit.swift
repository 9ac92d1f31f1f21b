import Foundation
import TestSupport
import Testing

/// `mockllm engine fit`, run as a user runs it: the report, the profile YAML it writes, and that
/// `engine simulate` and a script's `engines:` read that file back.
extension CLITests {
    /// A small table (short shapes, few users) so the fit is quick in a debug build.
    static let smallTable = """
        # a made-up deployment: 5 ms steps and a little more per user and per prompt token
        concurrency,input_tokens,output_tokens,ttft_ms,itl_ms,request_throughput,note
        1,32,8,6.0,5.1,25.0,a
        2,32,8,7.5,5.2,48.0,b
        4,32,8,9.0,5.4,90.0,c
        1,256,8,9.5,5.3,22.0,d
        2,256,8,13.0,5.6,40.0,e
        4,256,8,18.0,6.2,70.0,f
        """

    @Test func engineFitWritesAProfileThatSimulateAndAScriptReadBack() throws {
        let table = try temporaryFile(Self.smallTable, name: "table.csv")
        let profile = table.deletingLastPathComponent().appendingPathComponent("fitted.yml")
        let fit = try run(["engine", "fit", table.path, "--output", profile.path])
        #expect(fit.status == 0, "\(fit.stderr)")
        for expected in ["base_ms:", "per_context_token_ms:", "within 25 %", "32/8", "256/8", "wrote \(profile.path)"] {
            #expect(fit.stdout.contains(expected), "\(expected): \(fit.stdout)")
        }
        let yaml = try String(contentsOf: profile, encoding: .utf8)
        #expect(yaml.hasPrefix("# Engine profile fitted by `mockllm engine fit` to table.csv"))
        for key in ["max_num_seqs: 256", "max_num_batched_tokens:", "kv_cache_tokens:", "block_size: 16",
                    "preemption: recompute", "prefix_caching: true", "kv_admission: ", "prefill: ", "step_time:", "  base_ms:", "  per_sequence_ms:",
                    "  per_prefill_token_ms:", "  per_context_token_ms:"] {
            #expect(yaml.contains("\n" + key), "\(key): \(yaml)")
        }

        let simulated = try run(["engine", "simulate", "--profile", profile.path, "--concurrency", "2",
                                 "--input-tokens", "32", "--output-tokens", "8", "--json"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(simulated.stdout.utf8)) as? [String: Any])
        let itl = try #require((object["itl_ms"] as? [String: Double])?["mean"])
        // The table's ITL at two users is 5.2 ms; the fitted profile predicts it closely.
        #expect(abs(itl / 5.2 - 1) < 0.25, "\(itl)")

        let script = table.deletingLastPathComponent().appendingPathComponent("responses.yml")
        try """
            engines:
              fitted: {profile: fitted.yml}
            models:
              - id: m
                engine: fitted
            responses:
              hello: world
            """.write(to: script, atomically: true, encoding: .utf8)
        let validate = try run(["validate", script.path])
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
    }

    @Test func engineFitWithoutOutputPrintsTheYAMLAndPredictsHeldOutShapes() throws {
        let table = try temporaryFile(Self.smallTable, name: "table.csv")
        let fit = try run(["engine", "fit", table.path, "--shapes", "32/8"])
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.contains("Held out (not fitted, predicted):"))
        #expect(fit.stdout.contains("\nstep_time:\n"))
        #expect(fit.stdout.contains("of 3 points within 25 %"))
    }

    /// `--step-time roofline` fits the roofline step and writes its memory term; the report says
    /// which model the profile has, and `engine simulate` reads it back.
    @Test func engineFitWithARooflineStepWritesItsMemoryTerm() throws {
        let table = try temporaryFile(Self.smallTable, name: "table.csv")
        let profile = table.deletingLastPathComponent().appendingPathComponent("roofline.yml")
        let fit = try run(["engine", "fit", table.path, "--step-time", "roofline", "--prefill", "chunked",
                           "--kv-admission", "on_demand", "--output", profile.path])
        #expect(fit.status == 0, "\(fit.stderr)")
        #expect(fit.stdout.contains("step time: roofline"), "\(fit.stdout)")
        let yaml = try String(contentsOf: profile, encoding: .utf8)
        #expect(yaml.contains("\n  memory_ms: "), "\(yaml)")
        let simulated = try run(["engine", "simulate", "--profile", profile.path, "--concurrency", "2",
                                 "--input-tokens", "32", "--output-tokens", "8", "--json"])
        #expect(simulated.status == 0, "\(simulated.stderr)")
        let sum = try run(["engine", "fit", table.path, "--step-time", "sum", "--prefill", "chunked",
                           "--kv-admission", "on_demand"])
        #expect(sum.status == 0 && sum.stdout.contains("step time: sum") && !sum.stdout.contains("memory_ms"), "\(sum.stdout)")
    }

    /// The front end's time is fitted by default and written; `--front-end-ms` fixes it.
    @Test func engineFitFitsTheFrontEndUnlessItIsGiven() throws {
        let table = try temporaryFile(Self.smallTable, name: "table.csv")
        let fitted = try run(["engine", "fit", table.path, "--step-time", "sum", "--prefill", "chunked",
                              "--kv-admission", "on_demand"])
        #expect(fitted.status == 0 && fitted.stdout.contains("(fitted)\n") && fitted.stdout.contains("front_end_ms: "),
                "\(fitted.stdout)")
        let fixed = try run(["engine", "fit", table.path, "--step-time", "sum", "--prefill", "chunked",
                             "--kv-admission", "on_demand", "--front-end-ms", "1.5"])
        #expect(fixed.status == 0 && fixed.stdout.contains("front_end_ms: 1.5 (fixed)") && fixed.stdout.contains("\nfront_end_ms: 1.5\n"),
                "\(fixed.stdout)")
        let off = try run(["engine", "fit", table.path, "--step-time", "sum", "--prefill", "chunked",
                           "--kv-admission", "on_demand", "--front-end-ms", "0"])
        #expect(off.status == 0 && off.stdout.contains("front_end_ms: 0 (fixed)") && !off.stdout.contains("\nfront_end_ms: 0\n"),
                "\(off.stdout)")
        let bad = try run(["engine", "fit", table.path, "--front-end-ms=-1"])
        #expect(bad.status != 0 && bad.stderr.contains("--front-end-ms must be from 0 to 60000"), "\(bad.stderr)")
    }

    @Test func engineFitRefusesBadDataNamingTheFileAndLine() throws {
        let header = "concurrency,input_tokens,output_tokens,ttft_ms,itl_ms,request_throughput\n"
        let cases: [(String, String)] = [
            ("", "data.csv: empty file: no header line"),
            ("concurrency,input_tokens\n1,2\n", "data.csv:1: the header lacks the columns output_tokens, ttft_ms, itl_ms, request_throughput"),
            (header + "1,32,8,6,5,25\n2,32,8,abc,5,25\n", "data.csv:3: column ttft_ms: 'abc' is not a number"),
            (header + "1,32,8,6,5,25\n2,32,8,6,5\n", "data.csv:3: 5 fields, the header has 6"),
            (header + "1,32,8,6,5,25\n", "at least two points are needed to fit, the data have 1"),
        ]
        for (text, message) in cases {
            let file = try temporaryFile(text, name: "data.csv")
            let result = try run(["engine", "fit", file.path])
            #expect(result.status == 2, "\(message): \(result.stdout)")
            #expect(result.stderr.contains(message), "\(message): \(result.stderr)")
        }
        let table = try temporaryFile(Self.smallTable, name: "table.csv")
        let missingShape = try run(["engine", "fit", table.path, "--shapes", "64/8"])
        #expect(missingShape.status == 2 && missingShape.stderr.contains("no points of 64/8"), "\(missingShape.stderr)")
        let badShape = try run(["engine", "fit", table.path, "--shapes", "64"])
        #expect(badShape.status == 2 && badShape.stderr.contains("'64' is not INPUT/OUTPUT"), "\(badShape.stderr)")
        let badPrefill = try run(["engine", "fit", table.path, "--prefill", "split"])
        #expect(badPrefill.status != 0 && badPrefill.stderr.contains("--prefill must be chunked, whole or auto, not 'split'"),
                "\(badPrefill.stderr)")
        let badStepTime = try run(["engine", "fit", table.path, "--step-time", "max"])
        #expect(badStepTime.status != 0
                    && badStepTime.stderr.contains("--step-time must be sum, roofline or auto, not 'max'"), "\(badStepTime.stderr)")
        let missingFile = try run(["engine", "fit", "/nonexistent/table.csv"])
        #expect(missingFile.status == 2 && missingFile.stderr.contains("/nonexistent/table.csv: cannot read the file"))
    }
}
