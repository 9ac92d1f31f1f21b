import Foundation
import MockLLMSimulation

/// How `mockllm engine simulate` and `curve` print a result: a table, JSON, an SVG chart.
enum EngineReport {
    /// A number as JSON: finite, full precision.
    static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "0"
    }

    static func summary(_ s: LatencySummary) -> String {
        "{\"mean\":\(number(s.mean)),\"p50\":\(number(s.p50)),\"p99\":\(number(s.p99))}"
    }

    /// `simulate --json`: exactly the keys of the contract.
    static func json(_ r: EngineSimulationResult) -> String {
        "{\"ttft_ms\":\(summary(r.ttftMs)),\"itl_ms\":\(summary(r.itlMs)),"
            + "\"request_throughput\":\(number(r.requestThroughput)),"
            + "\"output_token_throughput\":\(number(r.outputTokenThroughput)),\"requests\":\(r.requests)}"
    }

    /// `curve --json`: one object per concurrency, the same keys plus `concurrency`.
    static func json(_ points: [(Int, EngineSimulationResult)]) -> String {
        "[" + points.map { users, r in "{\"concurrency\":\(users)," + json(r).dropFirst() }.joined(separator: ",") + "]"
    }

    static func table(_ points: [(Int, EngineSimulationResult)]) -> String {
        let header = ["users", "TTFT mean", "TTFT p50", "TTFT p99", "ITL mean", "ITL p50", "ITL p99", "req/s", "tok/s",
                      "requests"]
        var rows = [header]
        for (users, r) in points {
            rows.append([
                "\(users)", ms(r.ttftMs.mean), ms(r.ttftMs.p50), ms(r.ttftMs.p99), ms(r.itlMs.mean), ms(r.itlMs.p50),
                ms(r.itlMs.p99), fixed(r.requestThroughput, 2), fixed(r.outputTokenThroughput, 1), "\(r.requests)",
            ])
        }
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                String(repeating: " ", count: widths[column] - cell.count) + cell
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n(latencies in milliseconds; throughput per second of engine time)"
    }

    static func speed(simulated: Double, elapsed: Duration, steps: Int) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let factor = seconds > 0 ? simulated / seconds : 0
        return "simulated \(fixed(simulated, 1)) s of engine time (\(steps) steps) in \(fixed(seconds, 3)) s: "
            + "\(Int(factor.rounded()))x real time"
    }

    static func ms(_ value: Double) -> String { fixed(value, value < 100 ? 2 : 1) }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    // MARK: SVG

    /// Three charts side by side against concurrency (a log scale when it spans 8x or more):
    /// TTFT (mean, p99), ITL (mean, p99), output token throughput. Self-contained: no script,
    /// no external style or font.
    static func svg(_ points: [(Int, EngineSimulationResult)], title: String) -> String {
        let xs = points.map { Double($0.0) }
        let panels: [(String, [(String, String, [Double])])] = [
            ("Time to first token (ms)", [
                ("mean", "#1f77b4", points.map { $0.1.ttftMs.mean }), ("p99", "#aec7e8", points.map { $0.1.ttftMs.p99 }),
            ]),
            ("Inter-token latency (ms)", [
                ("mean", "#d62728", points.map { $0.1.itlMs.mean }), ("p99", "#ff9896", points.map { $0.1.itlMs.p99 }),
            ]),
            ("Output throughput (tokens/s)", [("tokens/s", "#2ca02c", points.map { $0.1.outputTokenThroughput })]),
        ]
        let panelWidth = 360.0, panelHeight = 280.0, top = 50.0, left = 70.0, gap = 90.0
        let width = left + Double(panels.count) * (panelWidth + gap)
        let height = top + panelHeight + 70
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" \
            viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="24" font-size="16" font-weight="bold">\(escape(title))</text>

            """
        let logX = (xs.min() ?? 1) > 0 && (xs.max() ?? 1) / (xs.min() ?? 1) >= 8
        for (index, panel) in panels.enumerated() {
            let x0 = left + Double(index) * (panelWidth + gap)
            out += chart(x0: x0, y0: top, width: panelWidth, height: panelHeight, title: panel.0, xs: xs, logX: logX,
                         series: panel.1)
        }
        return out + "</svg>\n"
    }

    static func chart(x0: Double, y0: Double, width: Double, height: Double, title: String, xs: [Double], logX: Bool,
                      series: [(String, String, [Double])]) -> String {
        let yMax = niceCeiling(series.flatMap(\.2).max() ?? 1)
        let xMin = xs.min() ?? 0, xMax = xs.max() ?? 1
        func px(_ x: Double) -> Double {
            let (a, b, v) = logX ? (log2(xMin), log2(xMax), log2(x)) : (xMin, xMax, x)
            return x0 + (b > a ? (v - a) / (b - a) : 0.5) * width
        }
        func py(_ y: Double) -> Double { y0 + height - (yMax > 0 ? y / yMax : 0) * height }
        var out = "<g>\n<text x=\"\(x0)\" y=\"\(y0 - 8)\" font-weight=\"bold\">\(escape(title))</text>\n"
        out += "<rect x=\"\(x0)\" y=\"\(y0)\" width=\"\(width)\" height=\"\(height)\" fill=\"none\" stroke=\"#999\"/>\n"
        for i in 0...5 {
            let value = yMax * Double(i) / 5
            let y = py(value)
            out += "<line x1=\"\(x0)\" y1=\"\(y)\" x2=\"\(x0 + width)\" y2=\"\(y)\" stroke=\"#eee\"/>\n"
            out += "<text x=\"\(x0 - 6)\" y=\"\(y + 4)\" text-anchor=\"end\">\(label(value))</text>\n"
        }
        for x in xs {
            out += "<text x=\"\(px(x))\" y=\"\(y0 + height + 16)\" text-anchor=\"middle\">\(Int(x))</text>\n"
        }
        out += "<text x=\"\(x0 + width / 2)\" y=\"\(y0 + height + 36)\" text-anchor=\"middle\">concurrency (users)"
            + (logX ? ", log scale" : "") + "</text>\n"
        for (index, (name, color, values)) in series.enumerated() {
            let path = zip(xs, values).map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
            out += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            for (x, y) in zip(xs, values) {
                out += "<circle cx=\"\(px(x))\" cy=\"\(py(y))\" r=\"3\" fill=\"\(color)\"><title>\(Int(x)) users: \(label(y))</title></circle>\n"
            }
            let ly = y0 + 16 + Double(index) * 16
            out += "<line x1=\"\(x0 + 10)\" y1=\"\(ly - 4)\" x2=\"\(x0 + 30)\" y2=\"\(ly - 4)\" stroke=\"\(color)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(x0 + 36)\" y=\"\(ly)\">\(escape(name))</text>\n"
        }
        return out + "</g>\n"
    }

    /// The smallest 1, 2 or 5 times a power of ten at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let power = pow(10, floor(log10(value)))
        for step in [1.0, 2, 5, 10] where step * power >= value { return step * power }
        return 10 * power
    }

    static func label(_ value: Double) -> String {
        value >= 100 || value == value.rounded() ? String(Int(value.rounded())) : fixed(value, value < 10 ? 2 : 1)
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
