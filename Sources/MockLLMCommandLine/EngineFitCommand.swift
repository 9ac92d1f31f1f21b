import ArgumentParser
import Foundation
import MockLLMScript
import MockLLMSimulation

/// `mockllm engine fit`: fits an engine profile to benchmark tables of a real deployment and
/// writes it as profile YAML (docs/LOAD-SIMULATION.md, "Fitting your deployment").
struct EngineFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Fit an engine profile to benchmark data of a real deployment.",
        discussion: """
            Each DATA file is a CSV with a header naming at least concurrency, input_tokens, output_tokens, \
            ttft_ms, itl_ms and request_throughput (means; other columns are ignored; lines starting with # \
            are comments), or the profile_export_aiperf.json (or GenAI-Perf's profile_export_genai_perf.json) \
            of one run. Fits the step-time coefficients (a prefill's attention priced apart), the step's token budget, \
            the KV admission and prefill modes, the front end's time per request, the step's cost model (a sum or a roofline) and, when some point is saturated by it, the KV cache's capacity; prints them and, per point, measured and predicted TTFT, ITL and request \
            throughput with the relative error; writes the profile YAML to --output (else prints it). \
            Exit status: 0, 1 when the fit fails, 2 for bad arguments or bad data (naming the file and line).
            """)

    @Argument(help: "Benchmark data: CSV files or aiperf profile_export_aiperf.json files.")
    var data: [String]

    @Option(name: .shortAndLong, help: "Write the fitted profile YAML to this file (default: print it).")
    var output: String?

    @Option(help: "Fit only the points of these input/output shapes, e.g. 200/2000,7000/1000.")
    var shapes: String?

    @Option(help: "The KV cache's capacity in tokens when known (vLLM logs it as \"GPU KV cache size\"); default: fitted when the data saturate it.")
    var kvCacheTokens: Int?

    @Option(help: "The engine's max_num_seqs (fixed, not fitted).")
    var maxNumSeqs: Int = 256

    @Option(help: "The engine's max_num_batched_tokens, fixed; default: fitted (it sets how long a wave of prompts waits for its prefill).")
    var maxNumBatchedTokens: Int?

    @Option(help: "What a sequence that finds no free KV block does: recompute or wait.")
    var preemption: String = "recompute"

    @Option(help: "When a request takes its KV blocks: on_demand (vLLM), reserve_output (TensorRT-LLM's GUARANTEED_NO_EVICT) or auto (fit both, keep the better).")
    var kvAdmission: String = "auto"

    @Option(help: "How prompts are prefilled: chunked (vLLM), whole (TensorRT-LLM without chunked context) or auto (fit both, keep the better).")
    var prefill: String = "auto"

    @Option(help: "The step's cost model: sum (the four terms added), roofline (the longer of a memory-bound and a compute-bound term, step_time.memory_ms) or auto (fit both, keep the better on the points fitted).")
    var stepTime: String = "auto"

    @Option(help: "The API server's own time per request in milliseconds (front_end_ms), fixed; default: fitted (it spreads a wave of prompts over the steps). 0 turns the front end off.")
    var frontEndMs: Double?

    @Option(name: .customLong("client-gap-ms"),
            help: "The benchmark client's mean time from a reply's end to its next request, ms, simulated while fitting (default 0.2, a fast client's; engine simulate assumes the same).")
    var clientGapMs: Double = EngineSimulation.typicalClientGapMs

    @Flag(inversion: .prefixedNo, help: "Write prefix_caching: true (benchmark prompts share no prefix, so the data cannot tell).")
    var prefixCaching = true

    func validate() throws {
        if data.isEmpty { throw ValidationError("give at least one data file") }
        if let kvCacheTokens, kvCacheTokens < 16 { throw ValidationError("--kv-cache-tokens must be >= 16") }
        if maxNumSeqs < 1 { throw ValidationError("--max-num-seqs must be >= 1") }
        guard clientGapMs >= 0, clientGapMs.isFinite else { throw ValidationError("--client-gap-ms must be 0 or more, not \(clientGapMs)") }
        if let maxNumBatchedTokens, maxNumBatchedTokens < maxNumSeqs {
            throw ValidationError("--max-num-batched-tokens must be >= --max-num-seqs")
        }
        if EnginePreemption(rawValue: preemption) == nil {
            throw ValidationError("--preemption must be recompute or wait, not '\(preemption)'")
        }
        if kvAdmission != "auto" && EngineKVAdmission(rawValue: kvAdmission) == nil {
            throw ValidationError("--kv-admission must be on_demand, reserve_output or auto, not '\(kvAdmission)'")
        }
        if prefill != "auto" && EnginePrefill(rawValue: prefill) == nil {
            throw ValidationError("--prefill must be chunked, whole or auto, not '\(prefill)'")
        }
        if !["sum", "roofline", "auto"].contains(stepTime) {
            throw ValidationError("--step-time must be sum, roofline or auto, not '\(stepTime)'")
        }
        if let frontEndMs, !(frontEndMs >= 0 && frontEndMs <= 60_000) {
            throw ValidationError("--front-end-ms must be from 0 to 60000")
        }
        if let shapes { _ = try Self.parseShapes(shapes) }
    }

    /// One combination of modes a fit tries.
    struct Modes: Sendable {
        var kvAdmission: EngineKVAdmission
        var prefill: EnginePrefill
        /// The step's cost a roofline (`EngineCostModel.memoryMs`) or the contract's sum.
        var roofline = false
    }

    /// Fits with each combination of modes asked for, concurrently (as many at once as there
    /// are cores), and keeps the lowest loss; ties go to the earlier one (on_demand, chunked,
    /// sum first), so the result is deterministic.
    ///
    /// The chunked fits run first; a whole-prompt fit then also starts from the chunked fit of
    /// its `kv_admission` (both agree wherever a step holds one prompt), a better start than
    /// the closed-form one alone. The sums run before the rooflines, which also start from the
    /// sum of the same modes, so a roofline is not judged from a poorer start than the sum.
    static func fitBest(_ points: [EngineBenchmarkPoint], options: EngineFitOptions,
                        modes: [Modes]) -> EngineFitResult {
        let results = Results(count: modes.count)
        let rounds = [(EnginePrefill.chunked, false), (.whole, false), (.chunked, true), (.whole, true)]
        for (prefill, roofline) in rounds {
            let indices = modes.indices.filter { modes[$0].prefill == prefill && modes[$0].roofline == roofline }
            let done = results.available
            DispatchQueue.concurrentPerform(iterations: indices.count) { k in
                let index = indices[k]
                let mode = modes[index]
                var modeOptions = options
                modeOptions.kvAdmission = mode.kvAdmission
                modeOptions.prefill = mode.prefill
                modeOptions.roofline = mode.roofline
                // Starts from the fits already done with the same kv_admission: a whole-prompt fit
                // from the chunked one of its cost model, a roofline from the sums.
                let known = modes.indices.filter { other in
                    let o = modes[other]
                    guard o.kvAdmission == mode.kvAdmission, other != index else { return false }
                    return (o.roofline == mode.roofline && o.prefill == .chunked && mode.prefill == .whole)
                        || (!o.roofline && mode.roofline && o.prefill == mode.prefill)
                }.compactMap { done[$0]?.profile }
                results.set(index, EngineFit.fit(points, options: modeOptions, startingFrom: known))
            }
        }
        let all = results.all
        var best = all[0]
        for result in all.dropFirst() where result.loss < best.loss { best = result }
        return best
    }

    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [EngineFitResult?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ index: Int, _ value: EngineFitResult) { lock.withLock { values[index] = value } }
        var all: [EngineFitResult] { lock.withLock { values.map { $0! } } }
        var available: [EngineFitResult?] { lock.withLock { values } }
    }

    static func parseShapes(_ text: String) throws -> Set<EngineShape> {
        var result = Set<EngineShape>()
        for part in text.split(separator: ",") {
            guard let shape = EngineShape(String(part).trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--shapes: '\(part)' is not INPUT/OUTPUT tokens (e.g. 200/2000)")
            }
            result.insert(shape)
        }
        if result.isEmpty { throw ValidationError("--shapes is empty") }
        return result
    }

    func run() throws {
        var points: [EngineBenchmarkPoint] = []
        for path in data {
            do {
                points += try Self.read(path)
            } catch let error as EngineDataError {
                try fail("\(path):\(error.line.map { "\($0):" } ?? "") \(error.message)", status: 2)
            } catch {
                try fail("\(path): \(error.localizedDescription)", status: 2)
            }
        }
        var heldOut: [EngineBenchmarkPoint] = []
        if let shapes {
            let keep = try Self.parseShapes(shapes)
            heldOut = points.filter { !keep.contains($0.shape) }
            points = points.filter { keep.contains($0.shape) }
            let missing = keep.subtracting(points.map(\.shape)).sorted()
            if !missing.isEmpty {
                try fail("--shapes: no points of \(missing.map(\.description).joined(separator: ", ")) in the data", status: 2)
            }
        }
        if points.count < 2 { try fail("at least two points are needed to fit, the data have \(points.count)", status: 2) }

        var options = EngineFitOptions()
        options.kvCacheTokens = kvCacheTokens
        options.maxNumSeqs = maxNumSeqs
        if let maxNumBatchedTokens {
            options.maxNumBatchedTokens = maxNumBatchedTokens
            options.fitBatchedTokens = false
        }
        if let frontEndMs {
            options.frontEndMs = frontEndMs
            options.fitFrontEnd = false
        }
        options.preemption = EnginePreemption(rawValue: preemption)!
        options.clientGapMs = clientGapMs
        let started = Date()
        let admissions = EngineKVAdmission(rawValue: kvAdmission).map { [$0] } ?? EngineKVAdmission.allCases
        let prefills = EnginePrefill(rawValue: prefill).map { [$0] } ?? EnginePrefill.allCases
        let rooflines = stepTime == "auto" ? [false, true] : [stepTime == "roofline"]
        let modes = rooflines.flatMap { roofline in
            admissions.flatMap { kv in prefills.map { Modes(kvAdmission: kv, prefill: $0, roofline: roofline) } }
        }
        let result = Self.fitBest(points, options: options, modes: modes)
        let seconds = Date().timeIntervalSince(started)
        guard result.loss.isFinite else {
            try fail("no profile reproduces these points (every candidate failed to simulate some point)", status: 1)
        }

        print(EngineFitReport.text(result, seconds: seconds))
        if !heldOut.isEmpty {
            // The points of the other shapes, predicted by the fitted profile: how it generalizes.
            var chosen = options
            chosen.kvAdmission = result.profile.kvAdmission
            chosen.prefill = result.profile.prefill
            chosen.roofline = result.profile.cost.memoryMs != nil
            let predictions = EngineFit.simulate(result.profile, heldOut, options: chosen)
            let check = zip(heldOut, predictions).map { EngineFitPointResult(measured: $0, predicted: $1) }
            print("")
            print("Held out (not fitted, predicted):")
            print(EngineFitReport.table(check))
            print("")
            print(EngineFitReport.share(check))
        }
        let yaml = EngineFitReport.yaml(
            result, sources: data.map { ($0 as NSString).lastPathComponent }, prefixCaching: prefixCaching)
        if let output {
            do {
                try yaml.write(toFile: output, atomically: true, encoding: .utf8)
            } catch {
                try fail("cannot write \(output): \(error.localizedDescription)", status: 1)
            }
            print("wrote \(output)")
        } else {
            print("")
            print(yaml, terminator: "")
        }
    }

    /// Reads one data file: JSON when it starts with `{`, CSV otherwise.
    static func read(_ path: String) throws -> [EngineBenchmarkPoint] {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw EngineDataError(line: nil, "cannot read the file")
        }
        let name = (path as NSString).lastPathComponent
        if bytes.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) == UInt8(ascii: "{") {
            return [try EngineBenchmarkData.parseProfileExport(Array(bytes), source: name)]
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw EngineDataError(line: nil, "not UTF-8 text")
        }
        return try EngineBenchmarkData.parseCSV(text, source: name)
    }

    private func fail(_ message: String, status: Int32) throws -> Never {
        FileHandle.standardError.write(Data("mockllm engine fit: \(message)\n".utf8))
        throw ExitCode(status)
    }
}

