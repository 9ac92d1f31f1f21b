import Foundation
import MockLLMLoop
import MockLLMUpstream
import Testing

/// Tests/Upstream/upstream.py, started once for the whole suite: a plain HTTP and an HTTPS
/// server on ephemeral ports, with a test CA (and a second CA that signed nothing) made by the
/// openssl command at start. It exits when this process closes its standard input.
final class UpstreamServer: @unchecked Sendable {
    let plainPort: Int
    let tlsPort: Int
    let caFile: String
    let otherCAFile: String
    private let process: Process
    private let input: Pipe

    static let shared: Result<UpstreamServer, UpstreamServerError> = Result { () throws(UpstreamServerError) in
        try UpstreamServer()
    }

    static func get() throws -> UpstreamServer { try shared.get() }

    private init() throws(UpstreamServerError) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Upstream/upstream.py").path
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("mockllm-upstream-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, directory]
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw UpstreamServerError(message: "cannot start python3: \(error)") }
        self.process = process
        self.input = input
        caFile = directory + "/ca.pem"
        otherCAFile = directory + "/other-ca.pem"
        // The first line, read with a deadline: poll(2) waits for it, no sleeping.
        let line = Self.readLine(from: output.fileHandleForReading.fileDescriptor, deadlineSeconds: 30)
        let parts = line?.split(separator: " ") ?? []
        guard parts.count == 3, parts[0] == "PORTS", let plain = Int(parts[1]), let tls = Int(parts[2]) else {
            process.terminate()
            let stderr = String(decoding: errors.fileHandleForReading.availableData, as: UTF8.self)
            throw UpstreamServerError(message: "upstream.py did not report its ports (\(line ?? "nothing")): \(stderr)")
        }
        plainPort = plain
        tlsPort = tls
    }

    private static func readLine(from fd: Int32, deadlineSeconds: Double) -> String? {
        let deadline = ContinuousClock.now + .milliseconds(Int(deadlineSeconds * 1000))
        var bytes: [UInt8] = []
        while ContinuousClock.now < deadline {
            let left = deadline - ContinuousClock.now
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let millis = Int32(max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            guard poll(&poller, 1, millis) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { return nil }
            if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }

    func url(_ path: String, tls: Bool = true) -> String {
        tls ? "https://127.0.0.1:\(tlsPort)\(path)" : "http://127.0.0.1:\(plainPort)\(path)"
    }
}

struct UpstreamServerError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Records what a transfer reports and checks the order: head at most once, body only after the
/// head, nothing after the end, exactly one end.
final class Recorder: UpstreamHandler {
    var head: UpstreamHead?
    var chunks: [[UInt8]] = []
    var end: UpstreamEnd?
    var endCount = 0
    var outOfOrder: [String] = []
    var onHead: (UpstreamTransfer, UpstreamHead) -> Void = { _, _ in }
    var onChunk: (UpstreamTransfer, [UInt8]) -> Void = { _, _ in }
    var onEnd: (UpstreamTransfer) -> Void = { _ in }
    /// The harness's own hook, after `onEnd`.
    var ended: () -> Void = {}

    func upstream(_ transfer: UpstreamTransfer, didReceiveHead head: UpstreamHead) {
        if self.head != nil { outOfOrder.append("second head") }
        if end != nil { outOfOrder.append("head after end") }
        self.head = head
        onHead(transfer, head)
    }

    func upstream(_ transfer: UpstreamTransfer, didReceive bytes: UnsafeRawBufferPointer) {
        if head == nil { outOfOrder.append("body before head") }
        if end != nil { outOfOrder.append("body after end") }
        let chunk = Array(bytes)
        chunks.append(chunk)
        onChunk(transfer, chunk)
    }

    func upstream(_ transfer: UpstreamTransfer, didEnd end: UpstreamEnd) {
        endCount += 1
        self.end = end
        onEnd(transfer)
        ended()
    }

    var body: String { String(decoding: chunks.joined(), as: UTF8.self) }

    var failure: UpstreamFailure? {
        if case .failure(let failure) = end { return failure }
        return nil
    }

    /// Exactly one end, and everything in order.
    func expectWellFormed(sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(endCount == 1, "ends: \(endCount)", sourceLocation: sourceLocation)
        #expect(outOfOrder.isEmpty, "\(outOfOrder)", sourceLocation: sourceLocation)
    }
}

/// One loop and one client on this thread. `run` sends what the test queued, runs the loop until
/// every recorder has its end (then closes the client) or the guard deadline passes (then closes
/// the client anyway, which ends the rest `.closed`: the test's expectations then fail, nothing
/// hangs), and checks that every loop handle was closed.
final class Harness {
    let loop: EventLoop
    let client: UpstreamClient
    private(set) var recorders: [Recorder] = []
    private var guardTimer: LoopTimer?
    private(set) var guardFired = false

    init(_ configuration: UpstreamConfiguration) throws {
        loop = try EventLoop()
        client = try UpstreamClient(loop: loop, configuration: configuration)
    }

    /// A recorder the run waits for.
    func recorder() -> Recorder {
        let recorder = Recorder()
        recorders.append(recorder)
        recorder.ended = { [unowned self] in self.finishIfDone() }
        return recorder
    }

    @discardableResult
    func send(_ request: UpstreamRequest, _ recorder: Recorder) -> UpstreamTransfer {
        client.send(request, to: recorder)
    }

    func run(guardMilliseconds: UInt64 = 20_000, sourceLocation: SourceLocation = #_sourceLocation) {
        let timer = LoopTimer(loop: loop) { [unowned self] in
            self.guardFired = true
            self.client.close()
            self.guardTimer?.close()
            self.guardTimer = nil
        }
        guardTimer = timer
        timer.start(after: guardMilliseconds)
        finishIfDone()
        loop.run()
        #expect(!guardFired, "the guard deadline passed", sourceLocation: sourceLocation)
        #expect(loop.openHandleCount == 0, sourceLocation: sourceLocation)
    }

    private func finishIfDone() {
        guard recorders.allSatisfy({ $0.end != nil }) else { return }
        client.close()
        guardTimer?.close()
        guardTimer = nil
    }
}
