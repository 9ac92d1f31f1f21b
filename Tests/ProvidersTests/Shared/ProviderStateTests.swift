@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import Synchronization
import TestSupport
import Testing

/// A provider's own state: a request counter, to see which instance a handler gets.
private final class Tally: ProviderState {
    let count = Atomic<Int>(0)
    let capacity: Int

    init(settings: ProviderSettings) { capacity = settings.storeCapacity }
}

/// A provider counting its requests in its `Tally`.
private enum Counting: Provider {
    static let metadata = ProviderMetadata(
        name: "counting", version: "0", description: "test",
        endpoints: [Endpoint(method: "POST", path: "/count", handlerName: "count") { _, context in
            let n = context.states[Tally.self].map { $0.count.add(1, ordering: .relaxed).newValue } ?? 0
            return Reply.json(200, ByteBuffer("\(n)"))
        }],
        capabilities: Capabilities(streaming: false, functionCalling: false, vision: false))

    static var stateTypes: [any ProviderState.Type] { [Tally.self] }

    static func errorReply(_ error: APIError, requestID: String) -> Reply { Reply.json(error.status, ByteBuffer()) }
}

/// Another provider naming the same state type: it shares the instance.
private enum AlsoCounting: Provider {
    static let metadata = ProviderMetadata(
        name: "also", version: "0", description: "test", endpoints: [],
        capabilities: Capabilities(streaming: false, functionCalling: false, vision: false))

    static var stateTypes: [any ProviderState.Type] { [Tally.self, OpenAIResponseStore.self] }

    static func errorReply(_ error: APIError, requestID: String) -> Reply { Reply.json(error.status, ByteBuffer()) }
}

@Suite("Provider state")
struct ProviderStateTests {
    @Test func eachTypeIsMadeOncePerServerAndEachProviderSeesWhatItNames() throws {
        let (openAI, anthropic, counting, also) = (ServedProvider(OpenAIChat.self), ServedProvider(AnthropicMessages.self),
                                                   ServedProvider(Counting.self), ServedProvider(AlsoCounting.self))
        let states = ProviderStates(for: [openAI, anthropic, counting, also], settings: ProviderSettings(storeCapacity: 7))
        let store = try #require(states[OpenAIResponseStore.self])
        #expect(store.capacity == 7)
        #expect(states[Tally.self]?.capacity == 7)
        #expect(states.of(openAI)[OpenAIResponseStore.self] === store)
        #expect(states.of(also)[OpenAIResponseStore.self] === store, "a type two providers name is made once")
        #expect(states.of(counting)[Tally.self] === states.of(also)[Tally.self])
        #expect(states.of(anthropic)[OpenAIResponseStore.self] == nil, "a provider sees only what it names")
        #expect(states.of(counting)[OpenAIResponseStore.self] == nil)
        #expect(ProviderStates(for: [anthropic], settings: ProviderSettings())[OpenAIResponseStore.self] == nil)
    }

    /// What the server does with `--workers`: one set of states for every loop's application.
    @Test func applicationsGivenTheSameStatesShareThem() {
        let states = ProviderStates(for: [ServedProvider(Counting.self)], settings: ProviderSettings())
        let first = Application(script: Script(), seed: 1, providers: [Counting.self], states: states)
        let second = Application(script: Script(), seed: 2, providers: [Counting.self], states: states)
        let own = Application(script: Script(), seed: 3, providers: [Counting.self])
        func count(_ app: Application) -> String {
            app.reply(to: HTTPRequest(method: "POST", target: "/count", body: [])).bodyBytes.description
        }
        #expect([count(first), count(second), count(first), count(own)] == ["1", "2", "3", "1"])
        second.script = Script(responses: ["new": "script"])
        #expect(count(second) == "4", "a reloaded script keeps the state")
    }
}
