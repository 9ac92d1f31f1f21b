@testable import MockLLMCore
import Testing

/// A kind's lead (its headers and the payload's fixed start) and the prelude fold into a
/// message's CRCs without being read again (`EventStreamLead`): checked against zlib's `crc32`
/// over the same bytes, for leads of every length up to a few hundred bytes, prelude CRCs that
/// set each bit, and total lengths over the whole range a message may have.
@Suite("Event stream: the lead's and the prelude's CRCs folded in")
struct EventStreamLeadTests {
    /// Deterministic bytes and seeds (a 64-bit LCG): the test is the same on every run.
    struct Numbers {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
    }

    static func crc32(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { EventStream.crc32($0, seed: seed) }
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)]
    }

    @Test func foldingEqualsZlibOverThePreludesCRCAndTheLead() {
        var numbers = Numbers(state: 7)
        for length in Array(0...40) + [63, 64, 65, 87, 128, 255, 300] {
            let headers = (0..<length).map { _ in UInt8(truncatingIfNeeded: numbers.next()) }
            let payloadStart = String(repeating: "{\"contentBlockIndex\":0,", count: length % 3)
            let lead = EventStreamLead(headers: ByteBuffer(headers), payloadStart: payloadStart)
            let bytes = headers + Array(payloadStart.utf8)
            #expect(Array(lead.bytes) == bytes)
            #expect(lead.headersLength == UInt32(length))
            var preludeCRCs: [UInt32] = [0, 0xFFFF_FFFF, 0x8000_0000, 1]
            preludeCRCs += (0..<32).map { UInt32(1) << $0 }
            preludeCRCs += (0..<40).map { _ in UInt32(truncatingIfNeeded: numbers.next()) }
            for p in preludeCRCs {
                #expect(lead.crc(afterPrelude: p) == Self.crc32(Self.bigEndian(p) + bytes, seed: p), "length \(length), p \(p)")
            }
        }
    }

    @Test func thePreludesCRCByTableEqualsZlib() {
        var numbers = Numbers(state: 11)
        for headersLength in [0, 1, 85, 87, 255, 256, 65_535, EventStream.maxHeadersLength] {
            let lead = EventStreamLead(headers: ByteBuffer([UInt8](repeating: 7, count: headersLength)))
            var totals: [UInt32] = [16, 17, 100, 255, 256, 65_536, UInt32(EventStream.maxMessageLength), 0xFFFF_FFFF]
            totals += (0..<32).map { UInt32(1) << $0 }
            totals += (0..<40).map { _ in UInt32(truncatingIfNeeded: numbers.next()) }
            for total in totals {
                #expect(lead.preludeCRC(total: total) == Self.crc32(Self.bigEndian(total) + Self.bigEndian(UInt32(headersLength))),
                        "headers \(headersLength), total \(total)")
            }
        }
    }

    @Test func aTailFoldsInAsZlibContinuingOverIt() {
        var numbers = Numbers(state: 13)
        for length in 0..<256 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: numbers.next()) }
            let tail = bytes.withUnsafeBytes { EventStreamTail($0) }
            for seed in [0, 0xFFFF_FFFF, 1, UInt32(truncatingIfNeeded: numbers.next()), UInt32(truncatingIfNeeded: numbers.next())] {
                #expect(tail.fold(seed) == Self.crc32(bytes, seed: seed), "length \(length), seed \(seed)")
            }
        }
    }

    @Test func aMessageOfALeadIsTheMessageOfItsBytesAndChecksOutWithTheDecoder() {
        let headers = EventStream.encodedHeaders([":event-type": "contentBlockDelta", ":content-type": "application/json", ":message-type": "event"])
        let lead = EventStreamLead(headers: headers, payloadStart: "{\"contentBlockIndex\":0,\"delta\":{\"text\":")
        for payloadLength in [0, 1, 45, 300, 5000] {
            let rest = (0..<payloadLength).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            var out = ByteBuffer(capacity: 16)  // grown while the message is written
            out.append(ascii: "before")
            let start = EventStream.startMessage(lead, into: &out)
            out.append(contentsOf: rest)
            EventStream.finishMessage(lead, startedAt: start, in: &out)
            // The same with the payload's last bytes (up to 255) as a tail folded in.
            var folded = ByteBuffer()
            folded.append(ascii: "before")
            let foldedStart = EventStream.startMessage(lead, into: &folded)
            folded.append(contentsOf: rest)
            let tail = rest.suffix(min(255, payloadLength / 2)).withUnsafeBytes { EventStreamTail($0) }
            EventStream.finishMessage(lead, startedAt: foldedStart, in: &folded, tail: tail)
            #expect(folded == out, "payload \(payloadLength), tail \(tail.count)")
            // Byte for byte what the plain encoder, reading every byte with zlib, writes.
            var plain = ByteBuffer()
            plain.append(ascii: "before")
            EventStream.appendMessage(headers: headers, into: &plain) { out in
                out.append(ascii: "{\"contentBlockIndex\":0,\"delta\":{\"text\":")
                out.append(contentsOf: rest)
            }
            #expect(out == plain, "payload \(payloadLength)")
            let bytes = Array(out.bytes.dropFirst(6))
            var decoder = EventStreamDecoder()
            var payloads: [[UInt8]] = []
            let error = bytes.withUnsafeBytes { decoder.feed($0) { payloads.append(Array($0.payload)) } }
            #expect(error == nil)
            #expect(payloads == [Array("{\"contentBlockIndex\":0,\"delta\":{\"text\":".utf8) + rest])
        }
    }
}
