import MockLLMScript
import Synchronization

/// The Live API's resumable sessions: what a `sessionResumptionUpdate`'s `newHandle` names, so
/// that a client reconnecting with `setup.sessionResumption.handle` continues the conversation.
///
/// The Gemini provider's `ProviderState`: one per server, shared by every worker (a session may
/// resume on another loop than the one it left), kept across script reloads, bounded like the
/// response store (`--response-store-size`: the most recent handles are kept). Touched once per
/// turn, never per audio chunk.
package final class GeminiLiveSessionStore: ProviderState {
    package let capacity: Int

    /// What a handle resumes: the model, the system instruction and the conversation so far.
    struct Entry: Sendable {
        var model: String
        var instructions: String
        var conversation: [ChatMessage]
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var order: [String] = []
        var head = 0
    }

    private let state = Mutex(State())

    package init(capacity: Int = ProviderSettings.defaultStoreCapacity) {
        self.capacity = max(0, capacity)
    }

    package convenience init(settings: ProviderSettings) {
        self.init(capacity: settings.storeCapacity)
    }

    /// Handles kept now.
    package var count: Int { state.withLock { $0.entries.count } }

    func save(_ handle: String, _ entry: Entry) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.entries.updateValue(entry, forKey: handle) == nil { state.order.append(handle) }
            while state.entries.count > capacity, state.head < state.order.count {
                state.entries[state.order[state.head]] = nil
                state.head += 1
            }
            if state.head > capacity {
                state.order.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    func entry(_ handle: String) -> Entry? {
        state.withLock { $0.entries[handle] }
    }
}
