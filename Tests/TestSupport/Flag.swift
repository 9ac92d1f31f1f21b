import Synchronization

/// A flag one thread sets and others read: "stop", "done". Setting it publishes what the
/// setter wrote before; reading it sees that once it reads true.
package final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    package init() {}

    package var isSet: Bool { value.load(ordering: .acquiring) }

    package func set() { value.store(true, ordering: .releasing) }
}
