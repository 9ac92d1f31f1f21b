import MockLLMCore

/// A median and a 99th percentile, in ns.
package struct Percentiles: Sendable, Equatable {
    package var p50: UInt64
    package var p99: UInt64

    package init(p50: UInt64, p99: UInt64) {
        self.p50 = p50
        self.p99 = p99
    }

    /// Of everything `histogram` holds; nil when it is empty.
    init?(_ histogram: LatencyHistogram) {
        guard histogram.count > 0 else { return nil }
        self.init(p50: histogram.percentile(0.5), p99: histogram.percentile(0.99))
    }

    /// Of what `histogram` recorded since its copy `earlier`; nil when nothing was.
    init?(_ histogram: LatencyHistogram, since earlier: LatencyHistogram) {
        guard let p50 = histogram.percentile(0.5, since: earlier), let p99 = histogram.percentile(0.99, since: earlier)
        else { return nil }
        self.init(p50: p50, p99: p99)
    }
}

/// One interval of a run (a second; the last one may be shorter): what arrived in it, for the
/// chart of `--svg` and the rate on the progress line.
package struct BenchSample: Sendable, Equatable {
    /// The interval's end, in ns since the run's first stream started.
    package var end: UInt64
    /// Its length in ns.
    package var length: UInt64
    /// Events and token events received in it.
    package var events = 0
    package var tokens = 0
    /// Streams that ended in it.
    package var completed = 0
    package var failed = 0
    /// Streams in flight at its end.
    package var inFlight = 0
    /// Of the first tokens and the inter-token intervals that arrived in it; nil when none did.
    package var ttft: Percentiles?
    package var itl: Percentiles?
    /// mockllm's own lateness for the events it sent in it (when it is the target and its stats
    /// were read during the run).
    package var lateness: Percentiles?

    package init(end: UInt64, length: UInt64) {
        self.end = end
        self.length = length
    }

    /// `count` per second of this interval.
    package func perSecond(_ count: Int) -> Double {
        length == 0 ? 0 : Double(count) * 1e9 / Double(length)
    }
}

/// Cuts the run's cumulative metrics into per-second samples. Nothing is added on the
/// recording path: each sample diffs the counters and histograms against a copy kept from the
/// previous one (two 10 KiB copies a second), and the percentiles of an interval are read from
/// the difference of the histograms (`LatencyHistogram.percentile(_:since:)`).
struct BenchTimeline {
    static let interval: UInt64 = 1_000_000_000
    /// A last interval shorter than this is left out: its rate would be noise.
    static let shortestLast: UInt64 = 100_000_000

    private(set) var samples: [BenchSample] = []
    /// When the next sample is due, in ns since the origin.
    private(set) var nextDue: UInt64 = interval
    private var previousEnd: UInt64 = 0
    private var previous: BenchMetrics?
    private var previousFailed = 0

    /// Takes the sample of the interval that ends at `end` (ns since the origin).
    mutating func sample(_ metrics: BenchMetrics, inFlight: Int, lateness: Percentiles?, at end: UInt64) {
        guard end > previousEnd else { return }
        let failed = metrics.failures.values.reduce(0, +)
        var sample = BenchSample(end: end, length: end - previousEnd)
        sample.events = metrics.events - (previous?.events ?? 0)
        sample.tokens = metrics.tokens - (previous?.tokens ?? 0)
        sample.completed = metrics.completed - (previous?.completed ?? 0)
        sample.failed = failed - previousFailed
        sample.inFlight = inFlight
        sample.ttft = previous.map { Percentiles(metrics.ttft, since: $0.ttft) } ?? Percentiles(metrics.ttft)
        sample.itl = previous.map { Percentiles(metrics.itl, since: $0.itl) } ?? Percentiles(metrics.itl)
        sample.lateness = lateness
        samples.append(sample)
        previous = metrics
        previousFailed = failed
        previousEnd = end
        while nextDue <= end { nextDue += Self.interval }
    }

    /// mockllm's lateness in sample `index`, read after it was taken.
    mutating func setLateness(_ lateness: Percentiles?, ofSample index: Int) {
        guard samples.indices.contains(index) else { return }
        samples[index].lateness = lateness
    }

    /// The run's last interval, from the last sample to its end, unless it is too short to say anything.
    mutating func finish(_ metrics: BenchMetrics, lateness: Percentiles?, at end: UInt64) {
        guard end >= previousEnd + Self.shortestLast else { return }
        sample(metrics, inFlight: 0, lateness: lateness, at: end)
    }
}
