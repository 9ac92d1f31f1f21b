@testable import MockLLMCore
import Testing

/// Each family's boundaries, byte for byte against the msgpack spec's formats.
struct MessagePackWriterTests {
    private func bytes(_ write: (inout MessagePackWriter) -> Void) -> [UInt8] {
        var writer = MessagePackWriter()
        write(&writer)
        return writer.bytes
    }

    @Test func integersTakeTheirShortestForm() {
        #expect(bytes { $0.write(0) } == [0x00])
        #expect(bytes { $0.write(127) } == [0x7F])
        #expect(bytes { $0.write(128) } == [0xCC, 0x80])
        #expect(bytes { $0.write(255) } == [0xCC, 0xFF])
        #expect(bytes { $0.write(256) } == [0xCD, 0x01, 0x00])
        #expect(bytes { $0.write(65_536) } == [0xCE, 0x00, 0x01, 0x00, 0x00])
        #expect(bytes { $0.write(1 << 32) } == [0xCF, 0, 0, 0, 1, 0, 0, 0, 0])
        #expect(bytes { $0.write(UInt64.max) } == [0xCF] + [UInt8](repeating: 0xFF, count: 8))
        #expect(bytes { $0.write(-1) } == [0xFF])
        #expect(bytes { $0.write(-32) } == [0xE0])
        #expect(bytes { $0.write(-33) } == [0xD0, 0xDF])
        #expect(bytes { $0.write(-129) } == [0xD1, 0xFF, 0x7F])
        #expect(bytes { $0.write(-32769) } == [0xD2, 0xFF, 0xFF, 0x7F, 0xFF])
        #expect(bytes { $0.write(Int.min) } == [0xD3, 0x80, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func stringsContainersAndScalars() {
        #expect(bytes { $0.write("") } == [0xA0])
        #expect(bytes { $0.write("type") } == [0xA4] + Array("type".utf8))
        let long = String(repeating: "x", count: 32)
        #expect(bytes { $0.write(long) } == [0xD9, 32] + Array(long.utf8))
        let longer = String(repeating: "y", count: 256)
        #expect(bytes { $0.write(longer) } == [0xDA, 1, 0] + Array(longer.utf8))
        #expect(bytes { $0.writeArrayHeader(15) } == [0x9F])
        #expect(bytes { $0.writeArrayHeader(16) } == [0xDC, 0, 16])
        #expect(bytes { $0.writeArrayHeader(70_000) } == [0xDD, 0, 1, 0x11, 0x70])
        #expect(bytes { $0.writeMapHeader(11) } == [0x8B])
        #expect(bytes { $0.writeMapHeader(16) } == [0xDE, 0, 16])
        #expect(bytes { $0.writeNil(); $0.write(true); $0.write(false) } == [0xC0, 0xC3, 0xC2])
        #expect(bytes { $0.write(1.5) } == [0xCB, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0])
    }
}
