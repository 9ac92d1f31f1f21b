/// An element of a `DeadlineHeap`. It keeps its own place in the heap, which is what makes
/// rescheduling and cancelling O(log n): no search. The heap alone writes it.
protocol DeadlineHeapElement: AnyObject {
    /// The element's index in the heap's storage; -1 when it is in none. Start it at -1.
    var deadlineHeapIndex: Int { get set }
}

/// A binary min-heap of elements keyed by a deadline (`UInt64`, e.g. monotonic nanoseconds).
/// Each element is in it at most once; scheduling one already in it moves it.
///
/// Deadlines are stored beside their elements, so sifting compares without touching the element
/// objects (10,000 streams: the heap stays in cache, the objects need not). Elements with equal
/// deadlines come out in no particular order.
///
/// It lives in the module of the element it serves, so the compiler specializes it: used from
/// another module (even `@inlinable` with `package` access) it ran unspecialized, through
/// generic metadata, at about ten times the instructions per operation.
struct DeadlineHeap<Element: DeadlineHeapElement> {
    private struct Entry {
        var deadline: UInt64
        let element: Element
    }

    private var entries: [Entry] = []

    init() {}

    var count: Int { entries.count }

    var isEmpty: Bool { entries.isEmpty }

    /// The element due first and its deadline.
    var first: (deadline: UInt64, element: Element)? {
        entries.first.map { ($0.deadline, $0.element) }
    }

    /// The deadline `element` is scheduled for, or nil.
    func deadline(of element: Element) -> UInt64? {
        let i = element.deadlineHeapIndex
        guard i >= 0, i < entries.count, entries[i].element === element else { return nil }
        return entries[i].deadline
    }

    /// Schedules `element` for `deadline`, or moves it there if it is scheduled already.
    mutating func schedule(_ element: Element, at deadline: UInt64) {
        let i = element.deadlineHeapIndex
        if i >= 0 {
            let old = entries[i].deadline
            entries[i].deadline = deadline
            if deadline < old { siftUp(i) } else { siftDown(i) }
        } else {
            element.deadlineHeapIndex = entries.count
            entries.append(Entry(deadline: deadline, element: element))
            siftUp(entries.count - 1)
        }
    }

    /// Takes `element` out; nothing happens if it is not scheduled.
    mutating func cancel(_ element: Element) {
        let i = element.deadlineHeapIndex
        guard i >= 0 else { return }
        element.deadlineHeapIndex = -1
        let last = entries.removeLast()
        guard i < entries.count else { return }
        entries[i] = last
        last.element.deadlineHeapIndex = i
        siftDown(i)
        siftUp(last.element.deadlineHeapIndex)
    }

    /// Takes out and returns the element due first.
    mutating func popFirst() -> (deadline: UInt64, element: Element)? {
        guard let first = entries.first else { return nil }
        cancel(first.element)
        return (first.deadline, first.element)
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        let item = entries[i]
        while i > 0 {
            let parent = (i - 1) / 2
            guard item.deadline < entries[parent].deadline else { break }
            entries[i] = entries[parent]
            entries[i].element.deadlineHeapIndex = i
            i = parent
        }
        entries[i] = item
        item.element.deadlineHeapIndex = i
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        let item = entries[i]
        let n = entries.count
        while true {
            var child = 2 * i + 1
            guard child < n else { break }
            if child + 1 < n && entries[child + 1].deadline < entries[child].deadline { child += 1 }
            guard entries[child].deadline < item.deadline else { break }
            entries[i] = entries[child]
            entries[i].element.deadlineHeapIndex = i
            i = child
        }
        entries[i] = item
        item.element.deadlineHeapIndex = i
    }
}
