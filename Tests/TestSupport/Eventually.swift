import Foundation
import Testing

/// Waiting in tests: for something another thread or process does (a loop publishing its
/// counters, the server noticing a reset or reloading its script, a process draining), poll it
/// until it has happened instead of sleeping for a guessed time.
///
/// A condition that holds returns at the first poll after it does, so a wait costs what the
/// server takes and no more; the deadline is generous because the machine may be busy, and it
/// only turns a hang into a failure: it is never a measure of speed.
package enum Eventually {
    /// The default deadline, in seconds.
    package static let timeout: Double = 10
    /// Between two polls: short, so a wait ends soon after its condition holds.
    package static let pollInterval: Double = 0.01
}

/// Polls `condition` until it holds. After `timeout` seconds without it, records a failure at
/// the caller's line naming `what` was awaited, and throws (the rest of the test would only
/// report the consequences).
package func eventually(
    _ what: @autoclosure () -> String, timeout: Double = Eventually.timeout,
    sourceLocation: SourceLocation = #_sourceLocation, _ condition: () throws -> Bool
) throws {
    _ = try poll(what(), timeout: timeout, sourceLocation: sourceLocation, sample: condition, until: { $0 }, show: { _ in nil })
}

/// Takes `sample` until `done` accepts it and returns that sample, to check further. After
/// `timeout` seconds, records a failure at the caller's line naming `what` was awaited and
/// showing the last sample, and throws.
///
/// When a test expects an exact count, `done` waits for the count to be reached (`>=`) and the
/// test then checks it is exactly that: a count that overshoots fails at once, by its value.
@discardableResult
package func eventually<T>(
    _ what: @autoclosure () -> String, timeout: Double = Eventually.timeout,
    sourceLocation: SourceLocation = #_sourceLocation, _ sample: () throws -> T, until done: (T) throws -> Bool
) throws -> T {
    try poll(what(), timeout: timeout, sourceLocation: sourceLocation, sample: sample, until: done, show: { "\($0)" })
}

private func poll<T>(
    _ what: @autoclosure () -> String, timeout: Double, sourceLocation: SourceLocation,
    sample: () throws -> T, until done: (T) throws -> Bool, show: (T) -> String?
) throws -> T {
    let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
    while true {
        let value = try sample()
        if try done(value) { return value }
        if ContinuousClock.now >= deadline {
            let last = show(value).map { "; last seen: \($0)" } ?? ""
            let heldInTime = false
            try #require(heldInTime, "not within \(timeout) s: \(what())\(last)", sourceLocation: sourceLocation)
        }
        Thread.sleep(forTimeInterval: Eventually.pollInterval)
    }
}