/// The text `engine fit` prints and the profile YAML it writes.
enum EngineFitReport {
    static func text(_ result: EngineFitResult, seconds: Double) -> String {
        let p = result.profile
        let shapes = Set(result.points.map(\.measured.shape)).sorted()
        var lines: [String] = []
        lines.append(
            "Fitted \(result.points.count) points (shapes \(shapes.map(\.description).joined(separator: ", "))) "
                + "in \(String(format: "%.1f", seconds)) s, \(result.evaluations) evaluations.")
        lines += EngineProfileReader.stepTimeLines(p.cost, number: { decimal($0) })
        lines.append("kv_cache_tokens: \(p.kvCacheTokens) (\(kvNote(result)))")
        lines.append("max_num_batched_tokens: \(p.maxNumBatchedTokens) (\(result.batchedTokensFitted ? "fitted" : "fixed"))")
        lines.append("front_end_ms: \(decimal(p.frontEndMs)) (\(result.frontEndFitted ? "fitted" : "fixed"))")
        lines.append("max_num_seqs: \(p.maxNumSeqs), block_size: \(p.blockSize), preemption: \(p.preemption.rawValue) (fixed)")
        lines.append("kv_admission: \(p.kvAdmission.rawValue), prefill: \(p.prefill.rawValue), "
            + "step time: \(p.cost.memoryMs == nil ? "sum" : "roofline")")
        lines.append("")
        lines.append(table(result.points))
        lines.append("")
        lines.append(summary(result))
        return lines.joined(separator: "\n")
    }

