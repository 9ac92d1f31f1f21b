/// What one stream's reads have counted and timed so far, shared by `StreamClient` and
/// `RealtimeClient`: the events not yet counted go to the run's count as each read is scanned
/// (so the progress line and the chart see a long stream's events while it runs), and its new
/// token events are timed: the first from the request written (TTFT), each later read that
/// carries some from the previous one (ITL), and 0 for further token events of the same read.
struct TokenTiming {
    private var timedTokens = 0
    private var countedEvents = 0
    private var lastTokenAt: UInt64 = 0

    mutating func reset() {
        timedTokens = 0
        countedEvents = 0
    }

    /// Called once per read with the stream's tally after it, the read's time and when the
    /// request was written.
    mutating func record(_ tally: StreamTally, at now: UInt64, writtenAt: UInt64, into metrics: inout BenchMetrics) {
        metrics.events += tally.events - countedEvents
        countedEvents = tally.events
        let new = tally.tokenEvents - timedTokens
        guard new > 0 else { return }
        metrics.tokens += new
        if timedTokens == 0 {
            metrics.recordTTFT(now &- writtenAt)
        } else {
            metrics.recordITL(now &- lastTokenAt)
        }
        metrics.recordITL(0, count: new - 1)
        timedTokens = tally.tokenEvents
        lastTokenAt = now
    }
}
