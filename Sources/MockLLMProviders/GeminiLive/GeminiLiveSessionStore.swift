import MockLLMScript

/// The Live API's resumable sessions: what a `sessionResumptionUpdate`'s `newHandle` names, so
/// that a client reconnecting with `setup.sessionResumption.handle` continues the conversation.
///
/// The Gemini provider's `ProviderState`: one per server, shared by every worker (a session may
/// resume on another loop than the one it left), kept across script reloads, bounded like the
/// response store (`--response-store-size`: the most recent handles are kept). Touched once per
/// turn, never per audio chunk.
package final class GeminiLiveSessionStore: ProviderState {
    private let entries: BoundedStore<Entry>

    /// What a handle resumes: the model, the system instruction and the conversation so far.
    struct Entry: Sendable {
        var model: String
        var instructions: String
        var conversation: [ChatMessage]
    }

    package init(capacity: Int = ProviderSettings.defaultStoreCapacity) {
        entries = BoundedStore(capacity: capacity)
    }

    package convenience init(settings: ProviderSettings) {
        self.init(capacity: settings.storeCapacity)
    }

    /// Handles kept now.
    package var count: Int { entries.count }

    func save(_ handle: String, _ entry: Entry) { entries.save(handle, entry) }

    func entry(_ handle: String) -> Entry? { entries.value(handle) }
}
