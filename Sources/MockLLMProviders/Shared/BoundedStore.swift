import Synchronization

/// Values kept by key for the life of a server, shared by every worker loop: the most recent
/// `capacity` are kept and the oldest is forgotten first; a capacity of 0 keeps none. What a
/// provider's `ProviderState` stores (OpenAI's stored responses, Gemini Live's resumable
/// sessions) is kept in one.
final class BoundedStore<Value: Sendable>: Sendable {
    let capacity: Int
    private let state = Mutex(State())

    private struct State {
        var values: [String: Value] = [:]
        /// Keys in the order they were saved; `head` is the oldest still counted. Keys removed
        /// since stay until eviction passes them.
        var order: [String] = []
        var head = 0
    }

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// Values kept now.
    var count: Int { state.withLock { $0.values.count } }

    func save(_ key: String, _ value: Value) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.values.updateValue(value, forKey: key) == nil { state.order.append(key) }
            while state.values.count > capacity, state.head < state.order.count {
                state.values[state.order[state.head]] = nil
                state.head += 1
            }
            if state.head > capacity {  // drop the passed keys now and then, not on every save
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    func value(_ key: String) -> Value? {
        state.withLock { $0.values[key] }
    }

    /// Forgets a value; false when it was not kept.
    func remove(_ key: String) -> Bool {
        state.withLock { $0.values.removeValue(forKey: key) != nil }
    }
}
