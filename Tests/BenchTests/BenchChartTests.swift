import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import MockLLMBench
@testable import MockLLMCore
import TestSupport
import Testing

/// The elements of an SVG document, read with Foundation's XML parser (which fails on anything
/// that is not well-formed XML).
final class SVGElements: NSObject, XMLParserDelegate {
    struct Element {
        var name: String
        var attributes: [String: String]
        var text = ""
    }

    var elements: [Element] = []
    private var open: [Int] = []

    static func parse(_ svg: String) throws -> [Element] {
        let reader = SVGElements()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reader
        guard parser.parse() else { throw TestFailure("not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?")") }
        return reader.elements
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        open.append(elements.count)
        elements.append(Element(name: name, attributes: attributes))
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        open.removeLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if let index = open.last { elements[index].text += string }
    }
}

@Suite("Bench SVG chart")
struct BenchChartTests {
    /// Ten seconds: 1000, 2000, ... events/s; TTFT p50 10 ms, p99 30 ms; no ITL in second 5
    /// (the line breaks there); failures in seconds 3 and 8.
    func report(lateness: Bool = false) -> BenchReport {
        var report = BenchReport(url: "http://127.0.0.1:8000/v1/chat/completions", provider: .anthropic, model: "claude <&>",
                                 concurrency: 64, rate: nil, configuredTTFT: 200_000_000, configuredITL: 20_000_000,
                                 elapsed: 10_000_000_000)
        report.plannedDuration = 10_000_000_000
        report.rampUp = 2_500_000_000
        report.completed = 640
        report.failures = [.timeout: 3]
        for second in 0..<10 {
            var sample = BenchSample(end: UInt64(second + 1) * 1_000_000_000, length: 1_000_000_000)
            sample.events = (second + 1) * 1000
            sample.ttft = Percentiles(p50: 10_000_000, p99: 30_000_000)
            sample.itl = second == 5 ? nil : Percentiles(p50: 20_000_000, p99: 25_000_000)
            sample.failed = [3: 2, 8: 1][second] ?? 0
            if lateness { sample.lateness = Percentiles(p50: 50_000, p99: 400_000) }
            report.timeline.append(sample)
        }
        return report
    }

    func series(_ elements: [SVGElements.Element], _ name: String) -> [[(Double, Double)]] {
        elements.filter { $0.name == "polyline" && $0.attributes["data-series"] == name }.map { line in
            (line.attributes["points"] ?? "").split(separator: " ").map { pair in
                let xy = pair.split(separator: ",").map { Double($0)! }
                return (xy[0], xy[1])
            }
        }
    }

    @Test func theChartIsWellFormedXMLWithEverySeriesAndItsCaptions() throws {
        let svg = report().svg()
        let elements = try SVGElements.parse(svg)
        #expect(elements.first?.name == "svg")
        #expect(elements.first?.attributes["xmlns"] == "http://www.w3.org/2000/svg")
        #expect(!svg.contains("<script") && !svg.contains("href"), "self-contained")
        let texts = elements.filter { $0.name == "text" }.map(\.text)
        #expect(texts.contains("mockllm bench: http://127.0.0.1:8000/v1/chat/completions"))
        #expect(texts.contains { $0.hasPrefix("anthropic, claude <&> · concurrency 64 · closed loop · duration 10.0 s · ramp-up 2.5 s · asked TTFT 200 ms, ITL 20.0 ms") })
        #expect(texts.contains { $0.hasPrefix("640 streams completed, 3 failed in 10.0 s") })
        for title in ["Events received per second", "Time to first token (ms)", "Inter-token latency (ms)"] {
            #expect(texts.contains(title))
        }
        #expect(texts.contains("seconds since the first stream started"))
        #expect(!texts.contains { $0.contains("lateness") }, "no server panel without its readings")
        #expect(series(elements, "events/s").count == 1)
        #expect(series(elements, "p50").count == 3, "TTFT once, ITL twice: broken where second 5 has none")
        #expect(series(elements, "p99").map(\.count) == [10, 5, 4])
        let marks = elements.filter { $0.name == "rect" && $0.attributes["class"] == "failed" }
        #expect(marks.count == 2)
        #expect(elements.filter { $0.name == "title" }.map(\.text) == ["2 failed", "1 failed"], "the count on hover")
        // Seconds 3 and 8 of 10, on an axis of 10 s: the shading covers exactly those seconds.
        let chart = SVGChart(panels: [], times: [], span: 10, captions: ["", ""])
        for (mark, second) in zip(marks, [3.0, 8.0]) {
            let x = Double(mark.attributes["x"] ?? "") ?? -1, width = Double(mark.attributes["width"] ?? "") ?? -1
            #expect(abs(x - (SVGChart.left + second / 10 * chart.plotWidth)) <= 0.05)
            #expect(abs(width - chart.plotWidth / 10) <= 0.1)
        }
        #expect(texts.contains("seconds with failed streams"))
    }

