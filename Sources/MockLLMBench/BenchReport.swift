import MockLLMCore

/// The outcome of one `mockllm bench` run: counts, rates, latency histograms (client-measured),
/// their error against the configured pacing, and mockllm's own lateness when it was the target.
package struct BenchReport: Sendable {
    package var url: String
    package var provider: BenchProvider
    package var model: String
    package var concurrency: Int
    package var rate: Double?
    /// Pacing asked of the server (`--ttft-ms`, `--itl-ms`), in ns.
    package var configuredTTFT: UInt64?
    package var configuredITL: UInt64?
    /// From the first stream's start to the last stream's end, in ns.
    package var elapsed: UInt64
    package var started = 0
    package var completed = 0
    /// With a rate: starts that fell due but never happened because all `concurrency` slots
    /// were busy (the rate asked for was not reached).
    package var missedStarts = 0
    package var failures: [BenchFailure: Int] = [:]
    /// Events received (SSE events, or NDJSON lines; every stream, failed ones included), of which token events.
    package var events = 0
    package var tokens = 0
    package var bytes = 0
    /// From the request written to the first token event, per stream.
    package var ttft = LatencyHistogram()
    /// Between consecutive token events of a stream (0 for events that came in one read).
    package var itl = LatencyHistogram()
    /// |measured - configured|, when the pacing was given.
    package var ttftError = LatencyHistogram()
    package var itlError = LatencyHistogram()
    package var serverLateness: ServerLateness?
    /// The run second by second (the last interval may be shorter), for `--svg`.
    package var timeline: [BenchSample] = []
    /// `--duration` (ns), `--requests` and `--ramp-up` (ns), as planned, for the chart's caption.
    package var plannedDuration: UInt64?
    package var plannedRequests: Int?
    package var rampUp: UInt64 = 0

    package var failed: Int { failures.values.reduce(0, +) }

    /// 0 when every stream completed, 1 when any failed (or none ran).
    package var exitCode: Int32 { failed == 0 && completed > 0 ? 0 : 1 }

    /// `count` per second of the run.
    package func perSecond(_ count: Int) -> Double {
        elapsed == 0 ? 0 : Double(count) * 1e9 / Double(elapsed)
    }

    /// Failures by kind in a fixed order, including kinds with none (HTTP statuses only when seen).
    var failureRows: [(BenchFailure, Int)] {
        let fixed: [BenchFailure] = [.connect, .malformed, .errorEvent, .timeout, .closedEarly, .cutAtEnd]
        let statuses = failures.keys.filter { if case .status = $0 { true } else { false } }.sorted()
        return (fixed.prefix(1) + statuses + fixed.dropFirst()).map { ($0, failures[$0] ?? 0) }
    }
}

/// mockllm's own measure of how late it sent paced events against their schedule, over the
/// run only (the difference of two `/_mockllm/stats` snapshots).
package struct ServerLateness: Sendable {
    package var histogram: LatencyHistogram
    /// The top of the highest bucket that grew during the run, capped by the server's maximum.
    package var max: UInt64
    package var workers: Int
    /// How late its loops began writing each engine step's tokens, when engines ran in the run.
    package var steps: LatencyHistogram?
    package var stepsMax: UInt64 = 0
}

/// Number formatting for reports, without Foundation.
enum ReportFormat {
    /// Nanoseconds as milliseconds with 3 decimals.
    static func milliseconds(_ ns: UInt64) -> String {
        let us = (ns + 500) / 1000
        return "\(us / 1000).\(pad(Int(us % 1000), 3))"
    }

    static func decimal(_ value: Double, places: Int = 1) -> String {
        guard value.isFinite else { return "0" }
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        let unit = Int64(scale)
        let sign = scaled < 0 ? "-" : ""
        let magnitude = abs(scaled)
        return places == 0 ? "\(scaled)" : "\(sign)\(magnitude / unit).\(pad(Int(magnitude % unit), places))"
    }

    static func bytes(_ n: Int) -> String {
        if n >= 1 << 30 { return decimal(Double(n) / Double(1 << 30)) + " GiB" }
        if n >= 1 << 20 { return decimal(Double(n) / Double(1 << 20)) + " MiB" }
        if n >= 1 << 10 { return decimal(Double(n) / Double(1 << 10)) + " KiB" }
        return "\(n) B"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: Swift.max(0, width - text.count)) + text
    }
}
