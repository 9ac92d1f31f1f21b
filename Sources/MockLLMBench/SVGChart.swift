/// Calm colours that stay apart for the colour-blind (a muted blue and orange) and print well.
enum ChartStyle {
    static let throughput = "#4c72b0"
    static let median = "#4c72b0"
    static let tail = "#dd8452"
    static let failure = "#c44e52"
    static let grid = "#e8e8e8"
    static let axis = "#8c8c8c"
    static let text = "#333333"
    static let muted = "#666666"
    static let asked = "#9a9a9a"
    static let font = "DejaVu Sans, Helvetica, Arial, sans-serif"
}

/// One line of a panel: a value per sample, NaN where the sample has none (the line breaks there).
struct ChartSeries {
    var name: String
    var color: String
    var values: [Double]
    /// Shade the area under the line.
    var fill = false
}

/// One chart of the stack: its title (which names the unit) and its lines.
struct ChartPanel {
    var title: String
    var series: [ChartSeries]
    /// The value the run asked for (`--ttft-ms`, `--itl-ms`): a dashed reference line.
    var asked: Double?
}

/// Panels of lines over time, stacked, each with its own y axis from 0 and the same x axis.
struct SVGChart {
    var panels: [ChartPanel]
    /// The x of each sample, in seconds.
    var times: [Double]
    /// The x axis runs from 0 to this.
    var span: Double
    var title = ""
    var captions: [String] = []
    /// The intervals in which streams failed (seconds) and how many: shaded in the first panel.
    var failures: [(start: Double, end: Double, count: Int)] = []

    static let width = 960.0
    static let left = 80.0
    static let right = 28.0
    static let plotHeight = 150.0
    static let panelGap = 70.0
    /// Runs of up to this many seconds mark each second's value with a dot.
    static let dottedUpTo = 60
    var top: Double { 60 + Double(captions.count) * 18 + 34 }
    var plotWidth: Double { Self.width - Self.left - Self.right }
    var height: Double { top + Double(panels.count) * (Self.plotHeight + Self.panelGap) + 8 }