    /// Measured and predicted, point by point, with the relative errors.
    static func table(_ points: [EngineFitPointResult]) -> String {
        var lines: [String] = []
        func cell(_ measured: Double, _ predicted: Double, _ digits: Int) -> String {
            let error = predicted / measured - 1
            return pad(String(format: "%.\(digits)f", measured), 10) + pad(String(format: "%.\(digits)f", predicted), 10)
                + pad(percent(error), 7)
        }
        lines.append(
            pad("shape", 11, left: true) + pad("users", 6) + pad("TTFT ms", 10) + pad("predicted", 10) + pad("error", 7)
                + pad("ITL ms", 10) + pad("predicted", 10) + pad("error", 7) + pad("req/s", 10) + pad("predicted", 10)
                + pad("error", 7) + "  within 25 %")
        for point in points {
            let m = point.measured, q = point.predicted
            lines.append(
                pad(m.shape.description, 11, left: true) + pad("\(m.concurrency)", 6) + cell(m.ttftMs, q.ttftMs, 1)
                    + cell(m.itlMs, q.itlMs, 2) + cell(m.requestThroughput, q.requestThroughput, 3)
                    + (point.within(0.25) ? "  yes" : "  no"))
        }
        return lines.joined(separator: "\n")
    }

    static func summary(_ result: EngineFitResult) -> String {
        share(result.points) + "; loss \(String(format: "%.4f", result.loss))"
    }

