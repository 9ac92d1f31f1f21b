import Synchronization

/// A scripted misbehaviour: an HTTP error, a context-length refusal, or a stream that stalls,
/// is cut, or goes wrong after some events; with a schedule saying which requests get it.
/// Declared globally (`faults:`), on a rule (`fault:`), or asked for by a request
/// (`x-mockllm-fault`). docs/FAULTS.md has the reference.
package final class Fault: Sendable {
    package enum Action: Sendable, Equatable {
        case error(RuleError)
        /// 400 "maximum context length", in the provider's words.
        case contextLength
        case stream(StreamFault)
    }

    package enum Schedule: Sendable, Equatable {
        case always
        /// The first N matching requests.
        case first(Int)
        /// Every Nth matching request (the Nth, 2Nth, ...).
        case every(Int)
        /// Matching requests in turn: an action, or nil for "ok"; past the end, ok.
        case sequence([Action?])
        /// Each matching request with this probability, decided by the seed and the count.
        case rate(Double, seed: UInt64)
    }

    package let name: String
    package let conditions: [Condition]
    package let action: Action?
    package let schedule: Schedule
    /// Schedules count per API key (`per: key`) rather than for everyone.
    package let perKey: Bool
    /// Active only while this scenario is (`scenario:`).
    package let scenario: String?
    private let counts = Mutex<[String: Int]>([:])
    private let injectedCount = Atomic<Int>(0)

    package init(name: String, conditions: [Condition] = [], action: Action?, schedule: Schedule = .always,
                perKey: Bool = false, scenario: String? = nil) {
        self.name = name
        self.conditions = conditions
        self.action = action
        self.schedule = schedule
        self.perKey = perKey
        self.scenario = scenario
    }

    /// Counts one matching request (for `key` when counting per key) and returns the action its
    /// schedule gives it, if any.
    func next(key: String) -> Action? {
        let count = counts.withLock { counts in
            let n = (counts[perKey ? key : ""] ?? 0) + 1
            counts[perKey ? key : ""] = n
            return n
        }
        let chosen = action(forCount: count)
        if chosen != nil { injectedCount.wrappingAdd(1, ordering: .relaxed) }
        return chosen
    }

    /// The action the schedule gives the `count`th matching request (from 1), if any.
    func action(forCount count: Int) -> Action? {
        switch schedule {
        case .always: action
        case .first(let n): count <= n ? action : nil
        case .every(let n): count % n == 0 ? action : nil
        case .sequence(let steps): count <= steps.count ? steps[count - 1] : nil
        case .rate(let p, let seed): Self.unit(seed, count) < p ? action : nil
        }
    }

    /// How many requests this fault has hit since the script was loaded (or the last reset).
    package var injected: Int { injectedCount.load(ordering: .relaxed) }

    /// Matching requests counted by the schedule, over every key.
    package var counted: Int { counts.withLock { $0.values.reduce(0, +) } }

    /// Starts the schedule and the count again (the admin API's `DELETE /_mockllm/faults`).
    package func reset() {
        counts.withLock { $0.removeAll() }
        injectedCount.store(0, ordering: .relaxed)
    }

    /// A number in [0, 1) fixed by the seed and the count (SplitMix64), so a rate gives the same
    /// requests the fault on every run, whichever worker counts them.
    static func unit(_ seed: UInt64, _ count: Int) -> Double {
        var z = seed &+ UInt64(count) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}

/// What a stream fault does: after `after` events, stall, close, reset, end early, send a
/// malformed event or an error event, or end as a content filter stops the output; and/or delay
/// the first token.
package struct StreamFault: Sendable, Equatable {
    package enum Cut: Sendable, Equatable {
        /// Wait this long (nil: forever, until the client gives up or the stream time limit).
        case stall(nanoseconds: UInt64?)
        /// Close the connection (FIN) without ending the body.
        case disconnect
        /// Reset the connection (RST).
        case reset
        /// End the body properly but without the protocol's last events (`[DONE]`, `message_stop`).
        case truncate
        /// One event that is not valid JSON, then the rest of the stream.
        case malformed
        /// The protocol's mid-stream error event, then the end of the body.
        /// `type` nil: the provider's own type for a server error.
        case error(type: String?, message: String)
        /// The output filtered as a content filter stops it: OpenAI's chat stream (and Azure's,
        /// with `content_filter_results` flagging `category`) ends with `finish_reason:
        /// content_filter`; other protocols send their mid-stream error event of type
        /// `content_filter`.
        case contentFilter(category: String)

        /// The output categories Azure's content filter can stop a completion for.
        package static let filterCategories = ["hate", "sexual", "violence", "self_harm", "protected_material_text", "protected_material_code"]
    }

    /// Events written before the cut (the first is OpenAI's role chunk, Anthropic's `message_start`).
    package var after: Int
    package var cut: Cut?
    /// Added to the time to first token.
    package var firstTokenDelay: UInt64

    package init(after: Int = 0, cut: Cut? = nil, firstTokenDelay: UInt64 = 0) {
        self.after = after
        self.cut = cut
        self.firstTokenDelay = firstTokenDelay
    }
}
