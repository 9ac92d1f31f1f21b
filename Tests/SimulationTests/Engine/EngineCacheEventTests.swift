@testable import MockLLMSimulation
import Testing

/// The prefix cache's block hashes and the blocks each step reports entering and leaving it
/// (what the server publishes as vLLM's KV-cache events).
struct EngineCacheEventTests {
    @Test func blockHashesChainTokenIDsAndTheAdapter() {
        let shared = Array(1...48)
        let a = BlockHashes.chain(shared + [100, 101, 102], blockSize: 16)
        let b = BlockHashes.chain(shared + Array(200...220), blockSize: 16)
        #expect(a.count == 3, "only full blocks: 51 tokens make 3")
        #expect(b.count == 4)
        #expect(Array(a.prefix(3)) == Array(b.prefix(3)), "a shared beginning shares its hashes")
        #expect(BlockHashes.chain([0] + shared, blockSize: 16).first != a.first)
        let other = BlockHashes.chain(Array(17...32) + Array(1...16), blockSize: 16)
        #expect(other[1] != a[0] && other[0] != a[1], "a block's hash covers everything before it")
        let lora = BlockHashes.chain(shared, blockSize: 16, extraKey: "sql-lora")
        #expect(lora.count == 3 && Set(lora).isDisjoint(with: a), "another adapter shares no block")
        #expect(BlockHashes.chain(shared, blockSize: 16, extraKey: "sql-lora") == lora, "deterministic")
        #expect(BlockHashes.chain(Array(1...15), blockSize: 16).isEmpty)
        // Pinned: routers outside the process compute the same values (docs/LOAD-SIMULATION.md).
        #expect(BlockHashes.hash(parent: BlockHashes.root, tokens: [1, 2, 3][...], extraKey: nil) == BlockHashes.chain([1, 2, 3], blockSize: 3)[0])
        #expect(a[1] == BlockHashes.hash(parent: a[0], tokens: shared[16..<32], extraKey: nil))
    }

    @Test func stepsReportStoredBlocksOnceWithTheirParent() {
        var engine = Engine(profile: profile(seqs: 8, budget: 32, kv: 1600, block: 16))
        engine.recordsCacheEvents = true
        let tokens = Array(1...70)   // 4 full blocks
        let hashes = BlockHashes.chain(tokens, blockSize: 16)
        #expect(engine.submit(EngineRequest(id: 1, promptTokens: 70, outputTokens: 2, prefixBlocks: hashes)) == .accepted)
        let steps = drain(&engine)
        let stored = steps.flatMap(\.storedBlocks)
        // Chunked prefill of 32 tokens a step: two blocks per step, each chunk chained to the last.
        #expect(stored == [
            EngineStoredBlocks(id: 1, firstBlock: 0, hashes: Array(hashes[0..<2]), parent: nil),
            EngineStoredBlocks(id: 1, firstBlock: 2, hashes: Array(hashes[2..<4]), parent: hashes[1]),
        ])
        // The same prompt again hits every block: nothing new is stored.
        #expect(engine.submit(EngineRequest(id: 2, promptTokens: 70, outputTokens: 2, prefixBlocks: hashes)) == .accepted)
        #expect(drain(&engine).allSatisfy { $0.storedBlocks.isEmpty && $0.removedBlocks.isEmpty })
        #expect(engine.prefixCacheHits == 64)
    }

    @Test func evictionsAreReportedLeastRecentlyFreedFirst() {
        // 10 blocks: a second 5-block prompt fits, a third must evict the first one's blocks.
        var engine = Engine(profile: profile(seqs: 1, budget: 4096, kv: 160, block: 16))
        engine.recordsCacheEvents = true
        var all: [[UInt64]] = []
        for (id, first) in [(1, 1000), (2, 2000), (3, 3000)] {
            let hashes = BlockHashes.chain(Array(first..<(first + 80)), blockSize: 16)
            all.append(hashes)
            #expect(engine.submit(EngineRequest(id: id, promptTokens: 80, outputTokens: 1, prefixBlocks: hashes)) == .accepted)
        }
        let steps = drain(&engine)
        let removed = steps.flatMap(\.removedBlocks)
        // vLLM frees a request's blocks last first, so a prompt's last block is evicted first.
        #expect(!removed.isEmpty)
        #expect(Set(removed).isSubset(of: Set(all[0])), "the least recently freed prompt's blocks go first")
        #expect(removed.first == all[0].last)
        let stored = steps.flatMap(\.storedBlocks).flatMap(\.hashes)
        #expect(stored == all[0] + all[1] + all[2])
        // A step's evictions come before its stores (the router's view stays consistent).
        for step in steps where !step.removedBlocks.isEmpty {
            #expect(step.storedBlocks.allSatisfy { $0.id == 3 })
        }
    }

    @Test func resetForgetsTheCacheOnlyWhenNoBlockIsHeld() {
        var engine = Engine(profile: profile(seqs: 8, budget: 4096, kv: 1600, block: 16))
        let hashes = BlockHashes.chain(Array(1...64), blockSize: 16)
        #expect(engine.submit(EngineRequest(id: 1, promptTokens: 64, outputTokens: 3, prefixBlocks: hashes)) == .accepted)
        _ = engine.nextStep()
        let refused = engine.resetPrefixCache()
        #expect(!refused, "a running request holds blocks")
        _ = drain(&engine)
        let reset = engine.resetPrefixCache()
        #expect(reset)
        #expect(engine.submit(EngineRequest(id: 2, promptTokens: 64, outputTokens: 1, prefixBlocks: hashes)) == .accepted)
        _ = drain(&engine)
        #expect(engine.prefixCacheHits == 0, "nothing cached survives a reset")
    }

    @Test func withoutRecordingStepsReportNothing() {
        var engine = Engine(profile: profile(seqs: 1, budget: 4096, kv: 160, block: 16))
        for id in 1...3 {
            let hashes = BlockHashes.chain(Array((id * 1000)..<(id * 1000 + 80)), blockSize: 16)
            _ = engine.submit(EngineRequest(id: id, promptTokens: 80, outputTokens: 1, prefixBlocks: hashes))
        }
        #expect(drain(&engine).allSatisfy { $0.storedBlocks.isEmpty && $0.removedBlocks.isEmpty })
    }
}
