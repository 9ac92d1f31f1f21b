import MockLLMCore
import Synchronization

/// The Responses API's stored responses (`store: true`, the default): what `GET` and `DELETE
/// /v1/responses/{id}`, `GET .../input_items` and `previous_response_id` find.
///
/// The OpenAI provider's `ProviderState`: one per server, shared by every worker (a response
/// created on one loop is found by a request served on another), and kept across script reloads.
/// Bounded: the most recent `capacity` responses are kept (`--response-store-size`) and the
/// oldest is forgotten first; a capacity of 0 keeps none.
package final class OpenAIResponseStore: ProviderState {
    package let capacity: Int
    private let state = Mutex(State())

    /// What is kept of one response.
    struct Entry: Sendable {
        /// The response object, as `GET /v1/responses/{id}` returns it.
        var body: ByteBuffer
        /// The request's own input items, each with an id.
        var input: [OpenAIResponseItem]
        /// Every turn so far: the previous response's conversation, this input, this output.
        /// Instructions are not part of it (the API does not carry them over).
        var conversation: [OpenAIResponseItem]
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Ids in the order they were saved; `head` is the oldest still counted. Ids deleted
        /// since stay until eviction passes them.
        var order: [String] = []
        var head = 0
    }

    package init(capacity: Int = ProviderSettings.defaultStoreCapacity) {
        self.capacity = max(0, capacity)
    }

    package convenience init(settings: ProviderSettings) {
        self.init(capacity: settings.storeCapacity)
    }

    /// Responses kept now.
    package var count: Int { state.withLock { $0.entries.count } }

    func save(_ id: String, _ entry: Entry) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.entries.updateValue(entry, forKey: id) == nil { state.order.append(id) }
            while state.entries.count > capacity, state.head < state.order.count {
                state.entries[state.order[state.head]] = nil
                state.head += 1
            }
            if state.head > capacity {  // drop the passed ids now and then, not on every save
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    func entry(_ id: String) -> Entry? {
        state.withLock { $0.entries[id] }
    }

    /// Forgets a response; false when it was not kept.
    func remove(_ id: String) -> Bool {
        state.withLock { $0.entries.removeValue(forKey: id) != nil }
    }
}

extension ProviderContext {
    /// The server's stored responses (nil: none are kept).
    var responseStore: OpenAIResponseStore? { states[OpenAIResponseStore.self] }
}
