/// An engine's waiting requests (their slots), in the order the scheduling policy admits them:
/// first come first served (a ring, a preempted request back at its front), or by (`priority`,
/// arrival), lower first, as vLLM's `PriorityRequestQueue` (a binary heap; a preempted request
/// goes back to its place by the same key, as vLLM's `prepend_request` does there).
struct WaitingQueue {
    /// A waiting request's order under the priority policy.
    struct Key: Comparable {
        var priority: Int
        var arrival: UInt64

        static func < (a: Key, b: Key) -> Bool { (a.priority, a.arrival) < (b.priority, b.arrival) }
    }

    let policy: EngineSchedulingPolicy
    private var ring = RingQueue<Int>()
    private var heap: [(key: Key, slot: Int)] = []

    init(policy: EngineSchedulingPolicy) {
        self.policy = policy
    }

    var first: Int? {
        switch policy {
        case .fcfs: ring.first
        case .priority: heap.first?.slot
        }
    }

    /// A new request.
    mutating func append(_ slot: Int, key: Key) {
        switch policy {
        case .fcfs: ring.append(slot)
        case .priority: push(slot, key)
        }
    }

    /// A preempted request, next in line (FCFS) or in its place (priority).
    mutating func prepend(_ slot: Int, key: Key) {
        switch policy {
        case .fcfs: ring.prepend(slot)
        case .priority: push(slot, key)
        }
    }

    @discardableResult
    mutating func popFirst() -> Int? {
        switch policy {
        case .fcfs: return ring.popFirst()
        case .priority: return pop()
        }
    }

    private mutating func push(_ slot: Int, _ key: Key) {
        heap.append((key, slot))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].key < heap[parent].key else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> Int? {
        guard !heap.isEmpty else { return nil }
        let top = heap[0].slot
        let last = heap.removeLast()
        guard !heap.isEmpty else { return top }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].key < heap[smallest].key { smallest = left }
            if right < heap.count, heap[right].key < heap[smallest].key { smallest = right }
            guard smallest != parent else { return top }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
