import MockLLMSimulation

/// A serving-engine profile shipped with mockllm, named in a script's `engines:` section
/// (`profile: NAME`) and by `mockllm engine simulate --profile NAME`.
package struct BuiltinEngineProfile: Sendable {
    package var name: String
    /// One line: what it models and where its numbers come from.
    package var summary: String
    package var profile: EngineProfile
}

/// The built-in profiles. docs/LOAD-SIMULATION.md, "Built-in profiles", says how each was made.
package enum BuiltinEngineProfiles {
    package static let table: [BuiltinEngineProfile] = [
        BuiltinEngineProfile(
            name: "default",
            summary: "vLLM's default scheduler (256 sequences, 8192 tokens a step, prefix caching), "
                + "a cost model estimated for an 8B model in bf16 on one H100 80GB",
            // Estimated, not fitted: a decode step reads the 16 GB of weights at ~3.35 TB/s
            // (~5 ms) plus launch and sampling overhead, so ~6 ms at batch 1; a prompt token
            // costs ~16 GFLOP (2 × 8e9 parameters), ~0.035 ms at ~450 TFLOPS achieved; a context
            // token read by a decode is 128 KiB of KV (32 layers × 8 KV heads × 128 × 2 × 2
            // bytes), ~0.00004 ms, halved for the share attention overlaps with the rest.
            // The KV cache: 0.9 × 80 GB less the weights and activations, ~56 GB / 128 KiB per
            // token ≈ 450,000 tokens, the size vLLM reports for Llama 3.1 8B on an H100.
            profile: EngineProfile(
                maxNumSeqs: 256, maxNumBatchedTokens: 8192, kvCacheTokens: 450_000, blockSize: 16,
                maxWaiting: nil, preemption: .recompute, prefixCaching: true,
                cost: EngineCostModel(baseMs: 6.0, perSequenceMs: 0.02, perPrefillTokenMs: 0.035,
                                      perContextTokenMs: 0.00002))),
    ]

    package static var names: [String] { table.map(\.name) }

    package static func profile(named name: String) -> EngineProfile? {
        table.first { $0.name == name }?.profile
    }

    /// The profile a file or an `engines:` entry starts from when it names none.
    package static var base: EngineProfile { table[0].profile }
}
