@testable import MockLLM
@testable import MockLLMScript
import Testing

/// `--kv-events-config` as vLLM reads it, endpoints offset per rank, and a batch's msgpack.
struct KVEventsTests {
    @Test func configDefaultsAndPublisherAsVLLM() throws {
        let on = try KVEventsConfig.parse(#"{"enable_kv_cache_events":true,"endpoint":"tcp://*:5557","topic":"kv-events"}"#).get()
        #expect(on.publishes && on.publisher == "zmq" && on.topic == "kv-events" && on.bufferSteps == 10_000)
        let off = try KVEventsConfig.parse(#"{"endpoint":"tcp://*:5557"}"#).get()
        #expect(!off.publishes && off.publisher == "null")
        let null = try KVEventsConfig.parse(#"{"enable_kv_cache_events":true,"publisher":"null"}"#).get()
        #expect(!null.publishes)
    }

    @Test func badConfigsSayWhatIsWrong() {
        func problem(_ text: String) -> String? {
            if case .failure(let p) = KVEventsConfig.parse(text) { return p.message }
            return nil
        }
        #expect(problem("{") != nil)
        #expect(problem("[]")?.contains("JSON object") == true)
        #expect(problem(#"{"enable_kv_cache_events":"yes"}"#)?.contains("boolean") == true)
        #expect(problem(#"{"publisher":"kafka"}"#)?.contains("zmq") == true)
        #expect(problem(#"{"enable":true}"#)?.contains("unknown field enable") == true)
        #expect(problem(#"{"enable_kv_cache_events":true,"endpoint":"ipc:///tmp/kv"}"#)?.contains("tcp://") == true)
        #expect(problem(#"{"enable_kv_cache_events":true,"endpoint":"tcp://*"}"#)?.contains("no port") == true)
        #expect(problem(#"{"buffer_steps":0}"#)?.contains("positive") == true)
    }

    @Test func endpointsOffsetTheirPortByRank() throws {
        #expect(try KVEndpoint.parse("tcp://*:5557", rank: 0).get() == KVEndpoint(host: "0.0.0.0", port: 5557))
        #expect(try KVEndpoint.parse("tcp://*:5557", rank: 3).get() == KVEndpoint(host: "0.0.0.0", port: 5560))
        #expect(try KVEndpoint.parse("tcp://[::]:5557", rank: 1).get() == KVEndpoint(host: "::", port: 5558))
        #expect(try KVEndpoint.parse("tcp://127.0.0.1:0", rank: 2).get() == KVEndpoint(host: "127.0.0.1", port: 0))
    }

    @Test func batchIsPositionalWithTaggedMapEvents() {
        let bytes = encodeKVEventBatch(timestamp: 1.5, events: [.allCleared, .removed(hashes: [300])], rank: 1)
        let expected: [UInt8] = [0x93, 0xCB, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0x92,
                                 0x81, 0xA4] + Array("type".utf8) + [0xB0] + Array("AllBlocksCleared".utf8)
            + [0x84, 0xA4] + Array("type".utf8) + [0xAC] + Array("BlockRemoved".utf8)
            + [0xAC] + Array("block_hashes".utf8) + [0x91, 0xCD, 0x01, 0x2C]
            + [0xA6] + Array("medium".utf8) + [0xA3] + Array("GPU".utf8)
            + [0xA9] + Array("group_idx".utf8) + [0x00]
            + [0x01]
        #expect(bytes == expected)
    }
}
