import Foundation
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Benchmark tables in, points out; bad input is refused naming the line and the column.
@Suite("Engine benchmark data")
struct EngineBenchmarkDataTests {
    @Test func aCSVGivesItsPointsWhateverTheColumnOrderAndExtraColumns() throws {
        let text = """
            # provenance comment
            request_throughput,ttft_ms,extra,concurrency,itl_ms,output_tokens,input_tokens
            0.97,8.87,x,1,5.11,200,200

            "55.6",504.15,"a, quoted",250,19.894,200,200\r
            """
        let points = try EngineBenchmarkData.parseCSV(text, source: "d.csv")
        #expect(points == [
            EngineBenchmarkPoint(concurrency: 1, inputTokens: 200, outputTokens: 200, ttftMs: 8.87, itlMs: 5.11, requestThroughput: 0.97),
            EngineBenchmarkPoint(concurrency: 250, inputTokens: 200, outputTokens: 200, ttftMs: 504.15, itlMs: 19.894, requestThroughput: 55.6),
        ])
        #expect(points[0].source == "d.csv:3")
        #expect(points[1].shape.description == "200/200")
    }

    @Test func windowsLineEndingsAreLineEndings() throws {
        // Python's csv module and Excel end every line with CRLF, one Character in Swift.
        let text = "concurrency,input_tokens,output_tokens,ttft_ms,itl_ms,request_throughput\r\n"
            + "1,200,200,8.87,5.11,0.97\r\n2,200,200,13.4,5.19,1.91\r\n"
        let points = try EngineBenchmarkData.parseCSV(text, source: "w.csv")
        #expect(points.map(\.concurrency) == [1, 2])
        #expect(points[1].source == "w.csv:3")
    }

    func error(_ text: String) -> EngineDataError? {
        do {
            _ = try EngineBenchmarkData.parseCSV(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func badCSVIsRefusedNamingTheLine() {
        let header = "concurrency,input_tokens,output_tokens,ttft_ms,itl_ms,request_throughput"
        #expect(error("") == EngineDataError(line: nil, "empty file: no header line"))
        #expect(error("# only a comment\n\n") == EngineDataError(line: nil, "empty file: no header line"))
        #expect(error(header + "\n") == EngineDataError(line: nil, "no data lines after the header"))
        #expect(error("concurrency,input_tokens,ttft_ms\n1,2,3") == EngineDataError(
            line: 1, "the header lacks the columns output_tokens, itl_ms, request_throughput "
                + "(needs concurrency,input_tokens,output_tokens,ttft_ms,itl_ms,request_throughput)"))
        #expect(error(header + "\n1,200,200,8.8,5.1,0.9\n1,200,200,abc,5.1,0.9") == EngineDataError(
            line: 3, "column ttft_ms: 'abc' is not a number"))
        #expect(error(header + "\n1,200,200,8.8,5.1") == EngineDataError(line: 2, "5 fields, the header has 6"))
        #expect(error(header + "\n1.5,200,200,8.8,5.1,0.9") == EngineDataError(
            line: 2, "concurrency must be a whole number ≥ 1, not 1.5"))
        #expect(error(header + "\n1,200,1,8.8,5.1,0.9") == EngineDataError(
            line: 2, "output_tokens must be a whole number ≥ 2, not 1.0"))
        #expect(error(header + "\n1,200,200,8.8,0,0.9") == EngineDataError(line: 2, "itl_ms must be positive, not 0.0"))
        #expect(error(header + "\n1,200,\"200,8.8,5.1,0.9") == EngineDataError(line: 2, "a quoted field is not closed"))
        #expect(EngineDataError(line: 3, "x").description == "line 3: x")
    }

    @Test func aiperfsSummaryGivesOnePoint() throws {
        // The layout of aiperf's profile_export_aiperf.json (docs/tutorials/working-with-profile-exports.md).
        let json = """
            {"request_throughput": {"unit": "requests/sec", "avg": 13.16},
             "time_to_first_token": {"unit": "ms", "avg": 1588.8, "p50": 787.5},
             "inter_token_latency": {"unit": "ms", "avg": 51.76},
             "output_sequence_length": {"unit": "tokens", "avg": 96.85},
             "input_sequence_length": {"unit": "tokens", "avg": 550},
             "input_config": {"endpoint": {"streaming": true},
                              "input": {"prompt": {"input_tokens": {"mean": 550}, "output_tokens": {"mean": 100}}},
                              "loadgen": {"concurrency": 100}}}
            """
        let point = try EngineBenchmarkData.parseProfileExport(Array(json.utf8))
        #expect(point == EngineBenchmarkPoint(
            concurrency: 100, inputTokens: 550, outputTokens: 100, ttftMs: 1588.8, itlMs: 51.76, requestThroughput: 13.16))
    }

    /// aiperf 0.13 (export schema 1.4) moved the load into `input_config.phases` and the shape
    /// into `input_config.datasets`; its point is measured from a cold start, its request count.
    @Test func aiperf013sSummaryGivesAColdStartPoint() throws {
        let json = """
            {"schema_version": "1.4", "aiperf_version": "0.13.0",
             "request_throughput": {"unit": "requests/sec", "avg": 1.4437},
             "request_count": {"unit": "requests", "avg": 1000.0},
             "time_to_first_token": {"unit": "ms", "avg": 3584.7},
             "inter_token_latency": {"unit": "ms", "avg": 327.83},
             "input_sequence_length": {"unit": "tokens", "avg": 200.0},
             "output_sequence_length": {"unit": "tokens", "avg": 201.0},
             "input_config": {
               "phases": [{"name": "warmup", "kind": "warmup", "type": "concurrency", "requests": 100, "concurrency": 100},
                          {"name": "profiling", "kind": "profiling", "type": "concurrency", "requests": 1000, "concurrency": 100}],
               "datasets": [{"name": "main", "type": "synthetic", "prompts": {"isl": {"mean": 200.0}, "osl": {"mean": 200.0}}}]}}
            """
        let point = try EngineBenchmarkData.parseProfileExport(Array(json.utf8))
        #expect(point == EngineBenchmarkPoint(
            concurrency: 100, inputTokens: 200, outputTokens: 200, ttftMs: 3584.7, itlMs: 327.83, requestThroughput: 1.4437))
        #expect(point.coldStartRequests == 1000)
    }

    @Test func genAIPerfsSummaryAndOtherUnitsAreRead() throws {
        // GenAI-Perf's profile_export_genai_perf.json: the configuration at the top of input_config.
        let json = """
            {"request_throughput": {"unit": "requests/sec", "avg": 1.498},
             "time_to_first_token": {"unit": "ns", "avg": 24491461},
             "inter_token_latency": {"unit": "s", "avg": 0.0113},
             "input_config": {"concurrency": 1, "synthetic_input_tokens_mean": 200, "output_tokens_mean": 50}}
            """
        let point = try EngineBenchmarkData.parseProfileExport(Array(json.utf8))
        #expect(point.concurrency == 1 && point.inputTokens == 200 && point.outputTokens == 50)
        #expect(abs(point.ttftMs - 24.491461) < 1e-9)
        #expect(abs(point.itlMs - 11.3) < 1e-9)
        // perf_analyzer measures in windows of the running load: the steady state.
        #expect(point.coldStartRequests == nil)
    }

    @Test func aSummaryWithoutWhatIsNeededIsRefused() {
        func error(_ json: String) -> String? {
            do {
                _ = try EngineBenchmarkData.parseProfileExport(Array(json.utf8))
                return nil
            } catch {
                return error.description
            }
        }
        #expect(error("[1]") == "line 1: not a JSON object")
        #expect(error("{\"a\": ") != nil)
        #expect(error("{}") == "no concurrency (input_config.loadgen.concurrency, input_config.concurrency or the profiling phase's)")
        #expect(error("""
            {"input_config": {"loadgen": {"concurrency": 4}, "input": {"prompt": {"input_tokens": {"mean": 10}, "output_tokens": {"mean": 10}}}},
             "request_throughput": {"avg": 1}, "inter_token_latency": {"unit": "ms", "avg": 2}}
            """) == "no time_to_first_token.avg")
        #expect(error("""
            {"input_config": {"loadgen": {"concurrency": 4}, "input": {"prompt": {"input_tokens": {"mean": 10}, "output_tokens": {"mean": 10}}}},
             "request_throughput": {"avg": 1}, "inter_token_latency": {"unit": "ms", "avg": 2},
             "time_to_first_token": {"unit": "tokens", "avg": 3}}
            """) == "time_to_first_token: unit 'tokens' is not a time unit")
    }

    @Test func theRepositorysTablesParse() throws {
        let folder = repositoryRoot.appendingPathComponent("Tests/Engine/data")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") }
        #expect(files.count >= 2)
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let points = try EngineBenchmarkData.parseCSV(text, source: file)
            #expect(points.count >= 30, "\(file)")
            #expect(Set(points.map(\.shape)).count >= 3, "\(file)")
            #expect(points.map(\.concurrency).max()! >= 100, "\(file)")
        }
    }

    @Test func shapesParse() {
        #expect(EngineShape("200/2000") == EngineShape(inputTokens: 200, outputTokens: 2000))
        #expect(EngineShape("7000x1000") == EngineShape(inputTokens: 7000, outputTokens: 1000))
        #expect(EngineShape("200") == nil)
        #expect(EngineShape("0/10") == nil)
        #expect(EngineShape("a/b") == nil)
    }
}
