import MockLLMCore

/// One measured point of a real deployment: a closed-loop benchmark at a fixed concurrency and
/// a fixed input/output shape, with the means a benchmark client reports (GenAI-Perf / aiperf
/// definitions: TTFT from sending the request to the first token; ITL per request =
/// (latency − TTFT) / (output tokens − 1), averaged over requests).
public struct EngineBenchmarkPoint: Sendable, Equatable {
    public var concurrency: Int
    public var inputTokens: Int
    public var outputTokens: Int
    public var ttftMs: Double
    public var itlMs: Double
    /// Requests per second.
    public var requestThroughput: Double
    /// The requests of a run measured from a cold start, as aiperf measures
    /// (`EngineSimulation.coldStart`): set from an aiperf export, whose profiling phase starts
    /// every user at once on an idle engine and measures its request count from there. Nil: the
    /// steady state (a CSV's points, GenAI-Perf's exports).
    public var coldStartRequests: Int?
    /// Where the point came from, for messages ("data.csv:7"); not compared.
    public var source: String

    public init(
        concurrency: Int, inputTokens: Int, outputTokens: Int, ttftMs: Double, itlMs: Double,
        requestThroughput: Double, source: String = ""
    ) {
        self.concurrency = concurrency
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.ttftMs = ttftMs
        self.itlMs = itlMs
        self.requestThroughput = requestThroughput
        self.source = source
    }

    /// The input/output shape, e.g. "200/2000".
    public var shape: EngineShape { EngineShape(inputTokens: inputTokens, outputTokens: outputTokens) }

    public static func == (a: Self, b: Self) -> Bool {
        a.concurrency == b.concurrency && a.inputTokens == b.inputTokens && a.outputTokens == b.outputTokens
            && a.ttftMs == b.ttftMs && a.itlMs == b.itlMs && a.requestThroughput == b.requestThroughput
    }
}

/// An input/output token shape of a benchmark ("ISL/OSL").
public struct EngineShape: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int, outputTokens: Int) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    public var description: String { "\(inputTokens)/\(outputTokens)" }

    public static func < (a: Self, b: Self) -> Bool {
        (a.inputTokens, a.outputTokens) < (b.inputTokens, b.outputTokens)
    }

    /// Parses "200/2000" or "200x2000".
    public init?(_ text: String) {
        let parts = text.split(whereSeparator: { $0 == "/" || $0 == "x" || $0 == "X" })
        guard parts.count == 2, let i = Int(parts[0]), let o = Int(parts[1]), i > 0, o > 1 else { return nil }
        self.init(inputTokens: i, outputTokens: o)
    }
}

/// Bad benchmark data, located: "data.csv:7: column ttft_ms: 'abc' is not a number".
public struct EngineDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the file, when the problem has one.
    public var line: Int?
    public var message: String

    public init(line: Int?, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}

/// Reads benchmark points from a CSV table or from a benchmark client's summary JSON.
/// Pure: the caller reads the file.
public enum EngineBenchmarkData {
    /// The columns a CSV must have; any other column is ignored.
    public static let requiredColumns = [
        "concurrency", "input_tokens", "output_tokens", "ttft_ms", "itl_ms", "request_throughput",
    ]

