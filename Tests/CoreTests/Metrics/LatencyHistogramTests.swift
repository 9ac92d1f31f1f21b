@testable import MockLLMCore
import TestSupport
import Testing

@Suite("LatencyHistogram")
struct LatencyHistogramTests {
    @Test func everyValueLandsInABucketThatContainsIt() {
        var value: UInt64 = 0
        while value < LatencyHistogram.maximumTracked {
            let bucket = LatencyHistogram.bucket(of: value)
            #expect(LatencyHistogram.lowerBound(of: bucket) <= value)
            #expect(LatencyHistogram.upperBound(of: bucket) >= value)
            // Relative width of a bucket: at most 1/32 of its lower bound.
            let lower = LatencyHistogram.lowerBound(of: bucket), upper = LatencyHistogram.upperBound(of: bucket)
            #expect(upper - lower <= max(0, lower / 32))
            value = value < 100 ? value + 1 : value + value / 7 + 1
        }
    }

    @Test func bucketsAreContiguousAndOrdered() {
        for bucket in 1..<LatencyHistogram.bucketCount {
            #expect(LatencyHistogram.lowerBound(of: bucket) == LatencyHistogram.upperBound(of: bucket - 1) + 1)
        }
    }

    @Test func percentilesOfAKnownDistribution() {
        var h = LatencyHistogram()
        for ms in 1...1000 { h.record(UInt64(ms) * 1_000_000) }
        #expect(h.count == 1000)
        #expect(h.min == 1_000_000)
        #expect(h.max == 1_000_000_000)
        for (q, exact) in [(0.5, 500.0), (0.99, 990.0), (0.999, 999.0)] {
            let ms = Double(h.percentile(q)) / 1e6
            #expect(ms >= exact && ms <= exact * (1 + 1.0 / 32), "p\(q) = \(ms) ms, expected about \(exact)")
        }
        #expect(h.percentile(1) == 1_000_000_000)
        #expect(abs(h.mean - 500.5e6) < 1)
    }

    @Test func anEmptyHistogramReportsZeros() {
        let h = LatencyHistogram()
        #expect(h.percentile(0.99) == 0)
        #expect(h.mean == 0)
        #expect(h.nonEmptyBuckets.isEmpty)
    }

    @Test func valuesBeyondTheRangeAreCountedWithTheirExactMaximum() {
        var h = LatencyHistogram()
        h.record(.max)
        #expect(h.count == 1)
        #expect(h.max == .max)
        #expect(h.percentile(0.5) == LatencyHistogram.maximumTracked)
    }

    @Test func mergingAndRebuildingFromBucketsKeepCounts() {
        var a = LatencyHistogram(), b = LatencyHistogram()
        for v in [5, 50, 500, 5000] as [UInt64] { a.record(v) }
        for v in [7, 70_000, 7_000_000] as [UInt64] { b.record(v) }
        var merged = a
        merged.merge(b)
        #expect(merged.count == 7)
        #expect(merged.min == 5 && merged.max == 7_000_000)
        var rebuilt = LatencyHistogram()
        for bucket in merged.nonEmptyBuckets { rebuilt.add(bucketContaining: bucket.lower, count: bucket.count) }
        #expect(rebuilt.counts == merged.counts)
        #expect(rebuilt.percentile(0.5) == merged.percentile(0.5))
    }

    @Test func percentilesSinceAnEarlierCopyAreOfWhatWasRecordedSince() throws {
        var histogram = LatencyHistogram()
        for ms in 1...100 { histogram.record(UInt64(ms) * 1_000_000) }  // the first second: 1...100 ms
        let earlier = histogram
        #expect(histogram.percentile(0.5, since: earlier) == nil, "nothing recorded since")
        for _ in 1...10 { histogram.record(500_000_000) }  // the next: ten of 500 ms
        let median = try #require(histogram.percentile(0.5, since: earlier))
        #expect(median >= 500_000_000 && median <= 500_000_000 * 103 / 100)
        #expect(histogram.percentile(0.01, since: earlier) == median, "the earlier values are not counted")
        #expect(histogram.percentile(0.5) < 100_000_000, "the whole histogram's median is unchanged in kind")
        #expect(histogram.percentile(0.5, since: LatencyHistogram()) == histogram.percentile(0.5))
    }
}
