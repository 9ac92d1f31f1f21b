import MockLLMLoop

/// The loop's schedule: which connection is due next (a stream's next event or a delayed reply),
/// with one precise timer for the whole loop instead of a timer per connection.
///
/// A binary min-heap on deadline; each connection knows its place in it (`queueIndex`), so
/// rescheduling and cancelling (a client that goes away) cost O(log n). When the timer fires,
/// every connection already due is served in one pass, earliest first, re-reading the clock as
/// it goes so events that fall due meanwhile are written in the same pass.
final class DeadlineQueue {
    /// Deadlines are kept beside their connections so sifting compares without touching the
    /// connection objects (10,000 streams: the heap stays in cache, the objects need not).
    private struct Entry {
        var deadline: UInt64
        let connection: Connection
    }

    private var heap: [Entry] = []
    private var timer: PreciseTimer!
    /// The deadline the timer is armed for (`.max`: not armed).
    private var armedFor = UInt64.max
    /// Serving a pass: the timer is armed once at its end, not per reschedule.
    private var firing = false
    /// Connections served in one pass at most, so a flood of due work cannot starve reads.
    static let passLimit = 4096

    init(loop: EventLoop) {
        timer = PreciseTimer(loop: loop) { [unowned self] in self.fire() }
        timer.unref()  // connections keep the loop alive, not their schedule
    }

    var count: Int { heap.count }

    func close() { timer.close() }

    /// Schedules (or reschedules) `connection` for `deadline`, monotonic nanoseconds.
    func schedule(_ connection: Connection, at deadline: UInt64) {
        let i = connection.queueIndex
        if i >= 0 {
            let old = heap[i].deadline
            heap[i].deadline = deadline
            if deadline < old { siftUp(i) } else { siftDown(i) }
        } else {
            connection.queueIndex = heap.count
            heap.append(Entry(deadline: deadline, connection: connection))
            siftUp(heap.count - 1)
        }
        if deadline < armedFor && !firing { arm(deadline) }
    }

    func cancel(_ connection: Connection) {
        let i = connection.queueIndex
        guard i >= 0 else { return }
        connection.queueIndex = -1
        let last = heap.removeLast()
        guard i < heap.count else { return }
        heap[i] = last
        last.connection.queueIndex = i
        siftDown(i)
        siftUp(last.connection.queueIndex)
    }

    /// Arms the timer for `deadline`; 0 disarms it.
    private func arm(_ deadline: UInt64) {
        armedFor = deadline == 0 ? .max : deadline
        timer.arm(at: deadline)
    }

    private func fire() {
        armedFor = .max
        firing = true
        defer { firing = false }
        var now = EventLoop.hrtime
        var served = 0
        while let first = heap.first, served < Self.passLimit {
            if first.deadline > now {
                now = EventLoop.hrtime
                if first.deadline > now { break }
            }
            cancel(first.connection)
            served += 1
            first.connection.deadlineReached(first.deadline)
        }
        // Re-arming (or disarming) also clears the timer's expiry, so it need not be read.
        arm(heap.first?.deadline ?? 0)
    }

    private func siftUp(_ start: Int) {
        var i = start
        let item = heap[i]
        while i > 0 {
            let parent = (i - 1) / 2
            guard item.deadline < heap[parent].deadline else { break }
            heap[i] = heap[parent]
            heap[i].connection.queueIndex = i
            i = parent
        }
        heap[i] = item
        item.connection.queueIndex = i
    }

    private func siftDown(_ start: Int) {
        var i = start
        let item = heap[i]
        let n = heap.count
        while true {
            var child = 2 * i + 1
            guard child < n else { break }
            if child + 1 < n && heap[child + 1].deadline < heap[child].deadline { child += 1 }
            guard heap[child].deadline < item.deadline else { break }
            heap[i] = heap[child]
            heap[i].connection.queueIndex = i
            i = child
        }
        heap[i] = item
        item.connection.queueIndex = i
    }
}
