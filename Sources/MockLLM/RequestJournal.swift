import MockLLMCore
import MockLLMHTTPServer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The request journal behind `GET /_mockllm/requests`: the last provider requests the server
/// answered, what it answered and how the reply went, so a test can assert what its client
/// really sent (retries, headers, bodies) and a developer can see what an agent did.
///
/// Each worker writes only its own `JournalRing`, so the hot path takes one uncontended lock
/// per request (and one more when a traced reply finishes); only the sequence counter is shared
/// by every worker, one relaxed add per request. A reader on any thread merges the rings.
package final class RequestJournal: Sendable {
    /// Entries kept per server when `--journal-size` is not given.
    package static let defaultCapacity = 1000
    /// A request body is kept up to this many bytes.
    static let bodyLimit = 64 * 1024

    /// Entries kept over all workers (each ring keeps its share, rounded up).
    let capacity: Int
    let rings: [JournalRing]

    /// - Parameters:
    ///   - capacity: entries kept over all workers; must be above 0 (0 means no journal at all).
    ///   - workers: one ring per worker.
    init(capacity: Int, workers: Int) {
        precondition(capacity > 0 && workers > 0)
        self.capacity = capacity
        let counter = SequenceCounter()
        let perRing = (capacity + workers - 1) / workers
        rings = (0..<workers).map { _ in JournalRing(capacity: perRing, counter: counter) }
    }

    /// What a reader sees: every ring's entries merged in sequence order.
    struct Snapshot {
        var entries: [JournalEntry]
        /// Requests journaled since start (or the last clear).
        var total: Int
        /// How many of those the rings no longer hold.
        var dropped: Int
    }

    /// Thread-safe. `newest`: only the newest N entries (each ring copies at most N under its
    /// lock), so a page polling `?limit=40` costs the same with a journal of 1,000 or 100,000.
    func snapshot(newest: Int? = nil) -> Snapshot {
        var merged = Snapshot(entries: [], total: 0, dropped: 0)
        for ring in rings {
            let part = ring.snapshot(newest: newest)
            merged.entries += part.entries
            merged.total += part.total
            merged.dropped += part.dropped
        }
        if rings.count > 1 { merged.entries.sort { $0.sequence < $1.sequence } }
        if let newest, merged.entries.count > newest { merged.entries.removeFirst(merged.entries.count - newest) }
        return merged
    }

    /// Thread-safe: forgets every entry (sequence numbers go on, so `?since=` still works).
    func clear() {
        for ring in rings { ring.clear() }
    }

    /// Thread-safe: forgets the entries of one test scope.
    @discardableResult
    func remove(test: String) -> Int {
        rings.reduce(0) { $0 + $1.remove(test: test) }
    }

    /// Paths of the server's own endpoints, never journaled (also when they answer 404 or 405):
    /// `/health`, `/metrics`, `/models`, `/providers`, `/_mockllm` and everything under it.
    /// Compared as bytes after a look at the second one: this runs for every request.
    static func isServerPath(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { p in
            guard p.count >= 7, p[0] == UInt8(ascii: "/") else { return false }
            func equals(_ literal: StaticString) -> Bool {
                literal.utf8CodeUnitCount == p.count && memcmp(literal.utf8Start, p.baseAddress!, p.count) == 0
            }
            switch p[1] {
            case UInt8(ascii: "_"):
                let prefix: StaticString = "/_mockllm"
                let n = prefix.utf8CodeUnitCount
                return p.count >= n && memcmp(prefix.utf8Start, p.baseAddress!, n) == 0 && (p.count == n || p[n] == UInt8(ascii: "/"))
            case UInt8(ascii: "h"): return equals("/health")
            case UInt8(ascii: "m"): return equals("/metrics") || equals("/models")
            case UInt8(ascii: "p"): return equals("/providers")
            default: return false
            }
        }
    }
}

/// The sequence numbers of a journal: global over workers, from 1.
final class SequenceCounter: Sendable {
    private let value = Atomic<Int>(0)

