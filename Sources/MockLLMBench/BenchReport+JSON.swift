import MockLLMCore

extension BenchReport {
    /// The report as one JSON object (for scripts): times in milliseconds, rates per second.
    package var json: String {
        var out = ByteBuffer()
        out.append(ascii: "{\"url\":")
        out.append(jsonString: url)
        out.append(ascii: ",\"provider\":")
        out.append(jsonString: provider.rawValue)
        out.append(ascii: ",\"model\":")
        out.append(jsonString: model)
        out.append(utf8: ",\"concurrency\":\(concurrency),\"rate\":\(rate.map { ReportFormat.decimal($0, places: 3) } ?? "null")")
        out.append(utf8: ",\"configured\":{\"ttft_ms\":\(optionalMilliseconds(configuredTTFT)),\"itl_ms\":\(optionalMilliseconds(configuredITL))}")
        out.append(utf8: ",\"elapsed_s\":\(ReportFormat.decimal(Double(elapsed) / 1e9, places: 3))")
        out.append(utf8: ",\"streams\":{\"started\":\(started),\"completed\":\(completed),\"failed\":\(failed),\"per_second\":\(rate(completed)),\"missed_starts\":\(missedStarts)}")
        out.append(utf8: ",\"failures\":{\"connect\":\(failures[.connect] ?? 0),\"http_status\":{")
        let statuses = failureRows.compactMap { row -> String? in
            if case .status(let code) = row.0 { return "\"\(code)\":\(row.1)" }
            return nil
        }
        out.append(utf8: statuses.joined(separator: ","))
        out.append(utf8: "},\"malformed\":\(failures[.malformed] ?? 0),\"error_event\":\(failures[.errorEvent] ?? 0)")
        out.append(utf8: ",\"timeout\":\(failures[.timeout] ?? 0)")
        out.append(utf8: ",\"closed_early\":\(failures[.closedEarly] ?? 0),\"cut_at_end\":\(failures[.cutAtEnd] ?? 0)}")
        out.append(utf8: ",\"events\":{\"count\":\(events),\"per_second\":\(rate(events))}")
        out.append(utf8: ",\"tokens\":{\"count\":\(tokens),\"per_second\":\(rate(tokens))}")
        out.append(utf8: ",\"bytes\":\(bytes)")
        out.append(utf8: ",\"latency_ms\":{\"ttft\":\(summary(ttft)),\"itl\":\(summary(itl))")
        out.append(utf8: ",\"ttft_error\":\(configuredTTFT == nil ? "null" : summary(ttftError))")
        out.append(utf8: ",\"itl_error\":\(configuredITL == nil ? "null" : summary(itlError))")
        out.append(utf8: ",\"server_lateness\":\(serverLateness.map { summary($0.histogram, max: $0.max, mean: false) } ?? "null")")
        out.append(utf8: ",\"step_lateness\":\(serverLateness?.steps.map { summary($0, max: serverLateness?.stepsMax, mean: false) } ?? "null")}")
        out.append(utf8: ",\"server_workers\":\(serverLateness.map { String($0.workers) } ?? "null")")
        out.append(utf8: ",\"exit_code\":\(exitCode)}")
        return out.description
    }

    private func rate(_ count: Int) -> String { ReportFormat.decimal(perSecond(count), places: 1) }

    private func optionalMilliseconds(_ ns: UInt64?) -> String { ns.map(ReportFormat.milliseconds) ?? "null" }

    /// Count, percentiles and maximum in ms; the mean only where values were recorded exactly
    /// (server lateness is rebuilt from bucket bounds).
    private func summary(_ histogram: LatencyHistogram, max: UInt64? = nil, mean: Bool = true) -> String {
        guard histogram.count > 0 else { return "{\"count\":0}" }
        let ms = ReportFormat.milliseconds
        return "{\"count\":\(histogram.count),\"p50\":\(ms(histogram.percentile(0.5))),\"p90\":\(ms(histogram.percentile(0.9)))"
            + ",\"p99\":\(ms(histogram.percentile(0.99))),\"p99_9\":\(ms(histogram.percentile(0.999)))"
            + ",\"max\":\(ms(max ?? histogram.max))"
            + (mean ? ",\"mean\":\(ReportFormat.decimal(histogram.mean / 1e6, places: 3))}" : "}")
    }
}
