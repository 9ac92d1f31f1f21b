import MockLLMCore

/// The Responses API's stored responses (`store: true`, the default): what `GET` and `DELETE
/// /v1/responses/{id}`, `GET .../input_items` and `previous_response_id` find.
///
/// The OpenAI provider's `ProviderState`: one per server, shared by every worker (a response
/// created on one loop is found by a request served on another), and kept across script reloads.
/// Bounded: the most recent `capacity` responses are kept (`--response-store-size`) and the
/// oldest is forgotten first; a capacity of 0 keeps none.
package final class OpenAIResponseStore: ProviderState {
    private let entries: BoundedStore<Entry>

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

    package init(capacity: Int = ProviderSettings.defaultStoreCapacity) {
        entries = BoundedStore(capacity: capacity)
    }

    package convenience init(settings: ProviderSettings) {
        self.init(capacity: settings.storeCapacity)
    }

    package var capacity: Int { entries.capacity }

    /// Responses kept now.
    package var count: Int { entries.count }

    func save(_ id: String, _ entry: Entry) { entries.save(id, entry) }

    func entry(_ id: String) -> Entry? { entries.value(id) }

    /// Forgets a response; false when it was not kept.
    func remove(_ id: String) -> Bool { entries.remove(id) }
}

extension ProviderContext {
    /// The server's stored responses (nil: none are kept).
    var responseStore: OpenAIResponseStore? { states[OpenAIResponseStore.self] }
}