    /// "18 of 20 points within 25 % ...; mean |error|: ..."
    static func share(_ points: [EngineFitPointResult]) -> String {
        let n = Double(max(points.count, 1))
        let within = points.filter { $0.within(0.25) }.count
        let ttft = points.reduce(0) { $0 + abs($1.ttftError) } / n
        let itl = points.reduce(0) { $0 + abs($1.itlError) } / n
        let throughput = points.reduce(0) { $0 + abs($1.throughputError) } / n
        return "\(within) of \(points.count) points within 25 % on TTFT, ITL and request throughput; "
            + "mean |error|: TTFT \(String(format: "%.0f%%", ttft * 100)), ITL \(String(format: "%.0f%%", itl * 100)), "
            + "throughput \(String(format: "%.0f%%", throughput * 100))"
    }

    static func kvNote(_ result: EngineFitResult) -> String {
        result.kvCacheFitted
            ? "fitted: the data saturate the KV cache"
            : "fixed: given, or twice what the points need when none saturates it"
    }

    /// Contract 2's profile YAML, with a comment header naming the data and the fit's error.
    static func yaml(_ result: EngineFitResult, sources: [String], prefixCaching: Bool = true) -> String {
        let p = result.profile
        let shapes = Set(result.points.map(\.measured.shape)).sorted()
        let lines = [
            "# Engine profile fitted by `mockllm engine fit` to \(sources.joined(separator: ", "))",
            "# (\(result.points.count) points; shapes \(shapes.map(\.description).joined(separator: ", "))).",
            "# \(summary(result)).",
            "# kv_cache_tokens: \(kvNote(result)); max_num_batched_tokens: "
                + (result.batchedTokensFitted ? "fitted" : "fixed") + "; max_num_seqs, block_size and",
            "# preemption are fixed, not fitted.",
        ]
        var profile = p
        profile.prefixCaching = prefixCaching
        return lines.joined(separator: "\n") + "\n" + EngineProfileReader.yaml(profile, number: { decimal($0) })
    }

    /// A plain decimal (no exponent) with `significant` significant digits: 0.0000213, 6.12.
    static func decimal(_ value: Double, significant: Int = 6) -> String {
        guard value.isFinite, value != 0 else { return "0" }
        let magnitude = Int(floor(log10(abs(value))))
        let decimals = max(0, significant - 1 - magnitude)
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }

    static func percent(_ value: Double) -> String {
        guard value.isFinite else { return "inf" }
        return String(format: "%+.0f%%", value * 100)
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }
}