    func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).newValue }
}

/// One worker's part of the journal: a fixed-size ring written by that worker's loop and read
/// under its lock by whichever thread serves `GET /_mockllm/requests`.
final class JournalRing: Sendable {
    let capacity: Int
    private let counter: SequenceCounter
    private let state: Mutex<Ring>

    private struct Ring {
        /// Grows to `capacity`, then entry `i` (counted since the last clear) is at `i % capacity`.
        var slots: [JournalEntry] = []
        /// Entries written since the last clear (or since a test's entries were removed).
        var written = 0
        /// Entries dropped before the test's entries were last removed, counted in `total`.
        var forgotten = 0
    }

    init(capacity: Int, counter: SequenceCounter) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.counter = counter
        var ring = Ring()
        ring.slots.reserveCapacity(min(capacity, 4096))
        state = Mutex(ring)
    }

    /// Journals a provider request and the reply it got (the server's own endpoints are not
    /// journaled: then 0). Returns the entry's sequence number, to use as the reply's `trace`
    /// so that `finish` can add how the reply went.
    /// `pathModel`: the model named by the path (Gemini's `models/{model}:generateContent`).
    /// `test`: the request's test scope, if it has one.
    /// `webSocket`: the transcript of an upgrading reply's session.
    func record(_ request: HTTPRequest, reply: Reply, provider: String?, pathModel: String? = nil, test: String? = nil,
                webSocket: WebSocketTranscript? = nil) -> Int {
        if RequestJournal.isServerPath(request.path) { return 0 }
        let sequence = counter.next()
        let time = Self.wallClockMilliseconds()
        let stream = switch reply.body {
        case .stream, .pushed: true
        case .bytes, .deferred, .webSocket: false
        }
        let headers = reply.headers, status = reply.status
        // A whole reply's bytes are shared, not copied (one reference): the journal shows what
        // was answered. A stream's text is produced as it goes and is not kept.
        var replyBody: ByteBuffer?
        if case .bytes(let bytes, _) = reply.body, bytes.count <= RequestJournal.bodyLimit { replyBody = bytes }
        // Built in place: a finished entry moved into the ring would cost a copy of each field.
        state.withLock { ring in
            let body = request.body.count <= RequestJournal.bodyLimit ? request.body : Array(request.body.prefix(RequestJournal.bodyLimit))
            let entry = JournalEntry(
                sequence: sequence, unixMilliseconds: time, method: request.method, path: request.path, provider: provider, pathModel: pathModel,
                headers: request.headers, body: body, bodySize: request.body.count, replyHeaders: headers, replyBody: replyBody, status: status,
                stream: stream, test: test, webSocket: webSocket)
            if ring.slots.count < capacity {
                ring.slots.append(entry)
            } else {
                ring.slots[ring.written % capacity] = entry
            }
            ring.written += 1
        }
        return sequence
    }

    /// Adds how a traced reply went to its entry (if the ring still holds it).
    func finish(_ finished: FinishedReply) {
        state.withLock { ring in
            guard ring.written > 0 else { return }
            // Entries are in sequence order from the oldest held: the newest is the usual case.
            var low = ring.written - ring.slots.count, high = ring.written - 1
            if ring.slots[high % capacity].sequence == finished.trace {
                ring.slots[high % capacity].outcome = finished
                return
            }
            while low <= high {
                let mid = (low + high) / 2
                let sequence = ring.slots[mid % capacity].sequence
                if sequence == finished.trace {
                    ring.slots[mid % capacity].outcome = finished
                    return
                }
                if sequence < finished.trace { low = mid + 1 } else { high = mid - 1 }
            }
        }
    }

    /// The entries held (or the newest N of them), oldest first, copied into a new array (sharing
    /// the ring's storage would make the writer copy all of it on its next write).
    func snapshot(newest: Int? = nil) -> RequestJournal.Snapshot {
        state.withLock { ring in
            var entries: [JournalEntry] = []
            let first = ring.written - ring.slots.count
            let from = max(first, ring.written - (newest ?? ring.slots.count))
            entries.reserveCapacity(ring.written - from)
            for i in from..<ring.written { entries.append(ring.slots[i % capacity]) }
            return RequestJournal.Snapshot(entries: entries, total: ring.forgotten + ring.written, dropped: ring.forgotten + first)
        }
    }

    func clear() {
        state.withLock { ring in
            ring.slots.removeAll(keepingCapacity: true)
            ring.written = 0
            ring.forgotten = 0
        }
    }

    /// Forgets the entries of test scope `test`; the others stay, in order. Returns how many went.
    func remove(test: String) -> Int {
        state.withLock { ring in
            let first = ring.written - ring.slots.count
            var kept: [JournalEntry] = []
            kept.reserveCapacity(ring.slots.count)
            for i in first..<ring.written where ring.slots[i % capacity].test != test { kept.append(ring.slots[i % capacity]) }
            let removed = ring.slots.count - kept.count
            guard removed > 0 else { return 0 }
            // The kept entries start the ring again; those it had already dropped stay counted.
            ring.forgotten += first
            ring.written = kept.count
            ring.slots = kept
            return removed
        }
    }

    static func wallClockMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}

