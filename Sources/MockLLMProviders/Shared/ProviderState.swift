/// State a provider keeps for the life of a server rather than of a script: OpenAI's stored
/// responses, a batch API's jobs, a cloud front door's deployments. A provider names the types it
/// needs (`Provider.stateTypes`); the server makes one instance of each type per server, shares
/// it between every worker loop (so it must be safe to use from several threads at once) and
/// keeps it across script reloads; a handler finds it in `context.states`.
package protocol ProviderState: AnyObject, Sendable {
    init(settings: ProviderSettings)
}

/// The server settings a provider's state is made with.
package struct ProviderSettings: Sendable {
    package static let defaultStoreCapacity = 1000

    /// `--response-store-size`: how many objects a provider's store keeps (OpenAI's stored
    /// responses); 0 keeps none.
    package var storeCapacity: Int

    package init(storeCapacity: Int = ProviderSettings.defaultStoreCapacity) {
        self.storeCapacity = storeCapacity
    }
}

/// Provider states, one instance per type: a server's (every provider's), or the part of it one
/// provider's handlers see (the types it names).
package struct ProviderStates: Sendable {
    private let states: [any ProviderState]

    package init(_ states: [any ProviderState] = []) {
        self.states = states
    }

    /// One instance of each type the providers name, made with `settings`; a type two providers
    /// name is made once and shared.
    package init(for providers: [ServedProvider], settings: ProviderSettings) {
        var states: [any ProviderState] = []
        for provider in providers {
            for type in provider.stateTypes where !states.contains(where: { Swift.type(of: $0) == type }) {
                states.append(type.init(settings: settings))
            }
        }
        self.init(states)
    }

    /// The states `provider` names.
    package func of(_ provider: ServedProvider) -> ProviderStates {
        ProviderStates(states.filter { state in provider.stateTypes.contains { $0 == Swift.type(of: state) } })
    }

    /// The instance of `State`, if this set has one.
    package subscript<State: ProviderState>(_ type: State.Type) -> State? {
        for state in states {
            if let match = state as? State { return match }
        }
        return nil
    }
}
