import Synchronization

/// `quotas:`: requests and tokens allowed per window, per API key (or for everyone), counted
/// in fixed windows that start with a key's first request. Shared by every worker; a reload
/// starts the counts again.
package final class Quota: Sendable {
    package let requestsPerWindow: Int?
    package let tokensPerWindow: Int?
    package let windowNanoseconds: UInt64
    /// Counted per API key (`per: key`, the default) or for everyone (`per: global`).
    package let perKey: Bool
    private let windows = Mutex<[String: Window]>([:])

    struct Window {
        var start: UInt64
        var requests = 0
        var tokens = 0
    }

    /// Where a key stands after a request was admitted or refused.
    package struct Standing: Sendable, Equatable {
        package var requestLimit: Int?
        package var requestsRemaining: Int
        package var tokenLimit: Int?
        package var tokensRemaining: Int
        /// Nanoseconds until the window ends and both counts are whole again.
        package var resetNanoseconds: UInt64
    }

    package init(requestsPerWindow: Int?, tokensPerWindow: Int?, windowNanoseconds: UInt64 = 60_000_000_000, perKey: Bool = true) {
        self.requestsPerWindow = requestsPerWindow
        self.tokensPerWindow = tokensPerWindow
        self.windowNanoseconds = windowNanoseconds
        self.perKey = perKey
    }

    /// Counts a request for `key` at monotonic time `now`, if the window has room for it
    /// (requests left, and tokens left for at least its prompt); nil standing means admitted.
    /// Returns the standing after counting it, and whether it was refused.
    package func admit(key: String, promptTokens: Int, now: UInt64) -> (standing: Standing, refused: Bool) {
        windows.withLock { admit(key: key, promptTokens: promptTokens, now: now, in: &$0) }
    }

    /// Adds a reply's completion tokens to `key`'s window; the standing afterwards.
    package func charge(key: String, completionTokens: Int, now: UInt64) -> Standing {
        windows.withLock { charge(key: key, completionTokens: completionTokens, now: now, in: &$0) }
    }

    /// `admit` counted in `windows` (a test scope's own, or this quota's).
    func admit(key: String, promptTokens: Int, now: UInt64, in windows: inout [String: Window]) -> (standing: Standing, refused: Bool) {
        let id = perKey ? key : ""
        var window = windows[id] ?? Window(start: now)
        if now &- window.start >= windowNanoseconds { window = Window(start: now) }
        let requestsFull = requestsPerWindow.map { window.requests >= $0 } ?? false
        let tokensFull = tokensPerWindow.map { window.tokens + promptTokens > $0 } ?? false
        let refused = requestsFull || tokensFull
        if !refused {
            window.requests += 1
            window.tokens += promptTokens
        }
        windows[id] = window
        return (standing(window, now: now), refused)
    }

    /// `charge` counted in `windows`.
    func charge(key: String, completionTokens: Int, now: UInt64, in windows: inout [String: Window]) -> Standing {
        let id = perKey ? key : ""
        var window = windows[id] ?? Window(start: now)
        window.tokens += completionTokens
        windows[id] = window
        return standing(window, now: now)
    }

    private func standing(_ window: Window, now: UInt64) -> Standing {
        let elapsed = now &- window.start
        return Standing(
            requestLimit: requestsPerWindow, requestsRemaining: max(0, (requestsPerWindow ?? 0) - window.requests),
            tokenLimit: tokensPerWindow, tokensRemaining: max(0, (tokensPerWindow ?? 0) - window.tokens),
            resetNanoseconds: elapsed >= windowNanoseconds ? 0 : windowNanoseconds - elapsed)
    }
}
