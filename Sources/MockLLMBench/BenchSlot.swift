/// What a slot of the load is doing.
enum BenchSlotPhase {
    case idle, connecting, active
}

/// One slot of the load, as the runner drives it: one stream (or session) at a time.
protocol BenchSlot: AnyObject {
    var phase: BenchSlotPhase { get }
    /// When the runner started the stream in progress (for `--timeout`).
    var startedAt: UInt64 { get }
    func start(at now: UInt64)
    /// Ends the stream in progress, if any, as failed.
    func cut(_ failure: BenchFailure, at now: UInt64)
    func closeConnection()
}
