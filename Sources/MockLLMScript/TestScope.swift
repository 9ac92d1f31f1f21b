import Synchronization

/// One test's own state (`x-mockllm-test: ID` or a `/t/ID/` path prefix): the use counts of
/// rules (`times:`, sequences, `{{count}}`), the fault schedules' counts, the quota windows, an
/// optional script of its own tried before the server's, and what the providers keep for it
/// (the Responses API's stored responses). Shared by every worker loop; everything it holds is
/// behind one mutex, taken only by requests of this scope.
///
/// Counts are kept by the identity of the rule, fault or quota in the script the scope answers
/// from (`effective(over:)`), which the scope holds: a new server script (a reload) or a new
/// scope script starts them all again, as a reload does for requests without a scope.
package final class TestScope: Sendable {
    /// The scope's id, as the request named it.
    package let id: String
    private let state = Mutex(State())

    private struct State {
        /// `PUT /_mockllm/tests/ID/script`: its rules, responses, faults and quotas.
        var own: Script?
        /// The server script the counts belong to, and the script answered from: the server's
        /// alone, or `own` layered on it.
        var base: Script?
        var effective: Script?
        var ruleCounts: [ObjectIdentifier: Int] = [:]
        var faultCounts: [FaultKey: Int] = [:]
        var injected: [ObjectIdentifier: Int] = [:]
        var quotaWindows: [String: Quota.Window] = [:]
        /// What the providers keep for this scope, made on first use.
        var attachment: (any Sendable)?

        mutating func resetCounts() {
            ruleCounts = [:]
            faultCounts = [:]
            injected = [:]
            quotaWindows = [:]
        }
    }

    private struct FaultKey: Hashable {
        var fault: ObjectIdentifier
        var key: String
    }

    package init(id: String) {
        self.id = id
    }

    /// The script this scope's requests are answered from while `server` is the server's: the
    /// server's itself, or the scope's own layered on it. A server script other than the last
    /// one seen starts every count again.
    package func effective(over server: Script) -> Script {
        state.withLock { state in
            if let effective = state.effective, state.base === server { return effective }
            state.base = server
            state.effective = state.own.map { server.layered(under: $0) } ?? server
            state.resetCounts()
            return state.effective!
        }
    }

    /// Sets (or, nil, removes) the scope's own script; every count starts again.
    package func setScript(_ script: Script?) {
        state.withLock { state in
            state.own = script
            state.base = nil
            state.effective = nil
            state.resetCounts()
        }
    }

    /// The scope's own script, if it has one.
    package var script: Script? { state.withLock { $0.own } }

    /// Counts one answer of `rule` of `script`; returns the new count (from 1). A script the
    /// scope no longer answers from (a request that began before a reload) counts nothing.
    func nextCount(of rule: Rule, in script: Script) -> Int {
        state.withLock { state in
            guard state.effective === script else { return 1 }
            let id = ObjectIdentifier(rule.counter)
            let n = (state.ruleCounts[id] ?? 0) + 1
            state.ruleCounts[id] = n
            return n
        }
    }

    /// Counts one matching request for `fault`'s schedule; returns its action, if the schedule
    /// gives it one.
    func next(_ fault: Fault, key: String, in script: Script) -> Fault.Action? {
        let count: Int = state.withLock { state in
            guard state.effective === script else { return 1 }
            let slot = FaultKey(fault: ObjectIdentifier(fault), key: fault.perKey ? key : "")
            let n = (state.faultCounts[slot] ?? 0) + 1
            state.faultCounts[slot] = n
            return n
        }
        let chosen = fault.action(forCount: count)
        if chosen != nil {
            state.withLock { state in
                if state.effective === script { state.injected[ObjectIdentifier(fault), default: 0] += 1 }
            }
        }
        return chosen
    }

    /// How many requests of this scope `fault` has hit, and how many its schedule counted.
    package func counts(of fault: Fault) -> (injected: Int, counted: Int) {
        state.withLock { state in
            let id = ObjectIdentifier(fault)
            return (state.injected[id] ?? 0, state.faultCounts.reduce(0) { $1.key.fault == id ? $0 + $1.value : $0 })
        }
    }

    /// Starts the fault schedules and their counts again (`DELETE /_mockllm/faults?test=ID`).
    package func resetFaults() {
        state.withLock { state in
            state.faultCounts = [:]
            state.injected = [:]
        }
    }

    /// `quota.admit` counted in this scope's windows.
    package func admit(_ quota: Quota, key: String, promptTokens: Int, now: UInt64) -> (standing: Quota.Standing, refused: Bool) {
        state.withLock { quota.admit(key: key, promptTokens: promptTokens, now: now, in: &$0.quotaWindows) }
    }

    /// `quota.charge` counted in this scope's windows.
    package func charge(_ quota: Quota, key: String, completionTokens: Int, now: UInt64) -> Quota.Standing {
        state.withLock { quota.charge(key: key, completionTokens: completionTokens, now: now, in: &$0.quotaWindows) }
    }

    /// What a provider layer keeps for this scope, made by `make` on first use.
    package func attachment<Value: Sendable>(_ make: () -> Value) -> Value {
        state.withLock { state in
            if let value = state.attachment as? Value { return value }
            let value = make()
            state.attachment = value
            return value
        }
    }
}

extension Script {
    /// A test scope's script on top of this one: its rules first, then these; its responses
    /// over these; its faults first, then these; its quota instead of this one's, if it has one.
    /// Everything else (settings, models, pacing, engines, declared providers) is this script's.
    package func layered(under own: Script) -> Script {
        Script(
            responses: own.responses.isEmpty ? responses : responses.merging(own.responses) { $1 }, defaultReply: defaultReply,
            rules: own.rules + rules, pacing: pacing, onMiss: onMiss, origin: origin, models: models, strictModels: strictModels,
            autoTools: autoTools, faults: own.faults + faults, scenario: scenario, quota: own.quota ?? quota, providers: providers,
            engines: engines, timeScale: timeScale, deployments: deployments)
    }
}
