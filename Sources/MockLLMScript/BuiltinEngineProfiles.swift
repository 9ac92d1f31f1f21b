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
        BuiltinEngineProfile(
            name: "llama-3-70b-4xh100-fp8-nim",
            summary: "Llama 3 70B Instruct, FP8, on 4 x H100 80GB (tensor parallel) behind NVIDIA NIM (TensorRT-LLM), fitted to GenAI-Perf measurements",
            // Fitted by `mockllm engine fit` to all 60 points of
            // Tests/Engine/data/llama-3-70b-instruct-4xh100-fp8-nim-trtllm.csv (GenAI-Perf, users started together, shapes
            // 200/200, 200/1000, 200/2000, 2000/200, 2000/2000 and 7000/1000 tokens at 1 to 250 users; source and
            // provenance in Tests/Engine/data/README.md), with a client gap of 0.2 ms: 58 of 60 points within 25 % on
            // TTFT, ITL and request throughput; mean |error| TTFT 11%, ITL 5%, throughput 5% (84 s beside two other
            // fits on 2 CPUs, eight mode combinations). Fitted: the cost
            // model with the prefill's attention and the longest decode's context priced apart, the front end's
            // time, kv_cache_tokens and max_num_batched_tokens (the data saturate the cache), kv_admission
            // reserve_output and prefill whole (the lowest loss); max_num_seqs 256, blocks of 16 and recompute
            // are fixed. Prefix caching off: the benchmark's prompts share no prefix, so the data cannot tell.
            profile: fittedNIM(
                maxNumBatchedTokens: 40_146, kvCacheTokens: 973_810, frontEndMs: 0.567148,
                cost: EngineCostModel(baseMs: 14.201, perSequenceMs: 0.0749781, perPrefillTokenMs: 0.0426414,
                                      perContextTokenMs: 0.00000971694, perPrefillContextTokenMs: 0.00000303733,
                                      perLongestContextTokenMs: 0.000805427))),
        BuiltinEngineProfile(
            name: "llama-3-8b-1xh100-fp8-nim",
            summary: "Llama 3 8B Instruct, FP8, on 1 x H100 80GB behind NVIDIA NIM (TensorRT-LLM), fitted to GenAI-Perf measurements",
            // Fitted by `mockllm engine fit` to all 60 points of
            // Tests/Engine/data/llama-3-8b-instruct-1xh100-fp8-nim-trtllm.csv (GenAI-Perf, users started together, shapes
            // 200/200, 200/1000, 200/2000, 2000/200, 2000/2000 and 7000/1000 tokens at 1 to 250 users; source and
            // provenance in Tests/Engine/data/README.md), with a client gap of 0.2 ms: 55 of 60 points within 25 % on
            // TTFT, ITL and request throughput; mean |error| TTFT 13%, ITL 4%, throughput 4% (92 s beside two other
            // fits on 2 CPUs, eight mode combinations). Fitted: the cost
            // model with the prefill's attention and the longest decode's context priced apart, the front end's
            // time, kv_cache_tokens and max_num_batched_tokens (the data saturate the cache), kv_admission
            // reserve_output and prefill whole (the lowest loss); max_num_seqs 256, blocks of 16 and recompute
            // are fixed. Prefix caching off: the benchmark's prompts share no prefix, so the data cannot tell.
            profile: fittedNIM(
                maxNumBatchedTokens: 46_030, kvCacheTokens: 916_600, frontEndMs: 1.85892,
                cost: EngineCostModel(baseMs: 4.88935, perSequenceMs: 0.0329299, perPrefillTokenMs: 0.0135552,
                                      perContextTokenMs: 0.0000705894, perPrefillContextTokenMs: 0.0000000545604,
                                      perLongestContextTokenMs: 0.000396855))),
        BuiltinEngineProfile(
            name: "llama-3-8b-1xa100-fp16-nim",
            summary: "Llama 3 8B Instruct, FP16, on 1 x A100-SXM4-80GB behind NVIDIA NIM (TensorRT-LLM), fitted to GenAI-Perf measurements",
            // Fitted by `mockllm engine fit` to all 60 points of
            // Tests/Engine/data/llama-3-8b-instruct-1xa100-fp16-nim-trtllm.csv (GenAI-Perf, users started together, shapes
            // 200/200, 200/1000, 200/2000, 2000/200, 2000/2000 and 7000/1000 tokens at 1 to 250 users; source and
            // provenance in Tests/Engine/data/README.md), with a client gap of 0.2 ms: 55 of 60 points within 25 % on
            // TTFT, ITL and request throughput; mean |error| TTFT 12%, ITL 3%, throughput 5% (123 s beside two other
            // fits on 2 CPUs, eight mode combinations). Fitted: the cost
            // model with the prefill's attention and the longest decode's context priced apart, the front end's
            // time, kv_cache_tokens and max_num_batched_tokens (the data saturate the cache), kv_admission
            // reserve_output and prefill whole (the lowest loss); max_num_seqs 256, blocks of 16 and recompute
            // are fixed. Prefix caching off: the benchmark's prompts share no prefix, so the data cannot tell.
            profile: fittedNIM(
                maxNumBatchedTokens: 38_269, kvCacheTokens: 426_113, frontEndMs: 1.41226,
                cost: EngineCostModel(baseMs: 11.4319, perSequenceMs: 0.077608, perPrefillTokenMs: 0.0610028,
                                      perContextTokenMs: 0.000131669, perPrefillContextTokenMs: 0.00000558975,
                                      perLongestContextTokenMs: 0.000313744))),
    ]

    /// A profile fitted to one of NIM's tables: 256 sequences, blocks of 16, recompute, no prefix
    /// caching (the benchmark's prompts share none), and the modes every fit chose,
    /// `reserve_output` with whole prompts (TensorRT-LLM's).
    private static func fittedNIM(maxNumBatchedTokens: Int, kvCacheTokens: Int, frontEndMs: Double,
                                  cost: EngineCostModel) -> EngineProfile {
        var profile = EngineProfile(
            maxNumSeqs: 256, maxNumBatchedTokens: maxNumBatchedTokens, kvCacheTokens: kvCacheTokens, blockSize: 16,
            maxWaiting: nil, preemption: .recompute, prefixCaching: false, kvAdmission: .reserveOutput, prefill: .whole,
            cost: cost)
        profile.frontEndMs = frontEndMs
        return profile
    }

    package static var names: [String] { table.map(\.name) }

    package static func profile(named name: String) -> EngineProfile? {
        table.first { $0.name == name }?.profile
    }

    /// The profile a file or an `engines:` entry starts from when it names none.
    package static var base: EngineProfile { table[0].profile }
}
