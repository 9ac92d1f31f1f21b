import Foundation
@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMScript
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The KV-cache event publisher on a real server, read by a ZMTP subscriber written here on a
/// plain socket (the SDK suite reads it with libzmq itself): the handshake, a subscription, a
/// batch per step, a peer that is not ZeroMQ closed, and a stop with a subscriber connected.
@Suite("KV-cache events over real sockets")
struct KVEventsEndToEndTests {
    func script() throws -> Script {
        try ScriptLoader.parse(yaml: """
            engines:
              gpu: {block_size: 16, step_time: {base_ms: 1, per_sequence_ms: 0, per_prefill_token_ms: 0, per_context_token_ms: 0}}
            models:
              - {id: llama, provider: openai, engine: gpu}
            responses:
              "hi": "one two three"
            """, file: "kv.yml", providers: providerCatalog).script
    }

    func events(topic: String = "kv") throws -> KVEventsConfig {
        try KVEventsConfig.parse(#"{"enable_kv_cache_events":true,"endpoint":"tcp://127.0.0.1:0","topic":"\#(topic)"}"#).get()
    }

    func eventPort(_ server: TestServer) throws -> Int {
        let endpoint = try #require(server.server.kvEventEndpoints.first?.endpoints.first)
        return try #require(Int(endpoint.split(separator: ":").last ?? ""))
    }

    /// Reads until `reader` has produced `count` inputs, or fails at the socket's timeout.
    func read(_ fd: Int32, _ reader: inout ZMTPReader, until count: Int) throws -> [ZMTPInput] {
        var inputs: [ZMTPInput] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while inputs.count < count {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw TestFailure("the publisher closed or timed out (\(n), errno \(errno))") }
            inputs += try reader.read(chunk[0..<n])
        }
        return inputs
    }

    func subscribe(port: Int, to topic: String) throws -> Int32 {
        let fd = try connectLoopback(port: port) { fd in
            var tv = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
        var hello = ZMTP.greeting() + ZMTP.ready([("Socket-Type", Array("SUB".utf8))])
        ZMTP.appendFrame([9] + Array("SUBSCRIBE".utf8) + Array(topic.utf8), more: false, command: true, to: &hello)
        _ = hello.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return fd
    }

    func chat(_ server: TestServer, _ text: String) throws {
        let body = #"{"model":"llama","max_tokens":2,"messages":[{"role":"user","content":"\#(text)"}]}"#
        let client = try server.client()
        try client.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(try client.readResponse().status == 200)
    }

    @Test func aSubscriberGetsTheHandshakeThenABatchPerStep() throws {
        try withServer(script: try script(), tune: { $0.kvEvents = try? events() }) { server in
            let fd = try subscribe(port: try eventPort(server), to: "kv")
            defer { close(fd) }
            var reader = ZMTPReader(readsSubscriptions: false)
            let handshake = try read(fd, &reader, until: 2)
            #expect(handshake == [.greeting(minor: 1), .ready(["socket-type": Array("PUB".utf8)])])
            // The subscription is read before the next batch: requests until one arrives.
            let prompt = String(repeating: "shared words of a long prompt ", count: 12)
            var batch: [[UInt8]] = []
            try eventually("a batch reaches the subscriber") {
                try chat(server, prompt + "\(UUID())")
                var one = [UInt8](repeating: 0, count: 65536)
                let n = one.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n > 0, case .message(let parts)? = try reader.read(one[0..<n]).first { batch = parts }
                return !batch.isEmpty
            }
            #expect(batch.count == 3 && batch[0] == Array("kv".utf8) && batch[1].count == 8)
            // [ts, events, rank]: a fixarray of 3, a float 64, ..., rank 0 last.
            #expect(batch[2].first == 0x93 && batch[2][1] == 0xCB && batch[2].last == 0x00)
            #expect(batch[2].count > 100, "a BlockStored with its hashes and token ids")
        }
    }

    @Test func aPeerThatIsNotZeroMQIsClosedAndNothingStaysOpen() throws {
        // A subscriber still connected when the server stops: the engine's loop (and its thread,
        // which the stop joins) ends only once the publisher has closed every socket.
        var left: Int32 = -1
        defer { if left >= 0 { close(left) } }
        try withServer(script: try script(), tune: { $0.kvEvents = try? events() }) { server in
            let fd = try connectLoopback(port: try eventPort(server)) { fd in
                var tv = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            }
            defer { close(fd) }
            let request = Array("GET / HTTP/1.1\r\n\r\n".utf8)
            _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            // Our greeting may arrive first; then the close.
            var chunk = [UInt8](repeating: 0, count: 4096)
            var closed = false
            for _ in 0..<4 {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 {
                    closed = n == 0 || errno == ECONNRESET
                    break
                }
            }
            #expect(closed)
            left = try subscribe(port: try eventPort(server), to: "")
            var reader = ZMTPReader(readsSubscriptions: false)
            #expect(try read(left, &reader, until: 2).count == 2, "the publisher took it")
        }
    }
}