    /// A CSV with a header line naming at least `requiredColumns` (any order, other columns
    /// ignored), one point per line. Blank lines and lines starting with `#` are skipped, so a
    /// table can carry its provenance. Fields may be double-quoted.
    public static func parseCSV(_ text: String, source: String = "") throws(EngineDataError) -> [EngineBenchmarkPoint] {
        var header: [String]?
        var index: [String: Int] = [:]
        var points: [EngineBenchmarkPoint] = []
        var lineNumber = 0
        // "\r\n" is one Character in Swift: split on it too, or a CSV saved with Windows line
        // endings (Excel's, Python's csv module's) would be one long line.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.last == "\r" { line = line.dropLast() }
            let trimmed = line.engineTrimmed
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = try splitCSVLine(line, line: lineNumber)
            guard let names = header else {
                let names = fields.map { $0.engineTrimmed.lowercased() }
                for (i, name) in names.enumerated() where index[name] == nil { index[name] = i }
                let missing = requiredColumns.filter { index[$0] == nil }
                if !missing.isEmpty {
                    throw EngineDataError(
                        line: lineNumber,
                        "the header lacks the column\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", ")) "
                            + "(needs \(requiredColumns.joined(separator: ",")))")
                }
                header = names
                continue
            }
            if fields.count != names.count {
                throw EngineDataError(line: lineNumber, "\(fields.count) fields, the header has \(names.count)")
            }
            func number(_ column: String) throws(EngineDataError) -> Double {
                let text = fields[index[column]!].engineTrimmed
                guard let value = Double(text), value.isFinite else {
                    throw EngineDataError(line: lineNumber, "column \(column): '\(text)' is not a number")
                }
                return value
            }
            let point = try makePoint(
                concurrency: number("concurrency"), inputTokens: number("input_tokens"),
                outputTokens: number("output_tokens"), ttftMs: number("ttft_ms"), itlMs: number("itl_ms"),
                requestThroughput: number("request_throughput"), line: lineNumber,
                source: source.isEmpty ? "line \(lineNumber)" : "\(source):\(lineNumber)")
            points.append(point)
        }
        if header == nil { throw EngineDataError(line: nil, "empty file: no header line") }
        if points.isEmpty { throw EngineDataError(line: nil, "no data lines after the header") }
        return points
    }

    /// The summary JSON of one benchmark run: aiperf's `profile_export_aiperf.json`, in either
    /// layout (up to 0.12: `input_config.loadgen.concurrency`,
    /// `input_config.input.prompt.input_tokens.mean` and `.output_tokens.mean`; 0.13, schema
    /// 1.4: the `profiling` entry of `input_config.phases` with its `concurrency` and
    /// `requests`, and `input_config.datasets[0].prompts.isl.mean` and `.osl.mean`), or
    /// GenAI-Perf's `profile_export_genai_perf.json` (`input_config.concurrency`,
    /// `synthetic_input_tokens_mean`, `output_tokens_mean`); all carry the metrics
    /// `time_to_first_token`, `inter_token_latency` and `request_throughput` as
    /// `{"unit": ..., "avg": ...}`. The shape falls back to the measured
    /// `input_sequence_length` / `output_sequence_length` means when the configuration lacks it.
    /// An aiperf export's point is measured from a cold start (`coldStartRequests`: its
    /// `request_count`), a GenAI-Perf one's in the steady state.
    /// Layout: aiperf's docs/tutorials/working-with-profile-exports.md.
    public static func parseProfileExport(_ bytes: [UInt8], source: String = "") throws(EngineDataError) -> EngineBenchmarkPoint {
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(bytes)
        } catch {
            throw EngineDataError(line: error.line, "not JSON: \(error.reason) (column \(error.column))")
        }
        let root = document.root
        guard root.isObject else { throw EngineDataError(line: 1, "not a JSON object") }
        func path(_ keys: [String]) -> JSONNode? {
            var node = root
            for key in keys {
                guard node.isObject, let next = node[key] else { return nil }
                node = next
            }
            return node
        }
        func metric(_ name: String, msUnit: Bool) throws(EngineDataError) -> Double {
            guard let node = path([name]), let avg = node["avg"]?.number, avg.isFinite else {
                throw EngineDataError(line: nil, "no \(name).avg")
            }
            guard msUnit else { return avg }
            switch node["unit"]?.string ?? "ms" {
            case "ms": return avg
            case "s", "sec": return avg * 1000
            case "us": return avg / 1000
            case "ns": return avg / 1_000_000
            case let unit: throw EngineDataError(line: nil, "\(name): unit '\(unit)' is not a time unit")
            }
        }
        // aiperf 0.13: the phases, the profiling one measured; the first dataset's prompts.
        let profiling = path(["input_config", "phases"])?.elements.first { $0["kind"]?.string == "profiling" }
        let prompts = path(["input_config", "datasets"])?.elements.first?["prompts"]
        let concurrency = path(["input_config", "loadgen", "concurrency"])?.number
            ?? path(["input_config", "concurrency"])?.number
            ?? profiling?["concurrency"]?.number
        guard let concurrency else {
            throw EngineDataError(
                line: nil,
                "no concurrency (input_config.loadgen.concurrency, input_config.concurrency or the profiling phase's)")
        }
        let input = path(["input_config", "input", "prompt", "input_tokens", "mean"])?.number
            ?? path(["input_config", "synthetic_input_tokens_mean"])?.number
            ?? prompts?["isl"]?["mean"]?.number
            ?? path(["input_sequence_length", "avg"])?.number
        let output = path(["input_config", "input", "prompt", "output_tokens", "mean"])?.number
            ?? path(["input_config", "output_tokens_mean"])?.number
            ?? prompts?["osl"]?["mean"]?.number
            ?? path(["output_sequence_length", "avg"])?.number
        // aiperf's (GenAI-Perf has `input_config.concurrency` and measures in windows): the
        // requests it measured, from a cold start.
        let isAiperf = path(["aiperf_version"]) != nil || path(["input_config", "loadgen"]) != nil || profiling != nil
        let requests = path(["request_count", "avg"])?.number ?? profiling?["requests"]?.number
        guard let input else { throw EngineDataError(line: nil, "no input length (input_config or input_sequence_length.avg)") }
        guard let output else { throw EngineDataError(line: nil, "no output length (input_config or output_sequence_length.avg)") }
        var point = try makePoint(
            concurrency: concurrency, inputTokens: input.rounded(), outputTokens: output.rounded(),
            ttftMs: metric("time_to_first_token", msUnit: true), itlMs: metric("inter_token_latency", msUnit: true),
            requestThroughput: metric("request_throughput", msUnit: false), line: nil,
            source: source.isEmpty ? "profile export" : source)
        if isAiperf, let requests, requests >= 1, requests <= 10_000_000 {
            point.coldStartRequests = Int(requests.rounded())
        }
        return point
    }

    static func makePoint(
        concurrency: Double, inputTokens: Double, outputTokens: Double, ttftMs: Double, itlMs: Double,
        requestThroughput: Double, line: Int?, source: String
    ) throws(EngineDataError) -> EngineBenchmarkPoint {
        func whole(_ value: Double, _ name: String, atLeast minimum: Int) throws(EngineDataError) -> Int {
            guard value == value.rounded(), value >= Double(minimum), value <= 10_000_000 else {
                throw EngineDataError(line: line, "\(name) must be a whole number ≥ \(minimum), not \(value)")
            }
            return Int(value)
        }
        func positive(_ value: Double, _ name: String) throws(EngineDataError) -> Double {
            guard value > 0 else { throw EngineDataError(line: line, "\(name) must be positive, not \(value)") }
            return value
        }
        return EngineBenchmarkPoint(
            concurrency: try whole(concurrency, "concurrency", atLeast: 1),
            inputTokens: try whole(inputTokens, "input_tokens", atLeast: 1),
            // ITL needs two output tokens.
            outputTokens: try whole(outputTokens, "output_tokens", atLeast: 2),
            ttftMs: try positive(ttftMs, "ttft_ms"), itlMs: try positive(itlMs, "itl_ms"),
            requestThroughput: try positive(requestThroughput, "request_throughput"), source: source)
    }

    /// Splits one CSV line; a field may be quoted ("a,b"), with "" for a quote inside.
    static func splitCSVLine(_ line: Substring, line number: Int) throws(EngineDataError) -> [String] {
        var fields: [String] = []
        var field = ""
        var quoted = false
        var index = line.startIndex
        while index < line.endIndex {
            let c = line[index]
            if quoted {
                if c == "\"" {
                    let next = line.index(after: index)
                    if next < line.endIndex, line[next] == "\"" {
                        field.append("\"")
                        index = next
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                fields.append(field)
                field = ""
            } else {
                field.append(c)
            }
            index = line.index(after: index)
        }
        if quoted { throw EngineDataError(line: number, "a quoted field is not closed") }
        fields.append(field)
        return fields
    }
}

extension StringProtocol {
    var engineTrimmed: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
