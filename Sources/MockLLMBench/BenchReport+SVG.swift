import MockLLMCore

extension BenchReport {
    /// `--svg`: the run second by second, one panel per measure, stacked on a shared time axis:
    /// events received per second (the seconds in which streams failed shaded), TTFT and
    /// ITL p50/p99 of what arrived in each second, and mockllm's own lateness when it was read.
    /// Above them the target, the load asked for and the run's totals. Self-contained: no
    /// script, no external style or font; plain shapes any viewer draws.
    package func svg() -> String {
        var panels: [ChartPanel] = [
            ChartPanel(title: "Events received per second", series: [
                ChartSeries(name: "events/s", color: ChartStyle.throughput, values: timeline.map { $0.perSecond($0.events) }, fill: true),
            ]),
            ChartPanel(title: "Time to first token (ms)", series: percentileSeries(timeline.map(\.ttft)),
                       asked: configuredTTFT.map { Double($0) / 1e6 }),
            ChartPanel(title: "Inter-token latency (ms)", series: percentileSeries(timeline.map(\.itl)),
                       asked: configuredITL.map { Double($0) / 1e6 }),
        ]
        if timeline.contains(where: { $0.lateness != nil }) {
            panels.append(ChartPanel(title: "mockllm's lateness against its schedule (ms)",
                                     series: percentileSeries(timeline.map(\.lateness))))
        }
        var chart = SVGChart(panels: panels, times: timeline.map { Double($0.end) / 1e9 - Double($0.length) / 2e9 },
                             span: Double(timeline.last?.end ?? 0) / 1e9)
        chart.title = "mockllm bench: \(url)"
        chart.captions = [chartParameters, chartTotals]
        chart.failures = timeline.filter { $0.failed > 0 }.map {
            (start: Double($0.end - $0.length) / 1e9, end: Double($0.end) / 1e9, count: $0.failed)
        }
        return chart.render()
    }

    private func percentileSeries(_ values: [Percentiles?]) -> [ChartSeries] {
        [
            ChartSeries(name: "p50", color: ChartStyle.median, values: values.map { $0.map { Double($0.p50) / 1e6 } ?? .nan }),
            ChartSeries(name: "p99", color: ChartStyle.tail, values: values.map { $0.map { Double($0.p99) / 1e6 } ?? .nan }),
        ]
    }

    /// What was asked: protocol, model, the shape of the load, the pacing.
    var chartParameters: String {
        var parts = ["\(provider.rawValue), \(model)", "concurrency \(concurrency)"]
        parts.append(rate.map { "rate \(ReportFormat.decimal($0))/s" } ?? "closed loop")
        if let plannedDuration { parts.append("duration \(ReportFormat.decimal(Double(plannedDuration) / 1e9)) s") }
        if let plannedRequests { parts.append("\(plannedRequests) requests") }
        if rampUp > 0 { parts.append("ramp-up \(ReportFormat.decimal(Double(rampUp) / 1e9)) s") }
        var pacing: [String] = []
        if let configuredTTFT { pacing.append("TTFT \(ProgressLine.milliseconds(configuredTTFT)) ms") }
        if let configuredITL { pacing.append("ITL \(ProgressLine.milliseconds(configuredITL)) ms") }
        if !pacing.isEmpty { parts.append("asked " + pacing.joined(separator: ", ")) }
        return parts.joined(separator: " · ")
    }

    /// What came of it: streams, events, and the whole run's percentiles.
    var chartTotals: String {
        var parts = ["\(completed) streams completed, \(failed) failed in \(ReportFormat.decimal(Double(elapsed) / 1e9)) s"]
        parts.append("\(events) events (\(ReportFormat.decimal(perSecond(events), places: 0))/s)")
        let ms = ProgressLine.milliseconds
        if ttft.count > 0 { parts.append("TTFT p50 \(ms(ttft.percentile(0.5))) p99 \(ms(ttft.percentile(0.99))) ms") }
        if itl.count > 0 { parts.append("ITL p50 \(ms(itl.percentile(0.5))) p99 \(ms(itl.percentile(0.99))) ms") }
        return parts.joined(separator: " · ")
    }
}
