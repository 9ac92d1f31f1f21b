/// The loop's schedule: which connection is due next (a stream's next event or a delayed reply),
/// with one precise timer for the whole loop instead of a timer per connection.
///
/// A binary min-heap on deadline; each connection knows its place in it (`queueIndex`), so
/// rescheduling and cancelling (a client that goes away) cost O(log n). When the timer fires,
/// every connection already due is served in one pass, earliest first, re-reading the clock as
/// it goes so events that fall due meanwhile are written in the same pass.
final class DeadlineQueue {
    private var heap: [Connection] = []
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
        if connection.queueIndex >= 0 {
            let old = connection.queueDeadline
            connection.queueDeadline = deadline
            if deadline < old { siftUp(connection.queueIndex) } else { siftDown(connection.queueIndex) }
        } else {
            connection.queueDeadline = deadline
            connection.queueIndex = heap.count
            heap.append(connection)
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
        last.queueIndex = i
        siftDown(i)
        siftUp(last.queueIndex)
    }

    private func arm(_ deadline: UInt64) {
        armedFor = deadline
        timer.arm(at: deadline)
    }

    private func fire() {
        armedFor = .max
        firing = true
        defer { firing = false }
        var now = EventLoop.hrtime
        var served = 0
        while let first = heap.first, served < Self.passLimit {
            if first.queueDeadline > now {
                now = EventLoop.hrtime
                if first.queueDeadline > now { break }
            }
            cancel(first)
            served += 1
            first.deadlineReached()
        }
        if let first = heap.first { arm(first.queueDeadline) }
    }

    private func siftUp(_ start: Int) {
        var i = start
        let item = heap[i]
        while i > 0 {
            let parent = (i - 1) / 2
            guard item.queueDeadline < heap[parent].queueDeadline else { break }
            heap[i] = heap[parent]
            heap[i].queueIndex = i
            i = parent
        }
        heap[i] = item
        item.queueIndex = i
    }

    private func siftDown(_ start: Int) {
        var i = start
        let item = heap[i]
        let n = heap.count
        while true {
            var child = 2 * i + 1
            guard child < n else { break }
            if child + 1 < n && heap[child + 1].queueDeadline < heap[child].queueDeadline { child += 1 }
            guard heap[child].queueDeadline < item.queueDeadline else { break }
            heap[i] = heap[child]
            heap[i].queueIndex = i
            i = child
        }
        heap[i] = item
        item.queueIndex = i
    }
}
