import Foundation
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM to the real process while it carries a thousand streams, as docker-compose and
/// Kubernetes send it: what can finish within the drain time finishes, the rest is cut between
/// two events, and the process exits 0. Counts and bytes only; the bounds are generous.
extension CLITests {
    static let shutdownReply = (1...20).map { "w\($0)" }.joined(separator: " ")

    func pacedStream(itlMilliseconds: Int) -> String {
        let body = #"{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"x"}]}"#
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mockllm-itl-ms: \(itlMilliseconds)\r\n"
            + "x-mockllm-chunking: word\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    /// The content of a stream's `data:` events, joined; nil if an event is not whole JSON.
    func content(of chunks: [[UInt8]]) -> String? {
        var text = ""
        for chunk in chunks {
            let event = String(decoding: chunk, as: UTF8.self)
            guard event.hasPrefix("data: "), event.hasSuffix("\n\n") else { return nil }
            let payload = event.dropFirst(6).dropLast(2)
            if payload == "[DONE]" { continue }
            guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] else { return nil }
            let delta = (object["choices"] as? [[String: Any]])?.first?["delta"] as? [String: Any]
            text += delta?["content"] as? String ?? ""
        }
        return text
    }

    /// Raises this process's open-file limit so it can hold `count` sockets.
    func allowOpenFiles(_ count: Int) throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < rlim_t(count) {
            limit.rlim_cur = min(limit.rlim_max, rlim_t(count))
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        guard limit.rlim_cur >= rlim_t(count) else {
            throw TestFailure("this test needs \(count) open files; the hard limit is \(limit.rlim_max)")
        }
    }

    @Test func sigtermDuringAThousandStreamsFinishesOrCleanlyCutsEachAndExits0() throws {
        let streams = 1000
        try allowOpenFiles(streams + 200)
        let script = try temporaryFile("responses:\n  x: \"\(Self.shutdownReply)\"\n")
        let (process, port, _) = try startServer(["serve", "--port", "0", "--responses", script.path, "--drain-timeout", "10"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Even streams take about 1 s and finish within the drain time; odd ones would take
        // 20 minutes and are cut when it ends.
        var clients: [RawClient] = []
        for i in 0..<streams {
            let client = try RawClient(port: port, timeout: 30)
            try client.send(pacedStream(itlMilliseconds: i % 2 == 0 ? 50 : 60_000))
            #expect(try client.readHead().status == 200)
            clients.append(client)
        }
        kill(process.processIdentifier, SIGTERM)

        var finished = 0, cut = 0
        for (i, client) in clients.enumerated() {
            let (chunks, end) = try client.readChunksUntilEnd()
            let text = content(of: chunks)
            #expect(text != nil, "stream \(i) has an event that is not whole")
            if i % 2 == 0 {
                #expect(end == .lastChunk && text == Self.shutdownReply, "stream \(i) did not finish: \(end)")
                #expect(client.waitForClose(), "stream \(i)'s connection stays open after its stream")
                if end == .lastChunk { finished += 1 }
            } else {
                #expect(end == .closedBetweenChunks, "stream \(i) ended \(end)")
                if end == .closedBetweenChunks { cut += 1 }
            }
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(finished == streams / 2)
        #expect(cut == streams / 2)
    }
}
