/// The API server in front of an engine (`EngineProfile.frontEndMs`): it takes requests one at
/// a time, in the order they arrive, and hands each to the engine when it is done with it.
///
/// vLLM's OpenAI server, NIM's and Triton's front ends parse the HTTP request, apply the chat
/// template and tokenize the prompt on one thread before the engine's scheduler sees it. At
/// low load that is a fixed part of TTFT; when a wave of requests arrives together (a closed
/// loop whose users finished in the same step) it spreads their prompts over
/// N × `frontEndMs`, so they prefill in several smaller steps instead of one long one. Shared
/// by the simulation (`EngineSimulation`) and the live engine (the server's `EngineHost`), so
/// both hand requests over at the same times.
public struct EngineFrontEnd: Sendable {
    /// Nanoseconds of work per request; 0: requests reach the engine as they arrive.
    public let nanoseconds: UInt64
    /// When the front end is done with the last request it took.
    private var free: UInt64 = 0

    /// A front end of `milliseconds` per request, scaled by `timeScale` (the live server's
    /// `settings.time_scale`).
    public init(milliseconds: Double, timeScale: Double = 1) {
        let ns = max(milliseconds * timeScale * 1_000_000, 0)
        nanoseconds = ns.isFinite ? UInt64(min(ns, 1e15).rounded()) : 0
    }

    /// When the engine gets a request that arrived at `arrival` (nanoseconds, the same clock
    /// throughout): `nanoseconds` after the later of its arrival and the previous request's
    /// hand-over. Requests must be given in the order they arrived.
    public mutating func handOver(arrival: UInt64) -> UInt64 {
        guard nanoseconds > 0 else { return arrival }
        free = max(arrival, free) + nanoseconds
        return free
    }
}