/// One journaled request. What the hot path stores is cheap to take (the request's own header
/// and body storage, the reply's header list); the selected headers, the model and the rule are
/// picked out only when the journal is read.
struct JournalEntry: Sendable {
    let sequence: Int
    let unixMilliseconds: Int
    let method: String
    let path: String
    /// The provider that answered; nil for a path no provider serves.
    let provider: String?
    /// The model named by the path, for protocols that put it there rather than in the body.
    let pathModel: String?
    let headers: RequestHeaders
    /// The first `RequestJournal.bodyLimit` bytes of the body.
    let body: [UInt8]
    /// The whole body's size.
    let bodySize: Int
    let replyHeaders: HTTPFields
    /// The reply's body when it was whole bytes of at most `RequestJournal.bodyLimit` (nil for a
    /// stream, a deferred reply, or a bigger body).
    let replyBody: ByteBuffer?
    let status: Int
    let stream: Bool
    /// The request's test scope (`x-mockllm-test`, `/t/ID/`), if it has one.
    var test: String?
    /// How the reply went; nil while it is in progress.
    var outcome: FinishedReply?
    /// A WebSocket session's messages (its reply was a 101); nil for every other reply.
    var webSocket: WebSocketTranscript? = nil

    /// The script's answer as the reply's `x-mockllm-rule` header names it (`rule flaky`,
    /// `responses`, `default`, ...); nil for replies the script did not answer.
    var rule: String? { replyHeaders["x-mockllm-rule"] }

    /// The scripted fault applied to the reply (`x-mockllm-fault`), if any.
    var fault: String? { replyHeaders["x-mockllm-fault"] }

    var bodyTruncated: Bool { bodySize > body.count }

    /// Whether the request carried an API key (its value is never kept in the output).
    var carriesKey: Bool {
        headers.contains("authorization") || headers.contains("x-api-key") || headers.contains("api-key") || headers.contains("x-goog-api-key")
    }

    /// The request headers the journal shows, lower-cased, repeated ones joined with ", ".
    var shownHeaders: [(name: String, value: String)] {
        var shown: [(name: String, value: String)] = []
        for field in headers where Self.shows(field.name) {
            if let k = shown.firstIndex(where: { $0.name == field.name }) {
                shown[k].value += ", " + field.value
            } else {
                shown.append((field.name, field.value))
            }
        }
        return shown
    }

    /// Client identification and the headers a test asserts on; never a credential.
    static func shows(_ name: String) -> Bool {
        switch name {
        case "user-agent", "content-type", "anthropic-version", "anthropic-beta", "openai-beta", "idempotency-key",
             "x-request-id":
            return true
        case "x-mockllm-admin-token":
            return false
        default:
            return name.hasPrefix("x-stainless-") || name.hasPrefix("x-mockllm-")
        }
    }
}
