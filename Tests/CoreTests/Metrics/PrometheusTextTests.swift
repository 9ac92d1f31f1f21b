@testable import MockLLMCore
import TestSupport
import Testing

/// The hand-written part of the exposition: histograms in seconds from nanosecond
/// `LatencyHistogram`s, and the header lines.
@Suite("Prometheus text exposition")
struct PrometheusTextTests {
    func render(_ histogram: LatencyHistogram, bounds: [PrometheusText.Bound] = PrometheusText.latencyBounds) -> [String] {
        var out: [UInt8] = []
        PrometheusText.appendHistogram("t_seconds", help: "A test.", histogram, bounds: bounds, into: &out)
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// `le` -> cumulative count, in the order written.
    func buckets(_ lines: [String]) -> [(le: String, count: Int)] {
        let prefix = "t_seconds_bucket{le=\""
        return lines.compactMap { line in
            guard line.hasPrefix(prefix), let close = line.firstIndex(of: "}") else { return nil }
            let le = String(line[line.index(line.startIndex, offsetBy: prefix.count)..<line.index(before: close)])
            return (le, Int(String(line[line.index(after: close)...].dropFirst())) ?? -1)
        }
    }

    @Test func bucketsAreCumulativeAndEndWithInfSumAndCount() {
        var h = LatencyHistogram()
        for ns: UInt64 in [50_000, 150_000, 2_000_000, 2_000_000, 20_000_000_000] { h.record(ns) }
        let lines = render(h)
        #expect(lines[0] == "# HELP t_seconds A test.")
        #expect(lines[1] == "# TYPE t_seconds histogram")
        let b = buckets(lines)
        #expect(b.map(\.le) == PrometheusText.latencyBounds.map(\.text) + ["+Inf"])
        let expected = [1, 2, 2, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 5]
        #expect(b.map(\.count) == expected)
        #expect(zip(b, b.dropFirst()).allSatisfy { $0.count <= $1.count }, "cumulative")
        #expect(lines[lines.count - 2] == "t_seconds_sum 20.0042")
        #expect(lines[lines.count - 1] == "t_seconds_count 5")
        #expect(lines.count == 2 + PrometheusText.latencyBounds.count + 1 + 2)
    }

    @Test func anEmptyHistogramHasEveryBucketAtZero() {
        let lines = render(LatencyHistogram(), bounds: PrometheusText.durationBounds)
        let b = buckets(lines)
        #expect(b.count == PrometheusText.durationBounds.count + 1)
        #expect(b.allSatisfy { $0.count == 0 })
        #expect(b.first?.le == "0.001" && b.dropLast().last?.le == "600")
        #expect(lines.suffix(2) == ["t_seconds_sum 0", "t_seconds_count 0"])
    }

    /// A bound's count is exact but for values within one log-linear bucket (1/32) below it.
    @Test func aValueCountsUnderEveryBoundComfortablyAboveIt() {
        for bound in PrometheusText.latencyBounds {
            var h = LatencyHistogram()
            h.record(bound.nanoseconds - bound.nanoseconds / 16)  // just under the bound
            h.record(bound.nanoseconds + 1)  // just over it
            let b = buckets(render(h))
            #expect(b.first { $0.le == bound.text }?.count == 1, "le=\(bound.text)")
        }
    }

    @Test func boundsAreIncreasingAndWrittenAsPrometheusFloats() {
        for bounds in [PrometheusText.latencyBounds, PrometheusText.durationBounds] {
            #expect(zip(bounds, bounds.dropFirst()).allSatisfy { $0.nanoseconds < $1.nanoseconds })
            for bound in bounds {
                #expect(UInt64((Double(bound.text)! * 1e9).rounded()) == bound.nanoseconds, "\(bound.text)")
            }
        }
        #expect(PrometheusText.latencyBounds.first?.text == "0.0001" && PrometheusText.latencyBounds.last?.text == "10")
    }

    @Test func helpTextEscapesBackslashAndNewline() {
        var out: [UInt8] = []
        PrometheusText.appendHeader("x_total", help: #"a\b"# + "\nc", type: "counter", into: &out)
        #expect(String(decoding: out, as: UTF8.self) == "# HELP x_total a\\\\b\\nc\n# TYPE x_total counter\n")
    }

    @Test func secondsAreWrittenFromNanoseconds() {
        #expect(PrometheusText.seconds(0) == "0")
        #expect(PrometheusText.seconds(1_500_000_000) == "1.5")
        #expect(Double(PrometheusText.seconds(2_224)) == 2.224e-06)
    }
}
