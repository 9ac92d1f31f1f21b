import MockLLMCore
import MockLLMHTTPServer
import Synchronization

/// Where the workers' counters meet. Each loop keeps its own `LoopServer.Stats` without locks
/// and copies them here now and then (every 100 ms, and when it answers `/_mockllm/stats`);
/// a reader merges the copies. Off the hot path: one lock per publish, not per event.
final class StatsBoard: Sendable {
    private let slots: Mutex<[LoopServer.Stats]>
    /// What `GET /metrics` adds to these counters: the workers' shared Prometheus metrics.
    let metrics: ServerMetrics

    init(workers: Int) {
        slots = Mutex(Array(repeating: LoopServer.Stats(), count: workers))
        metrics = ServerMetrics(workers: workers)
    }

    var workers: Int { slots.withLock { $0.count } }

    func publish(_ stats: LoopServer.Stats, from worker: Int) {
        slots.withLock { $0[worker] = stats }
    }

    /// Every worker's latest copy.
    func perWorker() -> [LoopServer.Stats] { slots.withLock { $0 } }

    /// Every worker's latest copy, added up.
    func merged() -> LoopServer.Stats {
        slots.withLock { slots in
            var total = LoopServer.Stats()
            for stats in slots { total.merge(stats) }
            return total
        }
    }
}

/// The body of `GET /_mockllm/stats`: cumulative counters since start, so a client diffs two
/// readings (`mockllm bench` does). Lateness is in nanoseconds: `lateness_ns` of every timed
/// write, `step_lateness_ns` of the engine steps (how late a loop began writing a step's
/// tokens); `buckets` lists the non-empty histogram buckets as `[lowest, highest, count]`;
/// `by_worker` shows how the kernel spread connections over the loops.
enum StatsReport {
    static func json(_ stats: LoopServer.Stats, perWorker: [LoopServer.Stats]) -> ByteBuffer {
        var out = ByteBuffer()
        func field(_ name: String, _ value: Int, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(jsonString: name)
            out.append(UInt8(ascii: ":"))
            out.append(decimal: value)
        }
        func histogram(_ name: String, _ h: LatencyHistogram) {
            out.append(UInt8(ascii: ","))
            out.append(jsonString: name)
            out.append(ascii: ":{")
            field("count", Int(h.count), first: true)
            field("sum", Int(clamping: h.sum))
            field("min", h.count == 0 ? 0 : Int(h.min))
            field("max", Int(h.max))
            field("p50", Int(h.percentile(0.5)))
            field("p90", Int(h.percentile(0.9)))
            field("p99", Int(h.percentile(0.99)))
            field("p999", Int(h.percentile(0.999)))
            out.append(ascii: ",\"buckets\":[")
            for (i, bucket) in h.nonEmptyBuckets.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                out.append(UInt8(ascii: "["))
                out.append(decimal: Int(bucket.lower))
                out.append(UInt8(ascii: ","))
                out.append(decimal: Int(bucket.upper))
                out.append(UInt8(ascii: ","))
                out.append(decimal: Int(bucket.count))
                out.append(UInt8(ascii: "]"))
            }
            out.append(ascii: "]}")
        }
        out.append(UInt8(ascii: "{"))
        field("workers", perWorker.count, first: true)
        out.append(ascii: ",\"connections\":{")
        field("accepted", stats.acceptedConnections, first: true)
        field("open", stats.openConnections)
        out.append(UInt8(ascii: "}"))
        field("requests", stats.requests)
        out.append(ascii: ",\"streams\":{")
        field("started", stats.streamsStarted, first: true)
        field("completed", stats.streamsCompleted)
        field("aborted", stats.streamsAborted)
        field("open", max(0, stats.streamsStarted - stats.streamsCompleted - stats.streamsAborted))
        field("backpressure_pauses", stats.streamsPaused)
        out.append(UInt8(ascii: "}"))
        out.append(ascii: ",\"websockets\":{")
        field("opened", stats.webSocketsOpened, first: true)
        field("closed", stats.webSocketsClosed)
        field("open", stats.openWebSockets)
        field("messages_in", stats.webSocketMessagesIn)
        field("messages_out", stats.webSocketMessagesOut)
        out.append(UInt8(ascii: "}"))
        field("events", stats.events)
        histogram("lateness_ns", stats.lateness)
        histogram("step_lateness_ns", stats.stepLateness)
        out.append(ascii: ",\"by_worker\":[")
        for (i, worker) in perWorker.enumerated() {
            out.append(ascii: i == 0 ? "{" : ",{")
            field("connections", worker.acceptedConnections, first: true)
            field("requests", worker.requests)
            field("events", worker.events)
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "]}")
        return out
    }
}
