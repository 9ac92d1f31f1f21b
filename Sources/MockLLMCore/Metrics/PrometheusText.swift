/// Writes the Prometheus text exposition format (version 0.0.4) by hand for what
/// swift-prometheus does not hold: plain counters each loop keeps, and histograms kept per loop
/// as `LatencyHistogram`s (nanoseconds) and merged at scrape time.
package enum PrometheusText {
    package static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// One `le` bound: the text written and the same bound in nanoseconds.
    package struct Bound: Sendable {
        let text: String
        let nanoseconds: UInt64

        init(_ text: String, seconds: Double) {
            self.text = text
            nanoseconds = UInt64((seconds * 1e9).rounded())
        }
    }

    /// 100 µs to 10 s: lateness, inter-token intervals, time to first token.
    package static let latencyBounds: [Bound] = [
        Bound("0.0001", seconds: 0.0001), Bound("0.00025", seconds: 0.00025), Bound("0.0005", seconds: 0.0005),
        Bound("0.001", seconds: 0.001), Bound("0.0025", seconds: 0.0025), Bound("0.005", seconds: 0.005),
        Bound("0.01", seconds: 0.01), Bound("0.025", seconds: 0.025), Bound("0.05", seconds: 0.05),
        Bound("0.1", seconds: 0.1), Bound("0.25", seconds: 0.25), Bound("0.5", seconds: 0.5),
        Bound("1", seconds: 1), Bound("2.5", seconds: 2.5), Bound("5", seconds: 5), Bound("10", seconds: 10),
    ]

    /// 1 ms to 10 min: whole streams.
    package static let durationBounds: [Bound] = Array(latencyBounds.dropFirst(3)) + [
        Bound("30", seconds: 30), Bound("60", seconds: 60), Bound("120", seconds: 120),
        Bound("300", seconds: 300), Bound("600", seconds: 600),
    ]

    /// `# HELP` and `# TYPE` lines.
    package static func appendHeader(_ name: String, help: String, type: String, into out: inout [UInt8]) {
        out.append(contentsOf: "# HELP \(name) ".utf8)
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): out.append(contentsOf: #"\n"#.utf8)
            default: out.append(byte)
            }
        }
        out.append(contentsOf: "\n# TYPE \(name) \(type)\n".utf8)
    }

    /// A metric of one unlabeled sample: header and value.
    package static func appendSingle(_ name: String, help: String, type: String, value: Int, into out: inout [UInt8]) {
        appendHeader(name, help: help, type: type, into: &out)
        out.append(contentsOf: "\(name) \(value)\n".utf8)
    }

    /// A histogram in seconds from one in nanoseconds: cumulative `_bucket` lines for `bounds`
    /// and `+Inf`, then `_sum` and `_count`.
    ///
    /// A log-linear bucket of `histogram` counts under a bound when its whole range is at or
    /// below it, so a count is exact except for values within one such bucket (1/32, about 3 %)
    /// below the bound, which land in the next one. Sum and count are exact.
    package static func appendHistogram(
        _ name: String, help: String, _ histogram: LatencyHistogram, bounds: [Bound], into out: inout [UInt8]
    ) {
        appendHeader(name, help: help, type: "histogram", into: &out)
        var cumulative: UInt64 = 0
        var bucket = 0
        let counts = histogram.counts
        for bound in bounds {
            while bucket < counts.count && LatencyHistogram.upperBound(of: bucket) <= bound.nanoseconds {
                cumulative &+= counts[bucket]
                bucket += 1
            }
            out.append(contentsOf: "\(name)_bucket{le=\"\(bound.text)\"} \(cumulative)\n".utf8)
        }
        out.append(contentsOf: "\(name)_bucket{le=\"+Inf\"} \(histogram.count)\n".utf8)
        out.append(contentsOf: "\(name)_sum \(seconds(histogram.sum))\n".utf8)
        out.append(contentsOf: "\(name)_count \(histogram.count)\n".utf8)
    }

    /// Nanoseconds as seconds, written as Prometheus reads floats.
    static func seconds(_ nanoseconds: UInt64) -> String {
        nanoseconds == 0 ? "0" : "\(Double(nanoseconds) / 1e9)"
    }
}
