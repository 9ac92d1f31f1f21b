@testable import MockLLMCore
import Testing

/// ZMTP 3.1 framing (rfc.zeromq.org/spec/37) and reading a subscriber's bytes in any pieces.
struct ZMTPTests {
    @Test func greetingIsSixtyFourOctetsOfVersion31WithNull() {
        let greeting = ZMTP.greeting()
        #expect(greeting.count == 64)
        #expect(greeting[0] == 0xFF && greeting[9] == 0x7F && greeting[10] == 3 && greeting[11] == 1)
        #expect(Array(greeting[12..<16]) == Array("NULL".utf8) && greeting[16..<64].allSatisfy { $0 == 0 })
    }

    @Test func framesAreShortOrLongWithMoreAndCommandFlags() {
        #expect(ZMTP.message([Array("kv".utf8), [1, 2]]) == [0x01, 2, 0x6B, 0x76, 0x00, 2, 1, 2])
        var long: [UInt8] = []
        ZMTP.appendFrame([UInt8](repeating: 7, count: 300), more: false, to: &long)
        #expect(Array(long.prefix(9)) == [0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x2C] && long.count == 309)
        let ready = ZMTP.ready([("Socket-Type", Array("PUB".utf8))])
        #expect(ready == [0x04, 25, 5] + Array("READY".utf8) + [11] + Array("Socket-Type".utf8) + [0, 0, 0, 3] + Array("PUB".utf8))
    }

    /// What a SUB socket sends: greeting, READY, then a subscription (3.0's message or 3.1's command).
    @Test func readsASubscriberByteByByte() throws {
        var peer = ZMTP.greeting()
        peer += ZMTP.ready([("Socket-Type", Array("SUB".utf8))])
        ZMTP.appendFrame([1] + Array("kv".utf8), more: false, to: &peer)
        ZMTP.appendFrame([9] + Array("SUBSCRIBE".utf8) + Array("ab".utf8), more: false, command: true, to: &peer)
        ZMTP.appendFrame([0] + Array("kv".utf8), more: false, to: &peer)
        ZMTP.appendFrame([4] + Array("PING".utf8) + [0, 10, 0xAA], more: false, command: true, to: &peer)
        var reader = ZMTPReader(readsSubscriptions: true)
        var inputs: [ZMTPInput] = []
        for byte in peer { inputs += try reader.read([byte]) }
        #expect(inputs == [.greeting(minor: 1), .ready(["socket-type": Array("SUB".utf8)]), .subscribe(Array("kv".utf8)),
                           .subscribe(Array("ab".utf8)), .cancel(Array("kv".utf8)), .ping(context: [0xAA])])
    }

    @Test func readsMultipartMessagesForARouter() throws {
        var peer = ZMTP.greeting() + ZMTP.ready([("Socket-Type", Array("REQ".utf8))])
        peer += ZMTP.message([[], [0, 0, 0, 0, 0, 0, 0, 5]])
        var reader = ZMTPReader(readsSubscriptions: false)
        let inputs = try reader.read(peer)
        #expect(inputs.last == .message([[], [0, 0, 0, 0, 0, 0, 0, 5]]))
    }

    @Test func refusesWhatIsNotZMTP31WithNull() {
        func refused(_ bytes: [UInt8]) -> Bool {
            var reader = ZMTPReader(readsSubscriptions: true)
            do {
                _ = try reader.read(bytes)
                return false
            } catch {
                return true
            }
        }
        #expect(refused(Array("GET / HTTP/1.1\r\n".utf8)))
        var plain = ZMTP.greeting()
        plain.replaceSubrange(12..<17, with: Array("PLAIN".utf8))
        #expect(refused(plain))
        #expect(refused(ZMTP.greeting() + [0x02, 0, 0, 0, 0, 0x10, 0, 0, 0]), "a frame over the limit")
        #expect(refused(ZMTP.greeting() + [0x10, 0]), "reserved flags")
    }
}
