/// A histogram of durations in nanoseconds with bounded relative error, cheap enough to record
/// every stream event: log-linear buckets (HdrHistogram's layout), 32 per power of two, so a
/// reported percentile is within 1/32 (about 3 %) of the true value. Values 0..<32 ns are exact.
///
/// Plain value type, owned by one thread; threads merge copies (`merge`). Values above
/// `maximumTracked` (about 4.9 hours) are counted in the top bucket; `max` stays exact.
public struct LatencyHistogram: Sendable, Equatable {
    static let subBucketBits = 5
    static let subBuckets = 1 << subBucketBits  // 32
    static let maximumExponent = 44  // 2^44 ns ~ 4.9 h
    static let bucketCount = (maximumExponent - subBucketBits + 2) * subBuckets
    public static let maximumTracked: UInt64 = (1 << UInt64(maximumExponent + 1)) - 1

    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sum: UInt64 = 0
    public private(set) var min: UInt64 = .max
    public private(set) var max: UInt64 = 0

    public init() {
        counts = Array(repeating: 0, count: Self.bucketCount)
    }

    /// Bucket of a value: exact below 32, else 32 sub-buckets per power of two.
    @inline(__always)
    static func bucket(of value: UInt64) -> Int {
        let v = value > maximumTracked ? maximumTracked : value
        if v < UInt64(subBuckets) { return Int(v) }
        let exponent = 63 - v.leadingZeroBitCount  // >= 5
        let shift = exponent - subBucketBits
        let sub = Int((v >> UInt64(shift)) & UInt64(subBuckets - 1))
        return (shift + 1) * subBuckets + sub
    }

    /// The smallest value that lands in `bucket`.
    static func lowerBound(of bucket: Int) -> UInt64 {
        if bucket < subBuckets { return UInt64(bucket) }
        let shift = bucket / subBuckets - 1
        let sub = UInt64(bucket % subBuckets)
        return (UInt64(subBuckets) | sub) << UInt64(shift)
    }

    /// The largest value that lands in `bucket`.
    static func upperBound(of bucket: Int) -> UInt64 {
        if bucket < subBuckets { return UInt64(bucket) }
        let shift = bucket / subBuckets - 1
        return lowerBound(of: bucket) + (UInt64(1) << UInt64(shift)) - 1
    }

    @inline(__always)
    public mutating func record(_ value: UInt64) {
        counts[Self.bucket(of: value)] &+= 1
        count &+= 1
        sum &+= value
        if value < min { min = value }
        if value > max { max = value }
    }

    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        for i in counts.indices where other.counts[i] != 0 { counts[i] &+= other.counts[i] }
        count &+= other.count
        sum &+= other.sum
        if other.min < min { min = other.min }
        if other.max > max { max = other.max }
    }

    public mutating func reset() { self = LatencyHistogram() }

    /// The value at quantile `q` (0...1): the upper bound of the bucket holding it, never more
    /// than the exact maximum. 0 when empty.
    public func percentile(_ q: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = Swift.max(UInt64(1), UInt64((q * Double(count)).rounded(.up)))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c != 0 {
            seen += c
            if seen >= rank { return Swift.min(Self.upperBound(of: i), max) }
        }
        return max
    }

    /// The value at quantile `q` of what was recorded since `earlier`, an earlier copy of this
    /// same histogram: the difference of the two is walked in place, so a reader can follow a
    /// live histogram interval by interval (`mockllm bench`'s per-second chart) without a second
    /// histogram on the recording path. nil when nothing was recorded since. Capped by the exact
    /// maximum of the whole histogram (the interval's own is not known).
    public func percentile(_ q: Double, since earlier: LatencyHistogram) -> UInt64? {
        guard count > earlier.count else { return nil }
        let rank = Swift.max(UInt64(1), UInt64((q * Double(count - earlier.count)).rounded(.up)))
        var seen: UInt64 = 0
        for i in counts.indices {
            let grown = counts[i] &- earlier.counts[i]
            guard grown != 0 else { continue }
            seen += grown
            if seen >= rank { return Swift.min(Self.upperBound(of: i), max) }
        }
        return max
    }

    public var mean: Double { count == 0 ? 0 : Double(sum) / Double(count) }

    /// Non-empty buckets as (lower bound, upper bound, count), in order: the wire form of
    /// `/_mockllm/stats`, from which a reader can diff two snapshots.
    public var nonEmptyBuckets: [(lower: UInt64, upper: UInt64, count: UInt64)] {
        counts.enumerated().compactMap { i, c in c == 0 ? nil : (Self.lowerBound(of: i), Self.upperBound(of: i), c) }
    }

    /// Adds counts read back from `nonEmptyBuckets` (e.g. parsed from `/_mockllm/stats`).
    public mutating func add(bucketContaining value: UInt64, count n: UInt64) {
        guard n > 0 else { return }
        counts[Self.bucket(of: value)] &+= n
        count &+= n
        sum &+= value &* n
        if value < min { min = value }
        if value > max { max = value }
    }
}
