import Foundation
@testable import MockLLMCore
import Testing
import TestSupport

/// The codec against AWS's published event stream test vectors (Tests/EventStream/README.md).
@Suite("Event stream: AWS test vectors")
struct EventStreamVectorTests {
    static let folder = repositoryRoot.appendingPathComponent("Tests/EventStream")
    static let positive = ["all_headers", "empty_message", "int32_header", "payload_no_headers", "payload_one_str_header"]
    static let negative = ["corrupted_header_len", "corrupted_headers", "corrupted_length", "corrupted_payload"]

    struct Decoded {
        var totalLength: Int
        var headersLength: Int
        var preludeCRC: UInt32
        var headers: [EventStreamHeader]
        var payload: [UInt8]
    }

    static func encoded(_ kind: String, _ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: folder.appendingPathComponent("encoded/\(kind)/\(name)")))
    }

    /// A `decoded/positive` file: values of types 6, 7 and 9 and the payload are base64.
    static func decoded(_ name: String) throws -> Decoded {
        let data = try Data(contentsOf: folder.appendingPathComponent("decoded/positive/\(name)"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func base64(_ value: Any?) throws -> [UInt8] {
            let text = try #require(value as? String)
            return Array(try #require(Data(base64Encoded: text)))
        }
        var headers: [EventStreamHeader] = []
        for header in try #require(object["headers"] as? [[String: Any]]) {
            let name = try #require(header["name"] as? String)
            let raw = header["value"]
            let value: EventStreamHeader.Value = switch try #require(header["type"] as? Int) {
            case 0, 1: .bool(try #require(raw as? Bool))
            case 2: .byte(Int8(truncatingIfNeeded: try #require(raw as? Int)))
            case 3: .int16(Int16(try #require(raw as? Int)))
            case 4: .int32(Int32(try #require(raw as? Int)))
            case 5: .int64(Int64(try #require(raw as? Int)))
            case 6: .bytes(try base64(raw))
            case 7: .string(String(decoding: try base64(raw), as: UTF8.self))
            case 8: .timestamp(Int64(try #require(raw as? Int)))
            default: .uuid(try base64(raw))
            }
            headers.append(EventStreamHeader(name: name, value: value))
        }
        return Decoded(
            totalLength: try #require(object["total_length"] as? Int), headersLength: try #require(object["headers_length"] as? Int),
            preludeCRC: UInt32(truncatingIfNeeded: try #require(object["prelude_crc"] as? Int)), headers: headers, payload: try base64(object["payload"]))
    }

    /// Every message `bytes` holds, fed in pieces of `piece` bytes.
    static func decode(_ bytes: [UInt8], piece: Int = .max) -> (messages: [([EventStreamHeader], [UInt8])], error: EventStreamError?) {
        var decoder = EventStreamDecoder()
        var messages: [([EventStreamHeader], [UInt8])] = []
        var error: EventStreamError?
        var start = 0
        repeat {
            let end = min(bytes.count, start + piece)
            bytes[start..<end].withUnsafeBytes { raw in
                error = error ?? decoder.feed(raw) { messages.append(($0.headers, Array($0.payload))) }
            }
            start = end
        } while start < bytes.count
        return (messages, error)
    }

    @Test(arguments: positive)
    func decodesEachPositiveVector(name: String) throws {
        let bytes = try Self.encoded("positive", name)
        let expected = try Self.decoded(name)
        #expect(bytes.count == expected.totalLength)
        #expect(bytes.withUnsafeBytes { EventStream.loadBigEndian($0, at: 4, count: 4) } == UInt64(expected.headersLength))
        #expect(bytes.withUnsafeBytes { EventStream.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<8])) } == expected.preludeCRC)
        for piece in [Int.max, 1, 7, 13] {
            let (messages, error) = Self.decode(bytes, piece: piece)
            #expect(error == nil)
            #expect(messages.count == 1)
            #expect(messages.first?.0 == expected.headers, "piece \(piece)")
            #expect(messages.first?.1 == expected.payload, "piece \(piece)")
        }
    }

    @Test(arguments: positive)
    func encodesEachPositiveVectorToItsBytes(name: String) throws {
        let expected = try Self.decoded(name)
        var headers = ByteBuffer()
        for header in expected.headers { EventStream.appendHeader(header, to: &headers) }
        var out = ByteBuffer()
        EventStream.appendMessage(headers: headers, into: &out) { $0.append(contentsOf: expected.payload) }
        #expect(out.bytes == (try Self.encoded("positive", name)))
        // The same with the headers as a lead, whose checksums are folded in rather than read.
        var folded = ByteBuffer()
        EventStream.appendMessage(EventStreamLead(headers: headers), into: &folded) { $0.append(contentsOf: expected.payload) }
        #expect(folded.bytes == (try Self.encoded("positive", name)))
    }

    @Test(arguments: negative)
    func refusesEachNegativeVectorForItsReason(name: String) throws {
        let reason = try String(contentsOf: Self.folder.appendingPathComponent("decoded/negative/\(name)"), encoding: .utf8)
        let (messages, error) = Self.decode(try Self.encoded("negative", name))
        #expect(messages.isEmpty)
        switch reason.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "Prelude checksum mismatch": #expect(error == .preludeChecksum)
        case "Message checksum mismatch": #expect(error == .messageChecksum)
        default: Issue.record("unknown reason \(reason)")
        }
    }

    @Test func consecutiveMessagesCutAnywhereComeOutInOrder() throws {
        let all = try Self.positive.flatMap { try Self.encoded("positive", $0) }
        for piece in [1, 5, 12, 16, 100] {
            let (messages, error) = Self.decode(all, piece: piece)
            #expect(error == nil)
            #expect(messages.count == Self.positive.count)
            #expect(messages.map(\.1) == (try Self.positive.map { try Self.decoded($0).payload }))
        }
    }

    @Test func stringHeadersAreFoundWhereTheyLie() throws {
        var out = ByteBuffer()
        let headers = EventStream.encodedHeaders([":event-type": "chunk", ":content-type": "application/json", ":message-type": "event"])
        EventStream.appendMessage(headers: headers, into: &out) { $0.append(ascii: #"{"bytes":"eyJ9"}"#) }
        var decoder = EventStreamDecoder()
        var seen: [String?] = []
        out.withUnsafeReadableBytes { raw in
            _ = decoder.feed(raw) { frame in
                seen = [frame.string(":event-type"), frame.string(":message-type"), frame.string(":exception-type")]
            }
        }
        #expect(seen == ["chunk", "event", nil])
    }

    @Test func impossibleLengthsAreRefusedBeforeWaitingForThem() {
        // A prelude with a valid checksum that announces more than 16 MiB: refused at once.
        var prelude: [UInt8] = [0x7F, 0, 0, 0, 0, 0, 0, 0]
        let crc = prelude.withUnsafeBytes { EventStream.crc32($0) }
        prelude += [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)]
        #expect(Self.decode(prelude).error == .badLengths(total: 0x7F00_0000, headers: 0))
    }

    @Test func base64MatchesFoundation() {
        for length in Array(0..<10) + [1_000, 4_801] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 200) }
            var out = ByteBuffer()
            bytes.withUnsafeBytes { out.append(base64Of: $0) }
            #expect(out.description == Data(bytes).base64EncodedString())
            // Written in place after what the buffer holds, into a copy it shares with another.
            var framed = ByteBuffer()
            framed.append(contentsOf: Array("{\"b\":\"".utf8))
            let shared = framed
            bytes.withUnsafeBytes { framed.append(base64Of: $0) }
            framed.append(UInt8(ascii: "\""))
            #expect(framed.description == "{\"b\":\"" + Data(bytes).base64EncodedString() + "\"")
            #expect(shared.description == "{\"b\":\"")
        }
    }
}
