import Foundation
@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import Synchronization
import TestSupport
import Testing

/// Hot reload over real sockets: the server watches its script file, and edits (in place, by an
/// editor's write-and-rename, broken ones, deletion) reach the next request while every request
/// in flight, streams included, completes from the script it started with.
///
/// Serialized: each test edits files and waits for the watcher, and the load test wants the machine.
/// Waits poll (`eventually`) with a generous deadline: the reload comes from inotify, or from a
/// 1 s stat poll, after 150 ms of quiet, on a shared machine.
@Suite("Hot reload over real sockets", .serialized)
struct ReloadEndToEndTests {
    /// Starts a server on `file`'s current text, watching it.
    func withWatchedServer<T>(_ file: ScriptFile, log: LogCapture = LogCapture(), _ body: (TestServer) throws -> T) throws -> T {
        let text = try String(contentsOfFile: file.path, encoding: .utf8)
        let loaded = try ScriptLoader.parse(yaml: text, file: file.path, providers: ["openai", "anthropic"])
        return try withServer(script: loaded.script, watchedScript: .init(path: file.path, fingerprint: loaded.fingerprint),
                              logger: log.logger, body)
    }

    /// Asks through both protocols, alternately, until `text` is the answer.
    func eventuallyAnswers(_ text: String, _ server: TestServer) throws {
        let client = try server.client()
        var turn = 0
        try eventually("the server answers \"\(text)\"") {
            turn += 1
            let mode = Mode.all[turn % Mode.all.count]
            let result = try client.chat("anything", mode)
            #expect(result.status == 200)
            return result.text == text
        }
        for mode in Mode.all { #expect(try client.chat("anything", mode).text == text, "\(mode.testDescription)") }
    }

    @Test func anEditIsAnsweredByTheNextRequest() throws {
        let file = try ScriptFile(ScriptFile.oneRule("alpha", "alpha reply"))
        let log = LogCapture()
        try withWatchedServer(file, log: log) { server in
            let client = try server.client()
            for mode in Mode.all { #expect(try client.chat("hi", mode).text == "alpha reply") }
            try file.write(ScriptFile.oneRule("bravo", "bravo reply"))
            try eventuallyAnswers("bravo reply", server)
            #expect(try client.chat("hi", Mode.all[0]).rule == "rule bravo", "an open keep-alive connection sees the edit too")
            try eventually("the reload is logged") { log.messages.contains { $0.hasPrefix("reloaded \(file.path) (0 responses, 1 rule") } }
        }
    }

    @Test func anEditorsWriteAndRenameIsSeen() throws {
        let file = try ScriptFile(ScriptFile.oneRule("alpha", "alpha reply"))
        try withWatchedServer(file) { server in
            #expect(try server.client().chat("hi", Mode.all[2]).text == "alpha reply")
            try file.replace(ScriptFile.oneRule("bravo", "bravo reply"))
            try eventuallyAnswers("bravo reply", server)
            try file.replace(ScriptFile.oneRule("charlie", "charlie reply"))
            try eventuallyAnswers("charlie reply", server)
        }
    }

    @Test func aBrokenEditKeepsTheLastGoodScriptUntilAGoodOne() throws {
        let file = try ScriptFile(ScriptFile.oneRule("alpha", "alpha reply"))
        let log = LogCapture()
        try withWatchedServer(file, log: log) { server in
            let client = try server.client()
            try file.write("rules:\n  - name: broken\n    reply: [unclosed\n")
            try eventually("the broken edit is logged") { log.errors.count == 1 }
            #expect(log.errors[0].hasPrefix("\(file.path):4:1: error: invalid YAML"), "\(log.errors)")
            #expect(log.errors[0].hasSuffix("; keeping the last good script"))
            for mode in Mode.all { #expect(try client.chat("hi", mode).text == "alpha reply") }

            // Valid YAML, invalid script: every problem counted, the first one located.
            try file.replace("rules:\n  - name: bad\n    error: {status: 200}\n  - reply: \"{{nope}}\"\n")
            try eventually("the second broken edit is logged") { log.errors.count == 2 }
            #expect(log.errors[1] == "\(file.path):3:21: error: 'rules[0].error.status' must be an HTTP error status (400-599), "
                + "found 200 (and 1 more); keeping the last good script")
            // The stat poll sees the same broken edit a second later; it is not logged again.
            // Something that does not happen, and leaves no trace when it does not: it cannot be
            // awaited, only given the time to happen, the 1 s poll and the 150 ms debounce.
            Thread.sleep(forTimeInterval: 1.5)
            #expect(log.errors.count == 2)
            for mode in Mode.all { #expect(try client.chat("hi", mode).text == "alpha reply") }

            try file.write(ScriptFile.oneRule("charlie", "charlie reply"))
            try eventuallyAnswers("charlie reply", server)
            try eventually("the recovery is logged") { log.messages.contains { $0.hasPrefix("fixed and reloaded \(file.path)") } }
        }
    }

    @Test func aDeletedFileKeepsTheScriptAndItsReturnIsSeen() throws {
        let file = try ScriptFile(ScriptFile.oneRule("alpha", "alpha reply"))
        let log = LogCapture()
        try withWatchedServer(file, log: log) { server in
            let client = try server.client()
            try file.delete()
            try eventually("the missing file is logged") { log.errors.count == 1 }
            #expect(log.errors[0] == "\(file.path):1:1: error: file does not exist; keeping the last good script")
            for mode in Mode.all { #expect(try client.chat("hi", mode).text == "alpha reply") }
            try file.write(ScriptFile.oneRule("bravo", "bravo reply"))
            try eventuallyAnswers("bravo reply", server)
            try file.delete()
            try eventually("the second deletion is logged") { log.errors.count == 2 }
            try file.replace(ScriptFile.oneRule("charlie", "charlie reply"))
            try eventuallyAnswers("charlie reply", server)
            // Back with the very text it had: the same script, but the log says the file is fine again.
            try file.delete()
            try eventually("the third deletion is logged") { log.errors.count == 3 }
            try file.write(ScriptFile.oneRule("charlie", "charlie reply"))
            try eventually("the recovery is logged") { log.messages.filter { $0.hasPrefix("fixed and reloaded") }.count == 3 }
            #expect(try client.chat("hi", Mode.all[3]).text == "charlie reply")
        }
    }

    /// A stream keeps the script it started with. The client reads one event, then nothing
    /// while the file is edited and the edit is seen on another connection; the stream is far
    /// larger than what the kernel and the server's write queue can hold, so the server cannot
    /// have finished it before the edit (it pauses until the client reads).
    @Test(arguments: Wire.allCases)
    func aStreamStartedBeforeAnEditFinishesWithItsOwnScript(wire: Wire) throws {
        let mode = Mode(wire: wire, stream: true)
        let sendBuffer = Self.maximumSendBuffer()
        // Each character is one event of more than 100 bytes.
        let characters = (sendBuffer + (2 << 20)) / 100
        let long = String(repeating: "old ", count: characters / 4)
        let file = try ScriptFile("rules:\n  - name: old\n    match: {prompt: start}\n    reply: \"\(long)\"\n  - reply: \"old reply\"\n")
        try withWatchedServer(file) { server in
            let streaming = try server.client(timeout: 30, receiveBuffer: 16 << 10)
            var start = Chat("start")
            start.maxTokens = 1_000_000
            try streaming.send(start.request(mode))
            let head = try streaming.readHead()
            #expect(head.status == 200)
            #expect(head.header("x-mockllm-rule") == "rule old")
            var bytes = 0
            var content = ""
            func take(_ chunk: [UInt8]) throws {
                bytes += chunk.count
                let event = String(decoding: chunk, as: UTF8.self)
                guard isContentEvent(chunk, wire) else { return }
                // One event per chunk; its text is the only JSON string after "content"/"text".
                let object = try JSONSerialization.jsonObject(with: Data(event[event.range(of: "{")!.lowerBound...].utf8)) as! [String: Any]
                if wire == .openai {
                    content += ((object["choices"] as! [[String: Any]])[0]["delta"] as! [String: Any])["content"] as! String
                } else {
                    content += (object["delta"] as! [String: Any])["text"] as! String
                }
            }
            while content.isEmpty, let chunk = try streaming.readChunk() { try take(chunk) }

            try file.write(ScriptFile.oneRule("new", "new reply"))
            try eventuallyAnswers("new reply", server)

            let (rest, end) = try streaming.readChunksUntilEnd()
            #expect(end == .lastChunk)
            for chunk in rest { try take(chunk) }
            #expect(content == long, "the whole stream is the old script's reply")
            #expect(bytes > sendBuffer + (1 << 20), "the stream could not have been buffered whole before the edit")
            try streaming.send(Chat("after").request(mode))
            let after = try ChatResult(streaming.readResponse(), mode)
            #expect(after.text == "new reply", "the next request on the same connection has the new script")
        }
    }

    /// Several clients (keep-alive, both protocols, streamed and not) ask continuously while the
    /// file is rewritten 20 times between two scripts, in place and by rename: no request fails,
    /// and every answer is wholly one script's.
    @Test func editingWhileALoadRuns() throws {
        let alpha = "alpha says hello, alpha says bye"
        let bravo = "bravo answers in a different way"
        let scripts = [ScriptFile.oneRule("alpha", alpha, pacing: "{itl_ms: 1}"), ScriptFile.oneRule("bravo", bravo, pacing: "{itl_ms: 1}")]
        let file = try ScriptFile(scripts[0])
        let expected = ["rule alpha": alpha, "rule bravo": bravo]
        try withWatchedServer(file) { server in
            let stop = Flag()
            let tally = Tally()
            let group = DispatchGroup()
            for mode in Mode.all + Mode.all {
                group.enter()
                Thread {
                    defer { group.leave() }
                    var client: RawClient?
                    while !stop.isSet {
                        do {
                            if client == nil { client = try server.client(timeout: 10) }
                            let result = try client!.chat("load", mode)
                            if result.status == 200, let rule = result.rule, let text = expected[rule], result.text == text {
                                tally.record(text: text)
                            } else {
                                tally.fail("\(mode.testDescription): \(result.status) \(result.rule ?? "-") \(result.text ?? result.response.text)")
                            }
                        } catch {
                            tally.fail("\(mode.testDescription): \(error)")
                            client = nil
                        }
                    }
                }.start()
            }
            var state = 0
            for edit in 0..<20 {
                // The edits' pace, part of the load under test (some land within the watcher's
                // debounce, some after it), not a wait.
                Thread.sleep(forTimeInterval: Double.random(in: 0.02...0.25))
                state = 1 - state
                if edit % 2 == 0 { try file.write(scripts[state]) } else { try file.replace(scripts[state]) }
                if edit == 10 {
                    // Halfway, on bravo, the load must see the new script at least once: the
                    // random pace alone can keep every reload on alpha (an edit within the
                    // watcher's debounce postpones it), which is no failure of the server.
                    try eventuallyAnswers(bravo, server)
                    try eventually("the load sees bravo") { tally.results.texts.contains(bravo) }
                }
            }
            let final = state == 0 ? alpha : bravo
            try eventuallyAnswers(final, server)
            // The load goes on a little under the last script before it stops.
            let before = tally.results.requests
            try eventually("the load goes on after the last edit") { tally.results.requests >= before + 2 * Mode.all.count }
            stop.set()
            group.wait()
            let (requests, failures, texts) = tally.results
            #expect(failures.isEmpty, "\(failures.count) failed of \(requests): \(failures.prefix(5))")
            #expect(requests > 100, "\(requests) requests")
            #expect(texts == [alpha, bravo])
        }
    }

    /// The most the kernel may buffer on the server's side of a connection (`tcp_wmem`'s maximum).
    static func maximumSendBuffer() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/tcp_wmem", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isWhitespace).last.flatMap { Int($0) } ?? 4 << 20
    }
}

private final class Tally: Sendable {
    private let state = Mutex<(requests: Int, failures: [String], texts: Set<String>)>((0, [], []))

    func record(text: String) {
        state.withLock {
            $0.requests += 1
            $0.texts.insert(text)
        }
    }

    func fail(_ why: String) {
        state.withLock {
            $0.requests += 1
            $0.failures.append(why)
        }
    }

    var results: (requests: Int, failures: [String], texts: Set<String>) { state.withLock { $0 } }
}
