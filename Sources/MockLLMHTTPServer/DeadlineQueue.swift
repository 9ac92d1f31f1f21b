import MockLLMLoop

/// The loop's schedule: which connection is due next (a stream's next event or a delayed reply),
/// with one precise timer for the whole loop instead of a timer per connection.
///
/// A `DeadlineHeap` of connections (each knows its place, so rescheduling and cancelling a
/// client that goes away cost O(log n)) and a `PreciseTimer` armed for its earliest deadline.
/// When the timer fires, every connection already due is served in one pass, earliest first,
/// re-reading the clock as it goes so events that fall due meanwhile are written in the same pass.
final class DeadlineQueue {
    private var heap = DeadlineHeap<Connection>()
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
        heap.schedule(connection, at: deadline)
        if deadline < armedFor && !firing { arm(deadline) }
    }

    func cancel(_ connection: Connection) {
        heap.cancel(connection)
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
            heap.cancel(first.element)
            served += 1
            first.element.deadlineReached(first.deadline)
        }
        // Re-arming (or disarming) also clears the timer's expiry, so it need not be read.
        arm(heap.first?.deadline ?? 0)
    }
}
