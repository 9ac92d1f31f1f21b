import MockLLMCore

/// The part of mockllm's `GET /_mockllm/stats` that bench reads: the cumulative histogram of
/// how late the server sent paced stream events against their schedule.
struct ServerStats: Equatable {
    struct Bucket: Equatable {
        var lower: UInt64
        var upper: UInt64
        var count: UInt64
    }

    var workers: Int
    var buckets: [Bucket]
    var max: UInt64

    /// Reads `{"workers":N,...,"lateness_ns":{"max":N,"buckets":[[lower,upper,count],...]}}`;
    /// nil when the body is not that shape.
    static func parse(_ body: [UInt8]) -> ServerStats? {
        guard let root = try? JSONReader.parse(body).objectValue,
              let lateness = root["lateness_ns"]?.objectValue,
              let rows = lateness["buckets"]?.arrayValue
        else { return nil }
        var buckets: [Bucket] = []
        buckets.reserveCapacity(rows.count)
        for row in rows {
            guard let cells = row.arrayValue, cells.count == 3,
                  let lower = integer(cells[0]), let upper = integer(cells[1]), let count = integer(cells[2])
            else { return nil }
            buckets.append(Bucket(lower: lower, upper: upper, count: count))
        }
        let workers = root["workers"].flatMap(integer).map { Int(clamping: $0) } ?? 1
        return ServerStats(workers: workers, buckets: buckets, max: lateness["max"].flatMap(integer) ?? 0)
    }

    private static func integer(_ value: JSONValue) -> UInt64? {
        guard case .number(let number) = value, number >= 0, number < 1.8e19 else { return nil }
        return UInt64(number)
    }

    /// The lateness of the events sent between two snapshots (`before` taken first).
    static func lateness(from before: ServerStats, to after: ServerStats) -> ServerLateness {
        var earlier: [UInt64: UInt64] = [:]
        for bucket in before.buckets { earlier[bucket.lower] = bucket.count }
        var histogram = LatencyHistogram()
        var top: UInt64 = 0
        let ceiling = after.max > 0 ? after.max : .max
        for bucket in after.buckets {
            let grown = bucket.count &- min(bucket.count, earlier[bucket.lower] ?? 0)
            guard grown > 0 else { continue }
            // Recorded at the bucket's top (but not above the server's maximum), so that a
            // percentile reads as the bucket's upper bound, as it does for exact histograms.
            let value = Swift.max(bucket.lower, min(bucket.upper, ceiling))
            histogram.add(bucketContaining: value, count: grown)
            top = Swift.max(top, value)
        }
        let max = top
        return ServerLateness(histogram: histogram, max: max, workers: after.workers)
    }
}
