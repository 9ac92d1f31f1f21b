import MockLLMCore
import Synchronization

/// Which fault a request gets: the one its `x-mockllm-fault` header asks for, else the
/// answering rule's `fault:`, else the first of the global `faults:` whose conditions hold,
/// whose scenario is active, and whose schedule fires.
extension Script {
    package static let faultHeader = "x-mockllm-fault"
    static let scenarioHeader = "x-mockllm-scenario"

    package struct AppliedFault: Sendable {
        /// The fault's name (`header` for one asked for by the header).
        package var name: String
        package var action: Fault.Action
    }

    /// - Parameters:
    ///   - key: the API key the request sends ("" none), for schedules counted per key.
    ///   - rule: the fault of the rule that answered, if any.
    ///   - scope: the request's test scope, whose counts the schedules use (nil: the faults' own).
    /// - Throws: the header's value, explained, when it is not a fault.
    package func fault(for input: MatchInput, key: String, rule: Fault?, scope: TestScope? = nil) throws(FaultHeaderError) -> AppliedFault? {
        if let header = input.headers[Self.faultHeader] {
            return AppliedFault(name: "header", action: try FaultHeader.parse(header))
        }
        func next(_ fault: Fault) -> Fault.Action? {
            if let scope { return scope.next(fault, key: key, in: self) }
            return fault.next(key: key)
        }
        if let rule, let action = next(rule) { return AppliedFault(name: rule.name, action: action) }
        guard !faults.isEmpty else { return nil }
        let active = input.headers[Self.scenarioHeader] ?? scenario.active
        for fault in faults where fault.scenario == nil || fault.scenario == active {
            guard evaluate(fault.conditions, input).failure == nil else { continue }
            if let action = next(fault) { return AppliedFault(name: fault.name, action: action) }
        }
        return nil
    }
}

package struct FaultHeaderError: Error, Sendable {
    package var message: String
}

/// `x-mockllm-fault: <fault>[:<number>]`: `429` (any 4xx/5xx status), `context_length`,
/// `stall` (forever) or `stall:<ms>` (after the first event), `disconnect:<events>`,
/// `reset:<events>`, `truncate:<events>`, `malformed:<events>`, `error:<events>`,
/// `content_filter:<events>` (the output filtered for `hate`), `slow_first_token:<ms>`.
package enum FaultHeader {
    package static func parse(_ value: String) throws(FaultHeaderError) -> Fault.Action {
        let parts = value.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        let name = parts.first ?? ""
        let number: Int? = parts.count > 1 ? Int(parts[1]) : nil
        if parts.count > 1 && (number == nil || number! < 0) {
            throw FaultHeaderError(message: "x-mockllm-fault: '\(parts[1])' is not a whole number, 0 or more")
        }
        if let status = Int(name) {
            guard (400...599).contains(status) else {
                throw FaultHeaderError(message: "x-mockllm-fault: \(status) is not an HTTP error status (400-599)")
            }
            return .error(.statusOnly(status))
        }
        let events = number ?? 1
        switch name {
        case "context_length": return .contextLength
        case "stall": return .stream(StreamFault(after: 1, cut: .stall(nanoseconds: number.map { UInt64($0) * 1_000_000 })))
        case "disconnect": return .stream(StreamFault(after: events, cut: .disconnect))
        case "reset": return .stream(StreamFault(after: events, cut: .reset))
        case "truncate": return .stream(StreamFault(after: events, cut: .truncate))
        case "malformed": return .stream(StreamFault(after: events, cut: .malformed))
        case "error": return .stream(StreamFault(after: events, cut: .error(type: nil, message: "The server had an error while processing your request.")))
        case "content_filter": return .stream(StreamFault(after: events, cut: .contentFilter(category: "hate")))
        case "slow_first_token": return .stream(StreamFault(firstTokenDelay: UInt64(number ?? 1000) * 1_000_000))
        default:
            throw FaultHeaderError(message: "x-mockllm-fault: unknown fault '\(name)' (known: a status such as 429, context_length, "
                + "stall, disconnect, reset, truncate, malformed, error, content_filter, slow_first_token)")
        }
    }
}

/// The active scenario: `settings.scenario` at load, switched at run time by the admin API.
/// Shared by every worker.
package final class ScenarioSwitch: Sendable {
    private let current: Mutex<String?>

    package init(_ initial: String?) {
        current = Mutex(initial)
    }

    package var active: String? {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}
