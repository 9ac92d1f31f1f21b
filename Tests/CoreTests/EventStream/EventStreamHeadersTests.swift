@testable import MockLLMCore
import Testing

/// A kind's headers fold into a message's CRC without being read again
/// (`EventStreamHeaders.crc(continuing:)`): checked against zlib's `crc32` continued over the
/// same bytes, for headers of every length up to a few hundred bytes and seeds that set each bit.
@Suite("Event stream: the headers' CRC folded in")
struct EventStreamHeadersTests {
    /// Deterministic bytes and seeds (a 64-bit LCG): the test is the same on every run.
    struct Numbers {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
    }

    static func crc32(_ bytes: [UInt8], seed: UInt32) -> UInt32 {
        bytes.withUnsafeBytes { EventStream.crc32($0, seed: seed) }
    }

    @Test func foldingEqualsZlibContinuingOverTheHeaders() {
        var numbers = Numbers(state: 7)
        for length in Array(0...40) + [63, 64, 65, 87, 128, 255, 300] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: numbers.next()) }
            let headers = EventStreamHeaders(ByteBuffer(bytes))
            #expect(headers.crc == Self.crc32(bytes, seed: 0))
            var seeds: [UInt32] = [0, 0xFFFF_FFFF, 0x8000_0000, 1]
            seeds += (0..<32).map { UInt32(1) << $0 }
            seeds += (0..<40).map { _ in UInt32(truncatingIfNeeded: numbers.next()) }
            for seed in seeds {
                #expect(headers.crc(continuing: seed) == Self.crc32(bytes, seed: seed), "length \(length), seed \(seed)")
            }
        }
    }

    /// A one-off message (a replayed fixture's) is the same bytes as one of a kind's shared headers.
    @Test func aOneOffMessageIsTheSameBytes() {
        let headers = EventStream.encodedHeaders([":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"])
        for payloadLength in [0, 1, 45, 300] {
            let payload = (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            var shared = ByteBuffer(), oneOff = ByteBuffer([7])
            EventStream.appendMessage(headers: headers, into: &shared) { $0.append(contentsOf: payload) }
            EventStream.appendMessage(headerBytes: headers.bytes, payload: payload, into: &oneOff)
            #expect(oneOff.bytes == [7] + shared.bytes, "payload \(payloadLength)")
        }
    }

    @Test func aMessageOfEncodedHeadersChecksOutWithTheDecoder() {
        let headers = EventStream.encodedHeaders([":event-type": "contentBlockDelta", ":content-type": "application/json", ":message-type": "event"])
        for payloadLength in [0, 1, 45, 300] {
            var out = ByteBuffer()
            EventStream.appendMessage(headers: headers, into: &out) { out in
                for i in 0..<payloadLength { out.append(UInt8(truncatingIfNeeded: i &* 31)) }
            }
            // The message CRC is zlib's over everything before it, read in one go.
            let bytes = out.bytes
            let expected = Self.crc32(Array(bytes.dropLast(4)), seed: 0)
            let written = bytes.suffix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            #expect(written == expected)
            var decoder = EventStreamDecoder()
            var payloads: [[UInt8]] = []
            let error = bytes.withUnsafeBytes { decoder.feed($0) { payloads.append(Array($0.payload)) } }
            #expect(error == nil)
            #expect(payloads.map(\.count) == [payloadLength])
        }
    }
}
