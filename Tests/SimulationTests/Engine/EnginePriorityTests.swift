@testable import MockLLMSimulation
import Testing

/// The `priority` scheduling policy (vLLM's `--scheduling-policy priority`): the waiting queue
/// in (`priority`, arrival) order, and the preemption victim the running request with the
/// highest (`priority`, arrival).
@Suite("Engine: priority scheduling")
struct EnginePriorityTests {
    func engine(_ policy: EngineSchedulingPolicy, seqs: Int = 1, kv: Int = 100_000) -> Engine {
        var p = profile(seqs: seqs, kv: kv, block: 16)
        p.schedulingPolicy = policy
        return Engine(profile: p)
    }

    /// The ids in the order they were admitted, running the engine until idle.
    func admissionOrder(_ engine: inout Engine) -> [Int] {
        drain(&engine).flatMap(\.admitted)
    }

    @Test func waitingRequestsAreAdmittedByPriorityThenArrival() {
        var e = engine(.priority)
        // One running at a time: 0 is admitted first (alone), then the queue decides.
        for (id, priority) in [(0, 5), (1, 3), (2, -1), (3, 3), (4, 0), (5, -1)] {
            #expect(e.submit(EngineRequest(id: id, promptTokens: 10, outputTokens: 2, priority: priority)) == .accepted)
        }
        #expect(admissionOrder(&e) == [2, 5, 4, 1, 3, 0])
    }

    @Test func fcfsKeepsArrivalOrder() {
        var e = engine(.fcfs)
        for id in 0..<5 { _ = e.submit(EngineRequest(id: id, promptTokens: 10, outputTokens: 2)) }
        #expect(admissionOrder(&e) == [0, 1, 2, 3, 4])
    }

    @Test func aLaterMoreUrgentRequestWaitsForARunningOneInsteadOfPreemptingIt() {
        var e = engine(.priority)
        _ = e.submit(EngineRequest(id: 0, promptTokens: 10, outputTokens: 5, priority: 9))
        let first = e.nextStep()
        #expect(first?.admitted == [0])
        _ = e.submit(EngineRequest(id: 1, promptTokens: 10, outputTokens: 5, priority: -9))
        let steps = drain(&e)
        #expect(steps.allSatisfy { $0.preempted.isEmpty }, "vLLM v1 preempts only when KV blocks run out")
        #expect(steps.flatMap(\.admitted) == [1])
    }

    /// Two requests that each outgrow half the cache: when blocks run out, the one to preempt
    /// is the one with the higher priority value, even when it was admitted first.
    @Test func kvPressurePreemptsTheLeastUrgentNotTheNewest() {
        // 4 blocks of 16 tokens; each prompt fills one block and its output needs two more.
        var e = engine(.priority, seqs: 2, kv: 64)
        _ = e.submit(EngineRequest(id: 0, promptTokens: 16, outputTokens: 30, priority: 5))
        _ = e.submit(EngineRequest(id: 1, promptTokens: 16, outputTokens: 30, priority: 1))
        let steps = drain(&e)
        let preempted = steps.flatMap(\.preempted)
        #expect(preempted.first == 0, "the less urgent one, admitted first, gives up its blocks")
        #expect(!preempted.contains(1))

        // FCFS preempts the newest admitted instead.
        var fcfs = engine(.fcfs, seqs: 2, kv: 64)
        _ = fcfs.submit(EngineRequest(id: 0, promptTokens: 16, outputTokens: 30, priority: 0))
        _ = fcfs.submit(EngineRequest(id: 1, promptTokens: 16, outputTokens: 30, priority: 0))
        #expect(drain(&fcfs).flatMap(\.preempted).first == 1)
    }

    @Test func aPreemptedRequestGoesBackToItsPlaceByPriority() throws {
        // One slot in the cache for two growing requests: the victim waits behind a more
        // urgent newcomer but ahead of a less urgent one.
        var e = engine(.priority, seqs: 2, kv: 64)
        _ = e.submit(EngineRequest(id: 0, promptTokens: 16, outputTokens: 30, priority: 5))
        _ = e.submit(EngineRequest(id: 1, promptTokens: 16, outputTokens: 30, priority: 1))
        var admitted: [Int] = []
        var queuedLate = false
        while let step = e.nextStep() {
            if queuedLate { admitted += step.admitted }
            #expect(queuedLate || step.admitted.isEmpty || step.admitted == [1, 0], "the more urgent first")
            if !step.preempted.isEmpty && !queuedLate {
                queuedLate = true
                _ = e.submit(EngineRequest(id: 2, promptTokens: 16, outputTokens: 2, priority: 9))
                _ = e.submit(EngineRequest(id: 3, promptTokens: 16, outputTokens: 2, priority: 2))
            }
        }
        #expect(queuedLate)
        // 3 (priority 2) first, then the preempted 0 (5) before the newcomer 2 (9); 3 may be
        // preempted in turn by the cache's pressure and come back, as a real engine's would.
        #expect(admitted.first == 3)
        let zero = try #require(admitted.firstIndex(of: 0))
        let two = try #require(admitted.firstIndex(of: 2))
        #expect(zero < two)
    }

    @Test func thePolicyIsReadFromTheProfileKey() {
        #expect(EngineSchedulingPolicy(rawValue: "priority") == .priority)
        #expect(EngineSchedulingPolicy(rawValue: "fcfs") == .fcfs)
        #expect(profile().schedulingPolicy == .fcfs, "vLLM's default")
    }
}
