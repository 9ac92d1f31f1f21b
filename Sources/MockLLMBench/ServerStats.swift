import MockLLMCore

/// The part of mockllm's `GET /_mockllm/stats` that bench reads: the cumulative histograms of
/// how late the server sent paced stream events against their schedule, and how late its loops
/// began writing each engine step's tokens.
struct ServerStats: Equatable {
    struct Bucket: Equatable {
        var lower: UInt64
        var upper: UInt64
        var count: UInt64
    }

    /// One histogram: its non-empty buckets in order, and the largest value recorded.
    struct Histogram: Equatable {
        var buckets: [Bucket]
        var max: UInt64
    }

    var workers: Int
    /// `lateness_ns`: every timed write.
    var lateness: Histogram
    /// `step_lateness_ns`: one value per engine step and loop; nil from a server without it.
    var stepLateness: Histogram?

    /// Reads `{"workers":N,...,"lateness_ns":{"max":N,"buckets":[[lower,upper,count],...]},
    /// "step_lateness_ns":{...}}`; nil when the body is not that shape. Read from the validated
    /// tape without building the rest of the document (the per-worker part, the counters):
    /// while bench shows progress it reads the stats every second.
    static func parse(_ body: [UInt8]) -> ServerStats? {
        // A node does not keep its document alive: hold it while its nodes are read.
        guard let document = try? JSONDocument.parse(body) else { return nil }
        return withExtendedLifetime(document) { read(document.root) }
    }

    private static func read(_ root: JSONNode) -> ServerStats? {
        guard root.isObject, let lateness = root["lateness_ns"].flatMap(histogram) else { return nil }
        var steps: Histogram?
        if let node = root["step_lateness_ns"] {
            guard let histogram = histogram(node) else { return nil }
            steps = histogram
        }
        let workers = root["workers"].flatMap(integer).map { Int(clamping: $0) } ?? 1
        return ServerStats(workers: workers, lateness: lateness, stepLateness: steps)
    }

    private static func histogram(_ node: JSONNode) -> Histogram? {
        guard node.isObject, let rows = node["buckets"], rows.isArray else { return nil }
        var buckets: [Bucket] = []
        buckets.reserveCapacity(rows.count)
        var wellFormed = true
        rows.forEachElement { _, row in
            var cells: (UInt64, UInt64, UInt64) = (0, 0, 0)
            guard wellFormed, row.isArray, row.count == 3 else { return wellFormed = false }
            row.forEachElement { k, cell in
                guard let value = integer(cell) else { return wellFormed = false }
                switch k {
                case 0: cells.0 = value
                case 1: cells.1 = value
                default: cells.2 = value
                }
            }
            buckets.append(Bucket(lower: cells.0, upper: cells.1, count: cells.2))
        }
        guard wellFormed else { return nil }
        return Histogram(buckets: buckets, max: node["max"].flatMap(integer) ?? 0)
    }

    private static func integer(_ node: JSONNode) -> UInt64? {
        guard let number = node.number, number >= 0, number < 1.8e19 else { return nil }
        return UInt64(number)
    }

    /// The lateness of the events sent between two snapshots (`before` taken first), and of
    /// the engine steps when the later one has them.
    static func lateness(from before: ServerStats, to after: ServerStats) -> ServerLateness {
        let events = difference(from: before.lateness, to: after.lateness)
        var lateness = ServerLateness(histogram: events.histogram, max: events.max, workers: after.workers)
        if let steps = after.stepLateness {
            let grown = difference(from: before.stepLateness ?? Histogram(buckets: [], max: 0), to: steps)
            if grown.histogram.count > 0 { (lateness.steps, lateness.stepsMax) = (grown.histogram, grown.max) }
        }
        return lateness
    }

    private static func difference(from before: Histogram, to after: Histogram) -> (histogram: LatencyHistogram, max: UInt64) {
        var histogram = LatencyHistogram()
        var top: UInt64 = 0
        let ceiling = after.max > 0 ? after.max : .max
        // Both lists are in order of their buckets: one walk pairs them up.
        var j = 0
        for bucket in after.buckets {
            while j < before.buckets.count && before.buckets[j].lower < bucket.lower { j += 1 }
            let earlier = j < before.buckets.count && before.buckets[j].lower == bucket.lower ? before.buckets[j].count : 0
            let grown = bucket.count &- min(bucket.count, earlier)
            guard grown > 0 else { continue }
            // Recorded at the bucket's top (but not above the server's maximum), so that a
            // percentile reads as the bucket's upper bound, as it does for exact histograms.
            let value = Swift.max(bucket.lower, min(bucket.upper, ceiling))
            histogram.add(bucketContaining: value, count: grown)
            top = Swift.max(top, value)
        }
        return (histogram, top)
    }
}
