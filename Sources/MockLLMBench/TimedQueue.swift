/// Items due at increasing times, taken from the front (a ring would do; a head index is enough).
struct TimedQueue<Item> {
    private var items: [(item: Item, due: UInt64)] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }

    mutating func append(_ item: Item, at due: UInt64) {
        items.append((item, due))
    }

    /// The first item if its time has come. Items are appended in order of time, except that a
    /// back-off may land before the end of a ramp-up; it then waits behind it, which is harmless.
    mutating func popFirst(dueBy now: UInt64) -> Item? {
        guard head < items.count, items[head].due <= now else { return nil }
        defer {
            head += 1
            if head == items.count {
                items.removeAll(keepingCapacity: true)
                head = 0
            }
        }
        return items[head].item
    }

    mutating func removeAll() {
        items.removeAll()
        head = 0
    }
}
