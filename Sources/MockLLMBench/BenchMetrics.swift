import MockLLMCore

/// Why a stream failed.
package enum BenchFailure: Hashable, Sendable, Comparable {
    /// The connection could not be made.
    case connect
    /// The response status was not 200.
    case status(Int)
    /// Bad HTTP framing, an event that is not well-formed, or a body that ended without the
    /// stream's end marker.
    case malformed
    /// The stream sent an error event (a fault's, a gateway's or the model's).
    case errorEvent
    /// The stream took longer than `--timeout`.
    case timeout
    /// The connection ended in the middle of the response.
    case closedEarly
    /// Still running when the drain time after `--duration` ran out.
    case cutAtEnd

    /// Its name in reports.
    package var name: String {
        switch self {
        case .connect: "connect"
        case .status(let code): "http \(code)"
        case .malformed: "malformed stream"
        case .errorEvent: "error event"
        case .timeout: "timeout"
        case .closedEarly: "closed early"
        case .cutAtEnd: "cut at end"
        }
    }
}

/// What the load generator counts while it runs: touched on the loop thread only, once per
/// read or per token event, so recording is a histogram increment.
struct BenchMetrics {
    var started = 0
    var completed = 0
    /// Rate mode: starts that fell due while every slot was busy and never happened.
    var missedStarts = 0
    var failures: [BenchFailure: Int] = [:]
    /// Events and token events, counted per read as they arrive.
    var events = 0
    var tokens = 0
    var bytes = 0
    var ttft = LatencyHistogram()
    var itl = LatencyHistogram()
    var ttftError = LatencyHistogram()
    var itlError = LatencyHistogram()
    let configuredTTFT: UInt64?
    let configuredITL: UInt64?

    init(configuredTTFT: UInt64?, configuredITL: UInt64?) {
        self.configuredTTFT = configuredTTFT
        self.configuredITL = configuredITL
    }

    mutating func recordTTFT(_ ns: UInt64) {
        ttft.record(ns)
        if let configuredTTFT { ttftError.record(Self.distance(ns, configuredTTFT)) }
    }

    /// `count` intervals of `ns` (several token events in one read are `ns`, then 0, 0, ...).
    mutating func recordITL(_ ns: UInt64, count: Int = 1) {
        guard count > 0 else { return }
        if count == 1 { itl.record(ns) } else { itl.add(bucketContaining: ns, count: UInt64(count)) }
        guard let configuredITL else { return }
        let error = Self.distance(ns, configuredITL)
        if count == 1 { itlError.record(error) } else { itlError.add(bucketContaining: error, count: UInt64(count)) }
    }

    mutating func recordFailure(_ failure: BenchFailure) {
        failures[failure, default: 0] += 1
    }

    private static func distance(_ a: UInt64, _ b: UInt64) -> UInt64 { a > b ? a - b : b - a }
}