    func render() -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(Self.width))\" height=\"\(Int(height))\""
            + " viewBox=\"0 0 \(Int(Self.width)) \(Int(height))\" font-family=\"\(ChartStyle.font)\" font-size=\"12\""
            + " fill=\"\(ChartStyle.text)\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += text(Self.left, 32, title, size: 17, weight: "bold")
        for (i, caption) in captions.enumerated() {
            out += text(Self.left, 56 + Double(i) * 18, caption, size: 13, color: ChartStyle.muted)
        }
        let xAxis = Self.axis(upTo: span, maxTicks: 12)
        for (index, panel) in panels.enumerated() {
            let y0 = top + Double(index) * (Self.plotHeight + Self.panelGap)
            out += render(panel, y0: y0, xAxis: xAxis, last: index == panels.count - 1, markFailures: index == 0)
        }
        return out + "</svg>\n"
    }

    private func render(_ panel: ChartPanel, y0: Double, xAxis: (step: Double, top: Double), last: Bool, markFailures: Bool) -> String {
        let highest = max(panel.series.flatMap(\.values).filter(\.isFinite).max() ?? 0, panel.asked ?? 0)
        let yAxis = Self.axis(upTo: highest, maxTicks: 5)
        let x0 = Self.left, width = plotWidth, height = Self.plotHeight
        func px(_ t: Double) -> Double { x0 + (xAxis.top > 0 ? t / xAxis.top : 0) * width }
        func py(_ v: Double) -> Double { y0 + height - (yAxis.top > 0 ? v / yAxis.top : 0) * height }
        var out = "<g>\n" + text(x0, y0 - 12, panel.title, size: 13, weight: "bold")
        if markFailures {
            // Shaded first, behind the grid and the lines: each second in which streams failed,
            // with its count on hover.
            for failure in failures {
                let x = px(failure.start), w = max(1, px(failure.end) - x)
                out += "<rect class=\"failed\" x=\"\(Self.n(x))\" y=\"\(Self.n(y0))\" width=\"\(Self.n(w))\" height=\"\(Self.n(height))\""
                    + " fill=\"\(ChartStyle.failure)\" fill-opacity=\"0.13\"><title>\(failure.count) failed</title></rect>\n"
            }
        }
        // Horizontal grid with the y labels, then vertical ticks with the x labels.
        var value = 0.0
        while value <= yAxis.top * 1.000001 {
            let y = py(value)
            out += line(x0, y, x0 + width, y, color: value == 0 ? ChartStyle.axis : ChartStyle.grid)
            out += text(x0 - 8, y + 4, Self.label(value, step: yAxis.step), anchor: "end", color: ChartStyle.muted)
            value += yAxis.step
        }
        var t = 0.0
        while t <= xAxis.top * 1.000001 {
            let x = px(t)
            out += line(x, y0 + height, x, y0 + height + 4, color: ChartStyle.axis)
            out += text(x, y0 + height + 17, Self.label(t, step: xAxis.step), anchor: "middle", color: ChartStyle.muted)
            t += xAxis.step
        }
        out += line(x0, y0, x0, y0 + height, color: ChartStyle.axis)
        if last {
            out += text(x0 + width / 2, y0 + height + 36, "seconds since the first stream started", anchor: "middle",
                        color: ChartStyle.muted)
        }
        var legend: [LegendEntry] = []
        if let asked = panel.asked {
            out += "<line x1=\"\(Self.n(x0))\" y1=\"\(Self.n(py(asked)))\" x2=\"\(Self.n(x0 + width))\" y2=\"\(Self.n(py(asked)))\""
                + " stroke=\"\(ChartStyle.asked)\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/>\n"
            legend.append(LegendEntry(name: "asked", color: ChartStyle.asked))
        }
        for series in panel.series {
            out += draw(series, px: px, py: py, baseline: y0 + height)
        }
        legend += panel.series.map { LegendEntry(name: $0.name, color: $0.color) }
        if markFailures, !failures.isEmpty {
            legend.append(LegendEntry(name: "seconds with failed streams", color: ChartStyle.failure, shaded: true))
        }
        out += self.legend(legend, right: x0 + width, y: y0 - 12)
        return out + "</g>\n"
    }

    /// The series as polylines broken where it has no value; a lone value is a dot.
    private func draw(_ series: ChartSeries, px: (Double) -> Double, py: (Double) -> Double, baseline: Double) -> String {
        var runs: [[(Double, Double)]] = [[]]
        for (t, v) in zip(times, series.values) {
            if v.isFinite { runs[runs.count - 1].append((px(t), py(v))) } else if !runs[runs.count - 1].isEmpty { runs.append([]) }
        }
        var out = ""
        for run in runs where !run.isEmpty {
            let points = run.map { "\(Self.n($0.0)),\(Self.n($0.1))" }.joined(separator: " ")
            if series.fill, run.count > 1 {
                out += "<polygon points=\"\(Self.n(run[0].0)),\(Self.n(baseline)) \(points) \(Self.n(run[run.count - 1].0)),\(Self.n(baseline))\""
                    + " fill=\"\(series.color)\" fill-opacity=\"0.12\" stroke=\"none\"/>\n"
            }
            // A lone value is a dot; so is every value of a short run, where each second is worth seeing.
            if run.count == 1 || times.count <= Self.dottedUpTo {
                for point in run {
                    out += "<circle cx=\"\(Self.n(point.0))\" cy=\"\(Self.n(point.1))\" r=\"2.5\" fill=\"\(series.color)\"/>\n"
                }
            }
            if run.count > 1 {
                out += "<polyline class=\"series\" data-series=\"\(Self.escape(series.name))\" points=\"\(points)\" fill=\"none\""
                    + " stroke=\"\(series.color)\" stroke-width=\"1.8\" stroke-linejoin=\"round\"/>\n"
            }
        }
        return out
    }

    struct LegendEntry {
        var name: String
        var color: String
        /// A shaded square (for a shaded area) rather than a short line.
        var shaded = false
    }

    /// Entries right-aligned at `right`: the line's colour (or the shading), then the name.
    private func legend(_ entries: [LegendEntry], right: Double, y: Double) -> String {
        var out = ""
        var x = right
        for entry in entries.reversed() {
            x -= Double(entry.name.count) * 6.6  // about the width of the 12 px text
            out += text(x, y, entry.name, color: ChartStyle.muted)
            if entry.shaded {
                out += "<rect x=\"\(Self.n(x - 18))\" y=\"\(Self.n(y - 10))\" width=\"12\" height=\"12\" fill=\"\(entry.color)\" fill-opacity=\"0.25\"/>\n"
            } else {
                out += line(x - 24, y - 4, x - 6, y - 4, color: entry.color, width: 2.5)
            }
            x -= 40
        }
        return out
    }

    private func text(_ x: Double, _ y: Double, _ content: String, size: Int? = nil, weight: String? = nil,
                      anchor: String? = nil, color: String? = nil) -> String {
        var out = "<text x=\"\(Self.n(x))\" y=\"\(Self.n(y))\""
        if let size { out += " font-size=\"\(size)\"" }
        if let weight { out += " font-weight=\"\(weight)\"" }
        if let anchor { out += " text-anchor=\"\(anchor)\"" }
        if let color { out += " fill=\"\(color)\"" }
        return out + ">\(Self.escape(content))</text>\n"
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String, width: Double = 1) -> String {
        "<line x1=\"\(Self.n(x1))\" y1=\"\(Self.n(y1))\" x2=\"\(Self.n(x2))\" y2=\"\(Self.n(y2))\" stroke=\"\(color)\""
            + (width == 1 ? "" : " stroke-width=\"\(Self.n(width))\"") + "/>\n"
    }

    /// A tick step of 1, 2 or 5 times a power of ten giving at most `maxTicks` intervals up to
    /// `value`, and the axis top: the first step at or above it (1 with a step of 0.2 for nothing).
    static func axis(upTo value: Double, maxTicks: Int) -> (step: Double, top: Double) {
        guard value > 0, value.isFinite else { return (0.2, 1) }
        var power = 1.0
        while power * 10 <= value { power *= 10 }
        while power > value { power /= 10 }
        var step = power / 10
        for multiple in [1.0, 2, 5, 10, 20, 50, 100] {
            step = power / 10 * multiple
            if (value / step).rounded(.up) <= Double(maxTicks) { break }
        }
        return (step, (value / step).rounded(.up) * step)
    }

    /// A tick label with as many decimals as the step needs (`0.05`, `2.5`, `1500`).
    static func label(_ value: Double, step: Double) -> String {
        var places = 0
        var scaled = step
        while places < 4 && (scaled - scaled.rounded()).magnitude > 1e-9 * max(1, scaled) {
            scaled *= 10
            places += 1
        }
        return ReportFormat.decimal(value, places: places)
    }

    /// A coordinate with one decimal.
    static func n(_ value: Double) -> String { ReportFormat.decimal(value, places: 1) }

    static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
