import MockLLMCore

extension BenchReport {
    /// The human report: a summary, failures when there were any, then a latency table.
    package var table: String {
        var lines: [String] = []
        var load = "concurrency \(concurrency)"
        if let rate { load += ", rate \(ReportFormat.decimal(rate))/s" }
        if let configuredTTFT { load += ", ttft \(ReportFormat.milliseconds(configuredTTFT)) ms" }
        if let configuredITL { load += ", itl \(ReportFormat.milliseconds(configuredITL)) ms" }
        lines.append("target    \(url) (\(provider.rawValue), \(model)); \(load)")
        lines.append("elapsed   \(ReportFormat.decimal(Double(elapsed) / 1e9, places: 3)) s")
        lines.append("streams   \(started) started, \(completed) completed, \(failed) failed; \(ReportFormat.decimal(perSecond(completed))) completed/s")
        lines.append("events    \(events) (\(ReportFormat.decimal(perSecond(events)))/s); tokens \(tokens) (\(ReportFormat.decimal(perSecond(tokens)))/s); \(ReportFormat.bytes(bytes)) received")
        if missedStarts > 0 {
            lines.append("rate      not reached: \(missedStarts) scheduled starts found all \(concurrency) slots busy (raise --concurrency)")
        }
        if failed > 0 {
            let kinds = failureRows.filter { $0.1 > 0 }.map { "\($0.0.name): \($0.1)" }
            lines.append("failures  " + kinds.joined(separator: ", "))
        }
        lines.append("")
        lines.append(row("latency (ms)", ["p50", "p90", "p99", "p99.9", "max", "count"]))
        lines.append(histogramRow("TTFT", ttft))
        lines.append(histogramRow("ITL", itl))
        if configuredTTFT != nil { lines.append(histogramRow("TTFT error", ttftError)) }
        if configuredITL != nil { lines.append(histogramRow("ITL error", itlError)) }
        if let serverLateness {
            lines.append(histogramRow("server lateness", serverLateness.histogram, max: serverLateness.max))
            if let steps = serverLateness.steps { lines.append(histogramRow("step lateness", steps, max: serverLateness.stepsMax)) }
        }
        var notes: [String] = []
        if configuredITL == nil { notes.append("ITL error needs --itl-ms") }
        if let serverLateness {
            notes.append("server lateness: mockllm's own measure (\(serverLateness.workers) worker\(serverLateness.workers == 1 ? "" : "s"))")
            if serverLateness.steps != nil { notes.append("step lateness: an engine step's end to its loop's first write") }
        }
        if !notes.isEmpty { lines.append("(" + notes.joined(separator: "; ") + ")") }
        return lines.joined(separator: "\n")
    }

    private func row(_ title: String, _ cells: [String]) -> String {
        title.padding(18) + cells.map { $0.leftPadding(11) }.joined()
    }

    private func histogramRow(_ title: String, _ histogram: LatencyHistogram, max: UInt64? = nil) -> String {
        guard histogram.count > 0 else { return row(title, ["-", "-", "-", "-", "-", "0"]) }
        let values = [0.5, 0.9, 0.99, 0.999].map { ReportFormat.milliseconds(histogram.percentile($0)) }
        return row(title, values + [ReportFormat.milliseconds(max ?? histogram.max), String(histogram.count)])
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    fileprivate func leftPadding(_ width: Int) -> String {
        count >= width ? " " + self : String(repeating: " ", count: width - count) + self
    }
}
