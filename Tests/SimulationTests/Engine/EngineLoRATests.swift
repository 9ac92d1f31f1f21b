@testable import MockLLMSimulation
import Testing

/// LoRA adapter slots in the engine: at most `maxLoras` adapters per step, a blocked request
/// passed over (not blocking the queue), LRU eviction of idle adapters, and the load time.
@Suite("Engine: LoRA adapters")
struct EngineLoRATests {
    func loraProfile(maxLoras: Int, loadMs: Double = 0, seqs: Int = 256, budget: Int = 8192) -> EngineProfile {
        var p = profile(seqs: seqs, budget: budget, prefixCaching: false)
        p.maxLoras = maxLoras
        p.loraLoadMs = loadMs
        return p
    }

    func request(_ id: Int, adapter: Int, prompt: Int = 32, output: Int = 4) -> EngineRequest {
        EngineRequest(id: id, promptTokens: prompt, outputTokens: output, adapter: adapter)
    }

    /// With one slot, requests for two adapters alternate in runs: the second adapter's requests
    /// wait until every request of the first has finished, then the slot swaps.
    @Test func oneSlotRunsOneAdapterAtATime() {
        var engine = Engine(profile: loraProfile(maxLoras: 1))
        for id in 1...4 { #expect(engine.submit(request(id, adapter: id % 2 == 1 ? 1 : 2)) == .accepted) }
        let first = engine.nextStep()!
        // Requests 1 and 3 (adapter 1) run; 2 and 4 (adapter 2) are passed over.
        #expect(first.admitted == [1, 3])
        #expect(first.adapters == [1])
        #expect(first.loadedAdapters == [1])
        #expect(engine.runningAdapters == [1: 2])
        #expect(engine.waitingAdapters == [2: 2])
        let steps = [first] + drain(&engine)
        let swap = steps.firstIndex { $0.admitted == [2, 4] }!
        #expect(steps[swap].loadedAdapters == [2])
        #expect(steps[swap].evictedAdapters == [1])
        // Adapter 1's requests finished before the swap.
        let finished = steps[..<swap].flatMap(\.finished)
        #expect(Set(finished) == [1, 3])
        #expect(engine.runningAdapters.isEmpty && engine.waitingAdapters.isEmpty)
        #expect(engine.adapterLoads == 2 && engine.adapterEvictions == 1)
    }

    /// A request passed over for its adapter keeps its place: base-model requests and requests
    /// of a loaded adapter behind it run at once (vLLM's `skipped_waiting_requests`), and it is
    /// first in line when the slot frees.
    @Test func aBlockedRequestIsPassedOverNotInTheWay() {
        var engine = Engine(profile: loraProfile(maxLoras: 1))
        #expect(engine.submit(request(1, adapter: 1, output: 10)) == .accepted)
        _ = engine.nextStep()
        #expect(engine.submit(request(2, adapter: 2)) == .accepted)
        #expect(engine.submit(request(3, adapter: 0)) == .accepted)
        #expect(engine.submit(request(4, adapter: 1)) == .accepted)
        #expect(engine.submit(request(5, adapter: 3)) == .accepted)
        let step = engine.nextStep()!
        #expect(step.admitted == [3, 4])
        #expect(engine.waiting == 2)
        // Once adapter 1 is done, 2 runs before 5 (first come, first served among the blocked).
        let rest = drain(&engine)
        let admittedOrder = rest.flatMap(\.admitted)
        #expect(admittedOrder == [2, 5])
    }

    /// Loading an adapter makes its step `lora_load_ms` longer; a loaded adapter costs nothing.
    @Test func loadingAnAdapterTakesTheLoadTime() {
        var plain = Engine(profile: loraProfile(maxLoras: 2))
        var loading = Engine(profile: loraProfile(maxLoras: 2, loadMs: 25))
        _ = plain.submit(request(1, adapter: 7))
        _ = loading.submit(request(1, adapter: 7))
        let a = plain.nextStep()!, b = loading.nextStep()!
        #expect(b.durationNanoseconds == a.durationNanoseconds + 25_000_000)
        #expect(b.loadedAdapters == [7])
        let a2 = drain(&plain), b2 = drain(&loading)
        #expect(a2.map(\.durationNanoseconds) == b2.map(\.durationNanoseconds))
        // Again later: still in its slot, no load.
        _ = loading.submit(request(2, adapter: 7))
        #expect(loading.nextStep()!.loadedAdapters.isEmpty)
    }

    /// The least recently used idle adapter is evicted; a running one never is.
    @Test func evictionIsLeastRecentlyUsedAmongIdleAdapters() {
        var engine = Engine(profile: loraProfile(maxLoras: 2))
        _ = engine.submit(request(1, adapter: 1, output: 1))
        _ = engine.nextStep()                           // 1 loads, runs, finishes
        _ = engine.submit(request(2, adapter: 2, output: 1))
        _ = engine.nextStep()                           // 2 loads, runs, finishes
        _ = engine.submit(request(3, adapter: 1, output: 1))
        _ = engine.nextStep()                           // 1 again: now 2 is the least recently used
        #expect(engine.loadedAdapters == [1, 2])
        _ = engine.submit(request(4, adapter: 3, output: 1))
        let step = engine.nextStep()!
        #expect(step.evictedAdapters == [2])
        #expect(engine.loadedAdapters == [1, 3])
        // A running adapter stays: with 3 running, loading 4 evicts 1, not 3.
        _ = engine.submit(request(5, adapter: 3, output: 5))
        _ = engine.nextStep()
        _ = engine.submit(request(6, adapter: 4, output: 1))
        #expect(engine.nextStep()!.evictedAdapters == [1])
        let unloadedInUse = engine.unload(adapter: 3)
        #expect(!unloadedInUse)
        _ = drain(&engine)
        let unloadedIdle = engine.unload(adapter: 3)
        #expect(unloadedIdle)
        #expect(engine.loadedAdapters == [4])
    }

    /// Cancelling and preemption keep the per-adapter counts right.
    @Test func cancellingKeepsTheCounts() {
        var engine = Engine(profile: loraProfile(maxLoras: 1))
        _ = engine.submit(request(1, adapter: 1, output: 50))
        _ = engine.submit(request(2, adapter: 2))
        _ = engine.nextStep()
        #expect(engine.waitingAdapters == [2: 1])
        let cancelledWaiting = engine.cancel(id: 2)
        #expect(cancelledWaiting)
        #expect(engine.waitingAdapters.isEmpty)
        let cancelledRunning = engine.cancel(id: 1)
        #expect(cancelledRunning)
        #expect(engine.runningAdapters.isEmpty)
        #expect(engine.isIdle)
    }

    /// Random mixes of adapters, slots, budgets and cancellations: no step ever holds more
    /// adapters than slots, every adapter of a step is loaded, the counts match the requests,
    /// and the same submissions give the same steps.
    @Test(arguments: 1...40)
    func invariantsHold(seed: Int) {
        var random = SeededRandom(seed: UInt64(seed))
        let maxLoras = Int.random(in: 1...3, using: &random)
        var p = profile(seqs: Int.random(in: 1...16, using: &random), budget: 64 + Int.random(in: 0...512, using: &random), kv: 1_000 + Int.random(in: 0...4_000, using: &random),
                        block: 16, prefixCaching: Int.random(in: 0...1, using: &random) == 1)
        p.maxLoras = maxLoras
        p.loraLoadMs = Double(Int.random(in: 0...20, using: &random))
        func run(_ random: inout SeededRandom) -> [EngineStep] {
            var engine = Engine(profile: p)
            var steps: [EngineStep] = []
            var nextID = 1
            var live: [Int] = []
            for round in 0..<200 {
                for _ in 0..<Int.random(in: 0...3, using: &random) {
                    let r = EngineRequest(id: nextID, promptTokens: Int.random(in: 1...200, using: &random), outputTokens: Int.random(in: 1...20, using: &random),
                                          adapter: Int.random(in: 0...5, using: &random))
                    if engine.submit(r) == .accepted { live.append(nextID) }
                    nextID += 1
                }
                if round % 7 == 3, !live.isEmpty { engine.cancel(id: live.remove(at: Int.random(in: 0..<live.count, using: &random))) }
                guard let step = engine.nextStep() else { continue }
                steps.append(step)
                #expect(step.adapters.count <= maxLoras)
                #expect(Set(engine.loadedAdapters).isSuperset(of: step.adapters))
                #expect(engine.loadedAdapters.count <= maxLoras)
                #expect(engine.runningAdapters.values.reduce(0, +) <= engine.running)
                #expect(engine.waitingAdapters.values.reduce(0, +) <= engine.waiting)
                #expect(step.durationNanoseconds >= UInt64(p.loraLoadMs * 1e6) * UInt64(step.loadedAdapters.count))
            }
            steps += drain(&engine)
            #expect(engine.isIdle && engine.runningAdapters.isEmpty && engine.waitingAdapters.isEmpty)
            return steps
        }
        var again = random
        #expect(run(&random) == run(&again))
    }
}