    @Test func pointsSitAtTheirTimeAndValueOnThePanelsAxes() throws {
        let report = self.report()
        let elements = try SVGElements.parse(report.svg())
        let chart = SVGChart(panels: [], times: [], span: 10, captions: ["", ""])
        let x0 = SVGChart.left, width = chart.plotWidth, height = SVGChart.plotHeight
        let xTop = SVGChart.axis(upTo: 10, maxTicks: 12).top
        // Events: up to 10,000/s, so the axis ends at 10,000.
        let events = try #require(series(elements, "events/s").first)
        #expect(SVGChart.axis(upTo: 10_000, maxTicks: 5).top == 10_000)
        let y0 = chart.top
        for (i, (x, y)) in events.enumerated() {
            let t = Double(i) + 0.5  // the middle of second i
            #expect(abs(x - (x0 + t / xTop * width)) <= 0.05)
            #expect(abs(y - (y0 + height - Double(i + 1) * 1000 / 10_000 * height)) <= 0.05)
        }
        // TTFT: the 200 ms asked sets the axis (to 200 ms, by 50): the dashed line at its top, p99 30 ms low.
        #expect(SVGChart.axis(upTo: 200, maxTicks: 5) == (50, 200))
        let ttft = try #require(series(elements, "p99").first)
        let panelTop = y0 + SVGChart.plotHeight + SVGChart.panelGap
        #expect(ttft.allSatisfy { abs($0.1 - (panelTop + height - 30.0 / 200 * height)) <= 0.05 })
        let asked = elements.filter { $0.name == "line" && $0.attributes["stroke-dasharray"] != nil }
        #expect(asked.count == 2, "TTFT and ITL were asked for")
        #expect(asked.first.flatMap { $0.attributes["y1"].flatMap(Double.init) }.map { abs($0 - panelTop) <= 0.05 } == true)
        let labels = elements.filter { $0.name == "text" && $0.attributes["text-anchor"] == "end" }.map(\.text)
        #expect(labels.starts(with: ["0", "2000", "4000", "6000", "8000", "10000", "0", "50", "100", "150", "200", "0", "5"]))
    }

    @Test func theServersLatenessGetsAPanelWhenItWasRead() throws {
        let elements = try SVGElements.parse(report(lateness: true).svg())
        #expect(elements.contains { $0.name == "text" && $0.text == "mockllm's lateness against its schedule (ms)" })
        #expect(series(elements, "p50").count == 4)
        let height = try #require(elements.first?.attributes["height"].flatMap(Double.init))
        let without = try #require(try SVGElements.parse(report().svg()).first?.attributes["height"].flatMap(Double.init))
        #expect(height == without + SVGChart.plotHeight + SVGChart.panelGap)
    }

    @Test func anEmptyRunStillDrawsItsAxes() throws {
        var report = self.report()
        report.timeline = []
        let elements = try SVGElements.parse(report.svg())
        #expect(series(elements, "events/s").isEmpty)
        #expect(elements.filter { $0.name == "text" && $0.text == "Time to first token (ms)" }.count == 1)
    }

    @Test(arguments: [
        (0.0, 5, 0.2, 1.0), (37, 5, 10, 40), (0.05, 5, 0.01, 0.05), (8123, 5, 2000, 10_000), (1, 5, 0.2, 1),
        (61, 12, 10, 70), (3600, 12, 500, 4000),
    ])
    func axesEndOnARoundStep(value: Double, ticks: Int, step: Double, top: Double) {
        let axis = SVGChart.axis(upTo: value, maxTicks: ticks)
        #expect(abs(axis.step - step) < 1e-9 && abs(axis.top - top) < 1e-9, "\(value): \(axis)")
    }

    @Test func tickLabelsHaveTheDecimalsTheirStepNeeds() {
        #expect(SVGChart.label(0.05, step: 0.01) == "0.05")
        #expect(SVGChart.label(2.5, step: 0.5) == "2.5")
        #expect(SVGChart.label(1500, step: 500) == "1500")
        #expect(SVGChart.label(0.6000000000000001, step: 0.2) == "0.6")
    }
}
