import MockLLMCore
import MockLLMProviders
import MockLLMScript
import Synchronization

/// The server's test scopes (`x-mockllm-test: ID`, or a `/t/ID/` path prefix), by id: one per
/// server, shared by every worker loop, so a test's requests see the same counts whichever loop
/// serves them. A map and a least-recently-used order under one mutex, taken only by requests
/// that name a scope (and the admin endpoints); a request without one never touches it.
///
/// Bounded: past `limit` scopes the least recently used is dropped (its counts, quota windows,
/// stored responses and script go with it; a request still in progress keeps the object it has).
package final class ScopeRegistry: Sendable {
    /// `--test-scopes` when not given.
    package static let defaultLimit = 10_000
    package static let header = "x-mockllm-test"
    package static let maxIDLength = 128

    /// Scopes kept; the least recently used is dropped past it.
    package let limit: Int
    /// What a scope's provider states are made with (`--response-store-size`).
    let settings: ProviderSettings
    private let state = Mutex(LRU())
    private let evictions = Atomic<Int>(0)

    package init(limit: Int = ScopeRegistry.defaultLimit, settings: ProviderSettings = ProviderSettings()) {
        self.limit = max(1, limit)
        self.settings = settings
    }

    /// The scope `id`, made if it is not kept, and now the most recently used.
    package func scope(_ id: String) -> TestScope {
        let (scope, evicted) = state.withLock { lru -> (TestScope, Bool) in
            if let slot = lru.index[id] {
                lru.touch(slot)
                return (lru.nodes[slot].scope!, false)
            }
            let scope = TestScope(id: id)
            lru.insert(scope)
            if lru.index.count > limit {
                lru.removeOldest()
                return (scope, true)
            }
            return (scope, false)
        }
        if evicted { evictions.wrappingAdd(1, ordering: .relaxed) }
        return scope
    }

    /// The scope `id` if it is kept, without making it or changing the order.
    package func existing(_ id: String) -> TestScope? {
        state.withLock { lru in lru.index[id].flatMap { lru.nodes[$0].scope } }
    }

    /// Drops the scope `id`; false if it was not kept.
    @discardableResult
    package func drop(_ id: String) -> Bool {
        state.withLock { lru in
            guard let slot = lru.index[id] else { return false }
            lru.remove(slot)
            return true
        }
    }

    /// Every scope kept, the most recently used first.
    package var scopes: [TestScope] {
        state.withLock { lru in
            var out: [TestScope] = []
            out.reserveCapacity(lru.index.count)
            var slot = lru.newest
            while slot >= 0 {
                out.append(lru.nodes[slot].scope!)
                slot = lru.nodes[slot].older
            }
            return out
        }
    }

    package var count: Int { state.withLock { $0.index.count } }

    /// Scopes dropped for the limit since the server started.
    package var evicted: Int { evictions.load(ordering: .relaxed) }

    // MARK: Naming a scope

    /// Why a request's scope id is refused.
    package struct InvalidID: Error, Sendable, Equatable {
        package var message: String
    }

    /// A scope id is 1 to 128 characters that need no escaping in a URL path segment:
    /// `A-Z a-z 0-9 . _ ~ -`, and neither `.` nor `..`.
    package static func check(_ id: Substring, from source: String) throws(InvalidID) {
        let valid = !id.isEmpty && id.utf8.count <= maxIDLength && id != "." && id != ".."
            && id.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "~") || b == UInt8(ascii: "-")
            }
        guard !valid else { return }
        let shown = id.count > 40 ? String(id.prefix(37)) + "..." : String(id)
        throw InvalidID(message: "Invalid test scope id '\(shown.headerSafe)' (\(source)): use 1 to \(maxIDLength) of the characters "
            + "A-Z a-z 0-9 . _ ~ - (not '.' or '..').")
    }

    /// Whether a request may name a scope: an `x-mockllm-test` field or a path under `/t/`, as
    /// the parser noted. All that a request without a scope pays: one load.
    @inline(__always)
    static func mayName(_ request: HTTPRequest) -> Bool {
        request.mayNameTestScope
    }

    static func hasPrefix(_ path: String) -> Bool { HTTPRequest.isScopePath(path) }

    /// `path` without a `/t/ID` prefix (whatever the id), for choosing an error's shape.
    static func unprefixed(_ path: String) -> String {
        guard hasPrefix(path) else { return path }
        let rest = path.dropFirst(3)
        return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
    }

    /// The scope a request names and the request as the router sees it (the `/t/ID` prefix
    /// taken off its path); nil scope: it names none.
    /// - Throws: an id that is not one, or a header and a path prefix naming different scopes.
    static func named(by request: HTTPRequest) throws(InvalidID) -> (id: String?, request: HTTPRequest) {
        var request = request
        var fromPath: Substring?
        let path = request.path
        if hasPrefix(path) {
            let rest = path.dropFirst(3)
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let id = rest[..<slash]
            try check(id, from: "path prefix /t/ID/")
            fromPath = id
            request = request.with(path: slash == rest.endIndex ? "/" : String(rest[slash...]))
        }
        if request.headers.namesTestScope, let value = request.headers[Self.header] {
            let id = Substring(value)
            try check(id, from: "header \(Self.header)")
            if let fromPath, fromPath != id {
                throw InvalidID(message: "The \(Self.header) header names test scope '\(id)' and the path prefix "
                    + "/t/\(fromPath)/ another: name one, or the same in both.")
            }
            return (String(id), request)
        }
        guard let fromPath else { return (nil, request) }
        // Named by the path alone: the request carries the header too, so everything that
        // reads the test id (fixture matching, recording, the journal) sees one form.
        return (String(fromPath), request.adding(header: Self.header, String(fromPath)))
    }
}

/// The scopes in least-recently-used order: a doubly linked list threaded through an array of
/// nodes by index (no allocation per touch), with freed slots reused.
private struct LRU {
    struct Node {
        var scope: TestScope?
        var id = ""
        /// Slots of the next more and less recently used scopes; -1: none.
        var newer = -1
        var older = -1
    }

    var index: [String: Int] = [:]
    var nodes: [Node] = []
    var free: [Int] = []
    var newest = -1
    var oldest = -1

    mutating func insert(_ scope: TestScope) {
        let node = Node(scope: scope, id: scope.id)
        let slot: Int
        if let reused = free.popLast() {
            slot = reused
            nodes[slot] = node
        } else {
            slot = nodes.count
            nodes.append(node)
        }
        index[scope.id] = slot
        link(slot)
    }

    mutating func touch(_ slot: Int) {
        guard slot != newest else { return }
        unlink(slot)
        link(slot)
    }

    mutating func remove(_ slot: Int) {
        unlink(slot)
        index[nodes[slot].id] = nil
        nodes[slot] = Node()
        free.append(slot)
    }

    mutating func removeOldest() {
        if oldest >= 0 { remove(oldest) }
    }

    /// Makes `slot` the newest.
    private mutating func link(_ slot: Int) {
        nodes[slot].older = newest
        nodes[slot].newer = -1
        if newest >= 0 { nodes[newest].newer = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let (newer, older) = (nodes[slot].newer, nodes[slot].older)
        if newer >= 0 { nodes[newer].older = older } else { newest = older }
        if older >= 0 { nodes[older].newer = newer } else { oldest = newer }
        nodes[slot].newer = -1
        nodes[slot].older = -1
    }
}
