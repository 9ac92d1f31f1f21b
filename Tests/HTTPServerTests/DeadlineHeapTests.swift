@testable import MockLLMHTTPServer
import MockLLMSimulation
import Testing

/// A scheduled thing: what a connection is to the loop's deadline queue.
private final class Item: DeadlineHeapElement, CustomStringConvertible {
    let id: Int
    var deadlineHeapIndex = -1
    init(_ id: Int) { self.id = id }
    var description: String { "#\(id)" }
}

private extension DeadlineHeap where Element == Item {
    /// Pops everything: (deadline, id) in the order the heap gives them.
    mutating func drain() -> [(deadline: UInt64, id: Int)] {
        var out: [(UInt64, Int)] = []
        while let popped = popFirst() {
            #expect(popped.element.deadlineHeapIndex == -1, "a popped element no longer has a place")
            out.append((popped.deadline, popped.element.id))
        }
        return out
    }
}

@Suite("Deadline heap")
struct DeadlineHeapTests {
    @Test func popsInDeadlineOrder() {
        var heap = DeadlineHeap<Item>()
        let deadlines: [UInt64] = [50, 10, 40, 30, 20, 60, 0, 35]
        let items = deadlines.indices.map(Item.init)
        for (item, deadline) in zip(items, deadlines) { heap.schedule(item, at: deadline) }
        #expect(heap.count == 8)
        #expect(heap.first?.deadline == 0)
        #expect(heap.first?.element === items[6])
        #expect(heap.drain().map(\.deadline) == deadlines.sorted())
        #expect(heap.isEmpty)
        #expect(heap.popFirst() == nil)
    }

    @Test func reschedulingEarlierMovesAnElementToTheFront() {
        var heap = DeadlineHeap<Item>()
        let items = (0..<10).map(Item.init)
        for item in items { heap.schedule(item, at: UInt64(100 + item.id * 10)) }
        heap.schedule(items[9], at: 5)
        #expect(heap.count == 10, "rescheduling does not add a second entry")
        #expect(heap.first?.element === items[9])
        #expect(heap.deadline(of: items[9]) == 5)
        #expect(heap.drain().map(\.id) == [9, 0, 1, 2, 3, 4, 5, 6, 7, 8])
    }

    @Test func reschedulingLaterMovesAnElementBack() {
        var heap = DeadlineHeap<Item>()
        let items = (0..<10).map(Item.init)
        for item in items { heap.schedule(item, at: UInt64(100 + item.id * 10)) }
        heap.schedule(items[0], at: 1_000)
        heap.schedule(items[4], at: 155)  // later, but not last
        #expect(heap.count == 10)
        #expect(heap.first?.element === items[1])
        #expect(heap.drain().map(\.id) == [1, 2, 3, 5, 4, 6, 7, 8, 9, 0])
    }

    @Test func reschedulingToTheSameDeadlineChangesNothing() {
        var heap = DeadlineHeap<Item>()
        let items = (0..<5).map(Item.init)
        for item in items { heap.schedule(item, at: UInt64(item.id)) }
        heap.schedule(items[2], at: 2)
        #expect(heap.drain().map(\.id) == [0, 1, 2, 3, 4])
    }

    /// Every place in the heap: the root, inner nodes, leaves and the last slot.
    @Test(arguments: 0..<31)
    func cancellingAnyPositionKeepsTheRestInOrder(position: Int) {
        var heap = DeadlineHeap<Item>()
        let items = (0..<31).map(Item.init)
        // Deadlines in a scrambled order, so the heap's layout is not just the insertion order.
        for item in items { heap.schedule(item, at: UInt64((item.id * 17) % 31)) }
        guard let victim = items.first(where: { $0.deadlineHeapIndex == position }) else {
            Issue.record("no element at position \(position)")
            return
        }
        let deadline = heap.deadline(of: victim)
        heap.cancel(victim)
        #expect(victim.deadlineHeapIndex == -1)
        #expect(heap.deadline(of: victim) == nil)
        #expect(heap.count == 30)
        let rest = heap.drain()
        #expect(rest.map(\.deadline) == (0..<31).map(UInt64.init).filter { $0 != deadline })
        #expect(!rest.contains { $0.id == victim.id })
    }

    @Test func cancellingWhatIsNotScheduledDoesNothing() {
        var heap = DeadlineHeap<Item>()
        let scheduled = Item(1)
        let stranger = Item(2)
        heap.schedule(scheduled, at: 10)
        heap.cancel(stranger)
        heap.cancel(scheduled)
        heap.cancel(scheduled)
        #expect(heap.isEmpty)
        #expect(stranger.deadlineHeapIndex == -1)
        heap.schedule(scheduled, at: 20)
        #expect(heap.first?.deadline == 20, "a cancelled element can be scheduled again")
    }

    @Test func equalDeadlinesAllComeOut() {
        var heap = DeadlineHeap<Item>()
        let items = (0..<20).map(Item.init)
        for item in items { heap.schedule(item, at: UInt64(item.id % 3)) }
        let out = heap.drain()
        #expect(out.map(\.deadline) == items.map { UInt64($0.id % 3) }.sorted())
        #expect(Set(out.map(\.id)) == Set(0..<20))
    }

    /// Schedules, reschedules (earlier and later), cancels and pops at random, checking after
    /// each step that the earliest deadline and every element's deadline agree with a plain
    /// dictionary, and at the end that popping everything gives the reference's sorted order.
    @Test(arguments: [1, 2, 3, 42, 2024] as [UInt64])
    func randomOperationsAgreeWithASortedReference(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var heap = DeadlineHeap<Item>()
        let items = (0..<200).map(Item.init)
        var reference: [Int: UInt64] = [:]  // id -> deadline, for what is scheduled
        for step in 0..<5_000 {
            let item = items[Int(random.next() % UInt64(items.count))]
            switch random.next() % 10 {
            case 0..<5:  // schedule, or reschedule anywhere: earlier, later or the same
                let deadline = random.next() % 10_000
                heap.schedule(item, at: deadline)
                reference[item.id] = deadline
            case 5..<7:
                heap.cancel(item)
                reference[item.id] = nil
            default:
                let popped = heap.popFirst()
                let earliest = reference.values.min()
                #expect(popped?.deadline == earliest, "step \(step)")
                if let popped {
                    #expect(reference[popped.element.id] == popped.deadline, "step \(step)")
                    reference[popped.element.id] = nil
                }
            }
            #expect(heap.count == reference.count, "step \(step)")
            #expect(heap.first?.deadline == reference.values.min(), "step \(step)")
            if step % 250 == 0 {
                for candidate in items {
                    #expect(heap.deadline(of: candidate) == reference[candidate.id], "step \(step), \(candidate)")
                }
            }
        }
        let out = heap.drain()
        #expect(out.map(\.deadline) == reference.values.sorted())
        #expect(Set(out.map(\.id)) == Set(reference.keys))
    }
}
