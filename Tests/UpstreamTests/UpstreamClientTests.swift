import Foundation
import MockLLMCore
import MockLLMLoop
import MockLLMUpstream
import Testing

/// The upstream client against a real local server (Tests/Upstream/upstream.py) over HTTPS with a
/// CA made at test time, and over plain HTTP. Each test runs its own loop on its own thread.
@Suite(.serialized)
struct UpstreamClientTests {
    let server: UpstreamServer

    init() throws {
        server = try UpstreamServer.get()
    }

    private var trusting: UpstreamConfiguration {
        UpstreamConfiguration(caFile: server.caFile, proxy: .none)
    }

    @Test func getOverHTTPSDeliversHeadersAndBodyExactly() throws {
        let harness = try Harness(trusting)
        let recorder = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/hello")), recorder)
        harness.run()
        recorder.expectWellFormed()
        #expect(recorder.end == .success)
        let head = try #require(recorder.head)
        #expect(head.status == 200)
        #expect(head.reason == "OK")
        #expect(head.value(of: "x-test") == "one")
        #expect(head.headers.filter { $0.name == "X-Multi" }.map(\.value) == ["a", "b"])
        #expect(head.value(of: "Content-Length") == "16")
        #expect(recorder.body == "hello over https")
    }

    @Test func postOverHTTPSSendsTheBodyAndOnlyTheGivenHeaders() throws {
        let harness = try Harness(trusting)
        let json = Array(#"{"model":"gpt-4o","messages":[{"role":"user","content":"héllo"}]}"#.utf8) + [0, 1, 255]
        let small = harness.recorder()
        harness.send(
            UpstreamRequest(
                method: "POST", url: server.url("/echo"),
                headers: [("Content-Type", "application/json"), ("X-Custom", "v 1"), ("Content-Length", "999"), ("Connection", "close")],
                body: json),
            small)
        // Above libcurl's 1 MiB threshold for `Expect: 100-continue`, which the client removes.
        let large = (0..<(2 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let big = harness.recorder()
        harness.send(UpstreamRequest(method: "PUT", url: server.url("/echo"), body: large), big)
        harness.run()

        small.expectWellFormed()
        #expect(small.end == .success)
        let head = try #require(small.head)
        #expect(head.status == 201)
        #expect(small.chunks.joined().elementsEqual(json))
        #expect(head.value(of: "X-Method") == "POST")
        #expect(head.value(of: "X-Got-Content-Type") == "application/json")
        #expect(head.value(of: "X-Got-Custom") == "v 1")
        #expect(head.value(of: "X-Got-Accept") == "none")
        #expect(head.value(of: "X-Got-Length") == "\(json.count)")

        big.expectWellFormed()
        #expect(big.end == .success)
        #expect(big.head?.value(of: "X-Method") == "PUT")
        #expect(big.head?.value(of: "X-Got-Expect") == "none")
        #expect(big.head?.value(of: "X-Got-Content-Type") == "none")
        #expect(big.chunks.joined().elementsEqual(large))
    }

    @Test func plainHTTPAndInterimResponsesAreSkipped() throws {
        let harness = try Harness(UpstreamConfiguration(proxy: .none))
        let hello = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/hello", tls: false)), hello)
        let interim = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/continue", tls: false)), interim)
        harness.run()
        hello.expectWellFormed()
        #expect(hello.end == .success)
        #expect(hello.body == "hello over http")
        interim.expectWellFormed()
        #expect(interim.end == .success)
        #expect(interim.head?.status == 200)
        #expect(interim.head?.value(of: "X-Final") == "yes")
        #expect(interim.head?.value(of: "Link") == nil)
        #expect(interim.body == "after interim")
    }

    @Test func aCertificateFromAnotherCAIsRefused() throws {
        let harness = try Harness(UpstreamConfiguration(caFile: server.otherCAFile, proxy: .none))
        let recorder = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/hello")), recorder)
        harness.run()
        recorder.expectWellFormed()
        #expect(recorder.head == nil)
        #expect(recorder.chunks.isEmpty)
        let failure = try #require(recorder.failure)
        #expect(failure.kind == .tls)
        #expect(!failure.message.isEmpty)
    }

    @Test func theSystemStoreDoesNotTrustTheTestCA() throws {
        let harness = try Harness(UpstreamConfiguration(proxy: .none))
        let recorder = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/hello")), recorder)
        harness.run()
        recorder.expectWellFormed()
        #expect(recorder.failure?.kind == .tls)
    }

    @Test func aRefusedConnectionAndAnUnknownHostAreFailures() throws {
        let harness = try Harness(UpstreamConfiguration(proxy: .none))
        let refused = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(try closedPort())/"), refused)
        let unknown = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: "https://no-such-host.invalid/"), unknown)
        harness.run()
        refused.expectWellFormed()
        #expect(refused.failure?.kind == .connect)
        unknown.expectWellFormed()
        #expect(unknown.failure?.kind == .dns)
    }

    /// A listener that never accepts: the kernel completes TCP's handshake, nobody answers TLS's,
    /// so the connect phase (which includes the TLS handshake) runs out.
    @Test func aTLSHandshakeWithNoAnswerRunsOutOfConnectTime() throws {
        let (fd, port) = try listeningSocket()
        defer { close(fd) }
        let harness = try Harness(UpstreamConfiguration(connectTimeout: 300, firstByteTimeout: 0, idleTimeout: 0, proxy: .none))
        let recorder = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: "https://127.0.0.1:\(port)/"), recorder)
        let started = ContinuousClock.now
        harness.run()
        #expect(ContinuousClock.now - started < .milliseconds(2500))
        recorder.expectWellFormed()
        #expect(recorder.failure?.kind == .timeout(.connect))
    }

    @Test func a500IsAResponseNotAFailure() throws {
        let harness = try Harness(trusting)
        let recorder = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/status/500")), recorder)
        harness.run()
        recorder.expectWellFormed()
        #expect(recorder.end == .success)
        #expect(recorder.head?.status == 500)
        #expect(recorder.body == #"{"error":{"message":"upstream broke"}}"#)
    }

    /// The server sends four events, then waits until it is told (by a second request, which this
    /// client sends when the first chunk arrives) before it sends the last: the last event can
    /// only arrive if the first was delivered while the server still held it.
    @Test func serverSentEventsArriveChunkByChunkAsTheServerFlushesThem() throws {
        let harness = try Harness(trusting)
        let gate = UUID().uuidString
        let stream = harness.recorder()
        let release = harness.recorder()
        var releasedAfterChunks = -1
        stream.onChunk = { [unowned harness, server] _, _ in
            guard releasedAfterChunks < 0 else { return }
            releasedAfterChunks = stream.chunks.count
            #expect(!stream.body.contains("[DONE]"))
            harness.send(UpstreamRequest(method: "GET", url: server.url("/release?gate=\(gate)")), release)
        }
        harness.send(UpstreamRequest(method: "GET", url: server.url("/sse?gate=\(gate)")), stream)
        harness.run()
        stream.expectWellFormed()
        #expect(stream.end == .success)
        #expect(stream.head?.value(of: "Content-Type") == "text/event-stream")
        #expect(stream.body == "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\ndata: [DONE]\n\n")
        #expect(releasedAfterChunks >= 1)
        #expect(stream.chunks.count >= 2)
        release.expectWellFormed()
        #expect(release.body == "released")
    }

    @Test func aStreamCutMidwayFailsAfterThePartialBody() throws {
        let harness = try Harness(trusting)
        let chunked = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/cut")), chunked)
        let sized = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/cut-length", tls: false)), sized)
        harness.run()
        chunked.expectWellFormed()
        #expect(chunked.head?.status == 200)
        #expect(chunked.body == "data: 1\n\ndata: 2\n\n")
        #expect(chunked.failure?.kind == .cut)
        sized.expectWellFormed()
        #expect(sized.body == "0123456789")
        #expect(sized.failure?.kind == .cut)
    }

    @Test func aSlowUpstreamTimesOutBeforeItsHeadAndBetweenChunks() throws {
        let harness = try Harness(
            UpstreamConfiguration(caFile: server.caFile, firstByteTimeout: 300, idleTimeout: 300, proxy: .none))
        let silent = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/slow-head?ms=3000")), silent)
        let stalled = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/slow-body?ms=3000")), stalled)
        let started = ContinuousClock.now
        harness.run()
        #expect(ContinuousClock.now - started < .milliseconds(2500))
        silent.expectWellFormed()
        #expect(silent.head == nil)
        #expect(silent.failure?.kind == .timeout(.firstByte))
        stalled.expectWellFormed()
        #expect(stalled.head?.status == 200)
        #expect(stalled.body == "data: first\n\n")
        #expect(stalled.failure?.kind == .timeout(.idle))
    }

    @Test func cancelMidStreamEndsOnceWithNoFurtherChunks() throws {
        let harness = try Harness(trusting)
        // Cancelled from inside its own body callback, after three chunks.
        let inside = harness.recorder()
        var chunksAtCancel = -1
        inside.onChunk = { transfer, _ in
            if inside.chunks.count == 3 {
                chunksAtCancel = inside.chunks.count
                transfer.cancel()
                transfer.cancel()
            }
        }
        harness.send(UpstreamRequest(method: "GET", url: server.url("/long")), inside)
        // Cancelled from a timer (outside libcurl) once its head and a chunk have arrived.
        let outside = harness.recorder()
        var outsideAtCancel = -1
        var timer: LoopTimer?
        outside.onChunk = { [unowned harness] transfer, _ in
            guard timer == nil else { return }
            timer = LoopTimer(loop: harness.loop) {
                outsideAtCancel = outside.chunks.count
                transfer.cancel()
                #expect(outside.endCount == 1)  // delivered before cancel() returned
                timer?.close()
            }
            timer?.start(after: 50)
        }
        harness.send(UpstreamRequest(method: "GET", url: server.url("/long", tls: false)), outside)
        harness.run()
        inside.expectWellFormed()
        #expect(inside.failure?.kind == .cancelled)
        #expect(inside.chunks.count == chunksAtCancel)
        outside.expectWellFormed()
        #expect(outside.failure?.kind == .cancelled)
        #expect(outsideAtCancel >= 1)
        #expect(outside.chunks.count == outsideAtCancel)
    }

    @Test(arguments: [4, 64])
    func fiftyConcurrentTransfers(maxConcurrent: Int) throws {
        let harness = try Harness(
            UpstreamConfiguration(caFile: server.caFile, proxy: .none, maxConcurrentTransfers: maxConcurrent))
        var mostRunning = 0
        let recorders = (0..<50).map { i in
            let recorder = harness.recorder()
            recorder.onHead = { [unowned harness] _, _ in mostRunning = max(mostRunning, harness.client.runningCount) }
            harness.send(UpstreamRequest(method: "GET", url: server.url("/n/\(i)", tls: i % 2 == 0)), recorder)
            return recorder
        }
        #expect(harness.client.runningCount == min(50, maxConcurrent))
        #expect(harness.client.queuedCount == 50 - min(50, maxConcurrent))
        harness.run(guardMilliseconds: 60_000)
        for (i, recorder) in recorders.enumerated() {
            recorder.expectWellFormed()
            #expect(recorder.end == .success)
            #expect(recorder.body == "n=\(i)")
        }
        #expect(mostRunning <= maxConcurrent)
        #expect(mostRunning >= 2)
    }

    @Test func closingTheClientEndsEveryTransferInFlightAndQueued() throws {
        let harness = try Harness(
            UpstreamConfiguration(caFile: server.caFile, proxy: .none, maxConcurrentTransfers: 3))
        let recorders = (0..<5).map { i in
            let recorder = harness.recorder()
            harness.send(UpstreamRequest(method: "GET", url: server.url("/long", tls: i % 2 == 0)), recorder)
            return recorder
        }
        // Closed from inside a body callback once every running transfer has had a chunk.
        var chunksAtClose: [Int] = []
        for recorder in recorders.prefix(3) {
            recorder.onChunk = { [unowned harness] _, _ in
                guard chunksAtClose.isEmpty, recorders.prefix(3).allSatisfy({ !$0.chunks.isEmpty }) else { return }
                chunksAtClose = recorders.map(\.chunks.count)
                harness.client.close()
                #expect(recorders.allSatisfy { $0.end == nil })  // after libcurl returns, not inside it
            }
        }
        var afterClose: UpstreamTransfer?
        let late = Recorder()
        recorders[4].onEnd = { [unowned harness] _ in
            afterClose = harness.client.send(UpstreamRequest(method: "GET", url: server.url("/hello")), to: late)
        }
        harness.run()
        for recorder in recorders {
            recorder.expectWellFormed()
            #expect(recorder.failure?.kind == .closed)
        }
        #expect(recorders.map(\.chunks.count) == chunksAtClose)
        #expect(chunksAtClose.suffix(2) == [0, 0])
        #expect(afterClose?.hasEnded == true)
        #expect(late.failure?.kind == .closed)
        #expect(harness.client.isClosed)
    }

    @Test func aProxyTunnelsHTTPSAndForwardsPlainHTTP() throws {
        let proxy = UpstreamProxy.url("http://127.0.0.1:\(server.plainPort)")
        let harness = try Harness(UpstreamConfiguration(caFile: server.caFile, proxy: proxy))
        let tunnelled = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/hello")), tunnelled)
        let forwarded = harness.recorder()
        harness.send(UpstreamRequest(method: "GET", url: server.url("/hello", tls: false)), forwarded)
        harness.run()
        tunnelled.expectWellFormed()
        #expect(tunnelled.end == .success)
        #expect(tunnelled.head?.status == 200)
        #expect(tunnelled.head?.value(of: "X-Proxy") == nil)  // the CONNECT answer is not the head
        #expect(tunnelled.body == "hello over https")
        forwarded.expectWellFormed()
        #expect(forwarded.head?.value(of: "X-Request-Form") == "absolute-form")
    }

    /// With no transfer left the client keeps no handle active (its kept-alive connection is not
    /// watched, its timer is unreferenced), so a loop whose work is done ends even before
    /// `close()`, and the client still serves the next transfer.
    @Test func anIdleClientDoesNotKeepTheLoopAlive() throws {
        let loop = try EventLoop()
        let client = try UpstreamClient(loop: loop, configuration: trusting)
        let first = Recorder()
        client.send(UpstreamRequest(method: "GET", url: server.url("/hello")), to: first)
        var guardFired = false
        let guardTimer = LoopTimer(loop: loop) {
            guardFired = true
            client.close()
        }
        guardTimer.start(after: 10_000)
        guardTimer.unref()
        loop.run()
        #expect(!guardFired)
        #expect(first.end == .success)
        #expect(!client.isClosed)
        let second = Recorder()
        client.send(UpstreamRequest(method: "GET", url: server.url("/hello")), to: second)
        loop.run()
        #expect(second.end == .success)
        #expect(second.body == "hello over https")
        client.close()
        guardTimer.close()
        loop.run()
        #expect(loop.openHandleCount == 0)
    }

    /// A port nothing listens on: bound, then closed.
    private func closedPort() throws -> Int {
        let (fd, port) = try boundSocket()
        close(fd)
        return port
    }

    /// A socket listening on an ephemeral loopback port, which nobody accepts from.
    private func listeningSocket() throws -> (Int32, Int) {
        let (fd, port) = try boundSocket()
        try #require(listen(fd, 16) == 0)
        return (fd, port)
    }

    private func boundSocket() throws -> (Int32, Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        try #require(bound)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }
}
