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

/// Hundreds of paced streams in flight at once, OpenAI and Anthropic together, each read from its
/// own socket to its end and checked whole: HTTP/1.1 chunked framing, SSE events, the exact reply
/// text in order, the terminator last, one id per stream. Some connections then carry a second
/// stream (keep-alive). Nothing here is timed: the deadline only turns a hang into a failure.
///
/// One thread drives every socket with poll(). Every stream has its own prompt and its own reply
/// of numbered words, so a chunk lost, repeated, reordered or delivered to the wrong connection
/// changes some stream's text.
@Suite("Hundreds of concurrent streams over real sockets", .serialized)
struct ConcurrentStreamsEndToEndTests {
    /// Connections per protocol, all opened and sent before any stream is read.
    static let connectionsPerWire = 300
    /// Every this-many-th connection asks for a second stream once its first one has ended.
    static let keepAliveEvery = 5
    static let wordsPerReply = 60
    /// Only there so that a stuck stream fails the test instead of hanging it.
    static let deadline: TimeInterval = 180

    /// Stream `n`'s reply: 60 words no other stream uses; every tenth carries a quote and a
    /// non-ASCII letter, for the JSON escaping and for chunking by Unicode scalars.
    static func reply(_ n: Int) -> String {
        (1...wordsPerReply).map { w in w % 10 == 0 ? "s\(n)w\(w)\"é\"" : "s\(n)w\(w)" }.joined(separator: " ")
    }

    static func prompt(_ n: Int) -> String { "stream \(n)" }

    @Test func everyOneOfHundredsOfConcurrentStreamsArrivesWholeAndInOrder() throws {
        let connectionCount = Self.connectionsPerWire * Wire.allCases.count
        // Stream numbers: the first stream of connection c is c; second streams follow.
        var plans: [(wire: Wire, streams: [Int])] = []
        var next = connectionCount
        for c in 0..<connectionCount {
            let wire: Wire = c % 2 == 0 ? .openai : .anthropic
            var streams = [c]
            if c % Self.keepAliveEvery == 0 {
                streams.append(next)
                next += 1
            }
            plans.append((wire, streams))
        }
        let streamCount = next
        var responses: [String: String] = [:]
        for n in 0..<streamCount { responses[Self.prompt(n)] = Self.reply(n) }
        // The script paces by word every 3 ms after 20 ms; requests override some of it (below).
        let pacing = Pacing.profile(Pacing.Profile(timeToFirstToken: 20_000_000, interval: .perChunk(3_000_000)), chunking: .word)

        try withServer(script: Script(responses: responses, pacing: pacing)) { server in
            let driver = StreamDriver(port: server.port, deadline: Date().addingTimeInterval(Self.deadline))
            defer { driver.closeAll() }
            for plan in plans {
                try driver.open(wire: plan.wire, streams: plan.streams)
            }
            try driver.run()

            if !driver.failures.isEmpty {
                Issue.record("\(driver.failures.count) failure(s); the first ones:\n\(driver.failures.prefix(10).joined(separator: "\n"))")
            }
            #expect(driver.completed.count == streamCount, "\(driver.completed.count) of \(streamCount) streams completed")
            let ids = Set(driver.completed.map(\.id))
            #expect(ids.count == driver.completed.count, "every stream has an id of its own")
            let requestIds = Set(driver.completed.map(\.requestId))
            #expect(requestIds.count == driver.completed.count, "every stream has a request id of its own")
            let secondStreams = driver.completed.filter(\.onReusedConnection).count
            #expect(secondStreams == streamCount - connectionCount, "keep-alive: a second stream on every fifth connection")
            #expect(driver.peakInFlight == connectionCount, "every connection's first request outstanding at once")
            print("concurrent streams: \(driver.completed.count) complete (\(secondStreams) on reused connections), "
                + "up to \(driver.peakInFlight) in flight at once, \(driver.eventCount) events")

            // The server is still serving after all that.
            let client = try server.client(timeout: 10)
            try client.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().status == 200)
        }
    }
}

/// What one stream turned out to be, once checked.
private struct CompletedStream {
    var number: Int
    var id: String
    var requestId: String
    var onReusedConnection: Bool
}

/// Drives every connection from one thread with poll(): sends each connection's requests one
/// after the other and de-chunks its responses as bytes arrive.
private final class StreamDriver {
    let port: Int
    let deadline: Date
    private var connections: [StreamConnection] = []
    private(set) var completed: [CompletedStream] = []
    private(set) var failures: [String] = []
    private(set) var peakInFlight = 0
    private(set) var eventCount = 0
    private var scratch = [UInt8](repeating: 0, count: 65_536)

    init(port: Int, deadline: Date) {
        self.port = port
        self.deadline = deadline
    }

    /// Connects (blocking, loopback), then switches the socket to non-blocking.
    func open(wire: Wire, streams: [Int]) throws {
        let fd: Int32
        do {
            fd = try connectLoopback(port: port) { fd in
                var timeout = timeval(tv_sec: 10, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            }
        } catch {
            throw TestFailure("connection #\(connections.count + 1): \(error)")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        connections.append(StreamConnection(fd: fd, wire: wire, streams: streams))
    }

    func closeAll() {
        for connection in connections where connection.fd >= 0 { connection.close() }
    }

    /// Sends every first request, then reads until every stream has ended or failed, or the
    /// deadline passes (which fails the streams still open).
    func run() throws {
        for connection in connections { startNext(connection) }
        var fds: [pollfd] = []
        var polled: [StreamConnection] = []
        while true {
            fds.removeAll(keepingCapacity: true)
            polled.removeAll(keepingCapacity: true)
            var inFlight = 0
            for connection in connections where !connection.isDone {
                if connection.current != nil { inFlight += 1 }
                let events = Int16(POLLIN) | (connection.hasOutput ? Int16(POLLOUT) : 0)
                fds.append(pollfd(fd: connection.fd, events: events, revents: 0))
                polled.append(connection)
            }
            peakInFlight = max(peakInFlight, inFlight)
            if polled.isEmpty { return }
            if Date() > deadline {
                let stuck = polled.prefix(5).map(\.describeState).joined(separator: "\n")
                failures.insert("\(polled.count) connection(s) still open after the \(Int(ConcurrentStreamsEndToEndTests.deadline)) s deadline; for example:\n\(stuck)", at: 0)
                for connection in polled { connection.close() }
                return
            }
            let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 500) }
            if ready < 0 {
                if errno == EINTR { continue }
                throw TestFailure("poll failed: errno \(errno)")
            }
            for (i, connection) in polled.enumerated() where fds[i].revents != 0 {
                let revents = fds[i].revents
                if revents & Int16(POLLOUT) != 0 { flush(connection) }
                if revents & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0, !connection.isDone {
                    receive(connection)
                }
            }
        }
    }

    private func fail(_ connection: StreamConnection, _ message: String) {
        failures.append("\(connection.wire.rawValue) stream \(connection.current.map(String.init) ?? "-") (fd \(connection.fd)): \(message)")
        connection.failed = true
        connection.close()
    }

    /// Queues the connection's next request, or closes it when it has none left.
    private func startNext(_ connection: StreamConnection) {
        guard !connection.pending.isEmpty else {
            connection.current = nil
            connection.close()
            return
        }
        let number = connection.pending.removeFirst()
        connection.current = number
        connection.output = Array(request(number, connection.wire, secondOnConnection: connection.streamsDone > 0).utf8)
        connection.outputSent = 0
        flush(connection)
    }

    /// The request for stream `number`. Anthropic streams and second streams set their own
    /// pacing and chunking with the override headers, so several schedules share the loop.
    private func request(_ number: Int, _ wire: Wire, secondOnConnection: Bool) -> String {
        var chat = Chat(ConcurrentStreamsEndToEndTests.prompt(number))
        if secondOnConnection {
            chat.headers = [("x-mockllm-chunking", "token"), ("x-mockllm-itl-ms", "2")]
        } else if wire == .anthropic {
            chat.headers = [("x-mockllm-chunking", "characters:7"), ("x-mockllm-itl-ms", "2"), ("x-mockllm-ttft-ms", "30")]
        }
        return chat.request(Mode(wire: wire, stream: true))
    }

    private func flush(_ connection: StreamConnection) {
        while connection.hasOutput {
            let n = connection.output[connection.outputSent...].withUnsafeBytes {
                Glibc.send(connection.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                connection.outputSent += n
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                return
            } else if n < 0, errno == EINTR {
                continue
            } else {
                fail(connection, "send failed: errno \(errno)")
                return
            }
        }
    }

    /// Reads what is there, then takes out every response it completes.
    private func receive(_ connection: StreamConnection) {
        var sawEnd = false
        while true {
            let n = scratch.withUnsafeMutableBytes { recv(connection.fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                connection.input.append(contentsOf: scratch[0..<n])
                if n < scratch.count { break }
            } else if n == 0 {
                sawEnd = true
                break
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else if errno == EINTR {
                continue
            } else {
                fail(connection, "recv failed: errno \(errno) (\(connection.describeState))")
                return
            }
        }
        do {
            while let response = try connection.decoder.next(&connection.input) {
                guard let number = connection.current else {
                    fail(connection, "a response nobody asked for: \(response.head.status)")
                    return
                }
                let checked = try StreamCheck.check(response, wire: connection.wire, reply: ConcurrentStreamsEndToEndTests.reply(number))
                eventCount += checked.events
                completed.append(CompletedStream(number: number, id: checked.id, requestId: checked.requestId,
                                                 onReusedConnection: connection.streamsDone > 0))
                connection.streamsDone += 1
                startNext(connection)
                if connection.isDone { return }
            }
        } catch {
            fail(connection, "\(error)")
            return
        }
        if sawEnd {
            fail(connection, "the server closed the connection mid-stream (\(connection.describeState))")
        }
    }
}

/// One client socket and the state of its current response.
private final class StreamConnection {
    private(set) var fd: Int32
    let wire: Wire
    var pending: [Int]
    /// The stream whose request was sent and whose response has not ended.
    var current: Int?
    var streamsDone = 0
    var failed = false
    var output: [UInt8] = []
    var outputSent = 0
    var input: [UInt8] = []
    var decoder = ChunkedDecoder()

    init(fd: Int32, wire: Wire, streams: [Int]) {
        self.fd = fd
        self.wire = wire
        pending = streams
    }

    var isDone: Bool { fd < 0 }
    var hasOutput: Bool { outputSent < output.count }

    func close() {
        guard fd >= 0 else { return }
        Glibc.close(fd)
        fd = -1
    }

    var describeState: String {
        "\(wire.rawValue) stream \(current.map(String.init) ?? "-"), \(streamsDone) done, "
            + "\(outputSent)/\(output.count) request bytes sent, \(decoder.describeState) with \(input.count) bytes unparsed"
    }
}

/// A response read off the wire: its head and its de-chunked body.
private struct StreamedResponse {
    var head: TestResponse
    var body: [UInt8]
    var chunkCount: Int
}

/// Decodes HTTP/1.1 responses with a chunked body incrementally: consumes what it can from the
/// front of the input and keeps its place between calls. Strict: a chunk size is bare hex,
/// every chunk is followed by CRLF, the last chunk has no trailers.
private struct ChunkedDecoder {
    private enum Phase {
        case head
        case size
        case data(Int)
        case end
    }

    private var phase = Phase.head
    private var head: TestResponse?
    private var body: [UInt8] = []
    private var chunkCount = 0

    var describeState: String {
        switch phase {
        case .head: "waiting for a response head"
        case .size: "after \(chunkCount) chunk(s) (\(body.count) body bytes), waiting for a chunk size"
        case .data(let size): "inside chunk \(chunkCount + 1) of \(size) bytes"
        case .end: "after the last chunk, waiting for its CRLF"
        }
    }

    /// The next complete response at the front of `input` (removed from it), or nil until more arrives.
    mutating func next(_ input: inout [UInt8]) throws -> StreamedResponse? {
        var cursor = 0
        defer { if cursor > 0 { input.removeFirst(cursor) } }
        while true {
            switch phase {
            case .head:
                guard let end = Self.find(crlfcrlf: input, from: cursor) else {
                    if input.count - cursor > 16_384 { throw TestFailure("no end of the response head in 16 KiB") }
                    return nil
                }
                let response = try TestResponse(head: String(decoding: input[cursor..<end], as: UTF8.self) + "\r\n")
                cursor = end + 4
                guard response.status == 200 else {
                    throw TestFailure("status \(response.status), body start: \(String(decoding: input[cursor...].prefix(300), as: UTF8.self))")
                }
                guard response.header("transfer-encoding") == "chunked", response.header("content-length") == nil else {
                    throw TestFailure("a stream must be chunked without a length: \(response.headers)")
                }
                head = response
                body.removeAll(keepingCapacity: true)
                chunkCount = 0
                phase = .size
            case .size:
                guard let lineEnd = Self.find(crlf: input, from: cursor) else {
                    if input.count - cursor > 16 { throw TestFailure("a chunk size line longer than 16 bytes") }
                    return nil
                }
                let line = input[cursor..<lineEnd]
                guard !line.isEmpty, line.count <= 8, line.allSatisfy(Self.isHexDigit),
                      let size = Int(String(decoding: line, as: UTF8.self), radix: 16) else {
                    throw TestFailure("bad chunk size line '\(String(decoding: line, as: UTF8.self))' after \(chunkCount) chunk(s)")
                }
                cursor = lineEnd + 2
                phase = size == 0 ? .end : .data(size)
            case .data(let size):
                guard input.count - cursor >= size + 2 else { return nil }
                body.append(contentsOf: input[cursor..<cursor + size])
                guard input[cursor + size] == 13, input[cursor + size + 1] == 10 else {
                    throw TestFailure("chunk \(chunkCount + 1) of \(size) bytes is not followed by CRLF")
                }
                chunkCount += 1
                cursor += size + 2
                phase = .size
            case .end:
                guard input.count - cursor >= 2 else { return nil }
                guard input[cursor] == 13, input[cursor + 1] == 10 else {
                    throw TestFailure("the last chunk is followed by trailers or garbage, not CRLF")
                }
                cursor += 2
                phase = .head
                guard cursor == input.count else {
                    throw TestFailure("\(input.count - cursor) byte(s) after the end of a stream, before the next request")
                }
                let response = StreamedResponse(head: head!, body: body, chunkCount: chunkCount)
                head = nil
                body = []
                return response
            }
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (97...102).contains(byte) || (65...70).contains(byte)
    }

    private static func find(crlf input: [UInt8], from start: Int) -> Int? {
        input.withUnsafeBufferPointer { bytes in
            var i = start
            while i + 1 < bytes.count {
                if bytes[i] == 13, bytes[i + 1] == 10 { return i }
                i += 1
            }
            return nil
        }
    }

    private static func find(crlfcrlf input: [UInt8], from start: Int) -> Int? {
        input.withUnsafeBufferPointer { bytes in
            var i = start
            while i + 3 < bytes.count {
                if bytes[i] == 13, bytes[i + 1] == 10, bytes[i + 2] == 13, bytes[i + 3] == 10 { return i }
                i += 1
            }
            return nil
        }
    }
}

/// The checks every stream must pass, whichever protocol.
private enum StreamCheck {
    struct Result {
        var id: String
        var requestId: String
        var events: Int
    }

    static func check(_ response: StreamedResponse, wire: Wire, reply: String) throws -> Result {
        guard response.head.header("content-type") == "text/event-stream; charset=utf-8" else {
            throw TestFailure("content-type \(response.head.header("content-type") ?? "none")")
        }
        let requestIdHeader = wire == .openai ? "x-request-id" : "request-id"
        guard let requestId = response.head.header(requestIdHeader), requestId.hasPrefix("req_") else {
            throw TestFailure("no \(requestIdHeader) header")
        }
        guard let text = String(validating: response.body, as: UTF8.self) else { throw TestFailure("a body that is not UTF-8") }
        guard text.hasSuffix("\n\n") else { throw TestFailure("the body does not end with a complete event: …\(text.suffix(200))") }
        let events = text.dropLast(2).components(separatedBy: "\n\n")
        let (id, content) = wire == .openai ? try openAI(events) : try anthropic(events)
        guard content == reply else {
            throw TestFailure("the content deltas do not make up the reply:\n got \(content)\nwant \(reply)")
        }
        return Result(id: id, requestId: requestId, events: events.count)
    }

    /// A role event, content events, a finish event, then `data: [DONE]`; one id throughout.
    private static func openAI(_ events: [String]) throws -> (id: String, content: String) {
        guard events.count >= 3, events.last == "data: [DONE]" else {
            throw TestFailure("an OpenAI stream must end with data: [DONE], ends with \(events.last ?? "nothing")")
        }
        var id: String?
        var content = ""
        var finishReasons: [String] = []
        for (index, event) in events.dropLast().enumerated() {
            guard event.hasPrefix("data: ") else { throw TestFailure("OpenAI event #\(index) is not `data: `: \(event)") }
            let object = try json(event.dropFirst(6), index)
            guard object["object"] as? String == "chat.completion.chunk", let eventId = object["id"] as? String else {
                throw TestFailure("OpenAI event #\(index) is not a chunk with an id: \(event)")
            }
            if id == nil { id = eventId }
            guard eventId == id else { throw TestFailure("OpenAI event #\(index) has id \(eventId), the stream began with \(id!)") }
            guard let choice = (object["choices"] as? [[String: Any]])?.first, let delta = choice["delta"] as? [String: Any] else {
                throw TestFailure("OpenAI event #\(index) has no choices[0].delta: \(event)")
            }
            if index == 0 {
                guard delta["role"] as? String == "assistant" else { throw TestFailure("the first OpenAI event is not the role: \(event)") }
            } else if let piece = delta["content"] as? String {
                guard finishReasons.isEmpty else { throw TestFailure("content after the finish event: \(event)") }
                content += piece
            }
            if let reason = choice["finish_reason"] as? String { finishReasons.append(reason) }
        }
        guard finishReasons == ["stop"] else { throw TestFailure("finish reasons \(finishReasons), want one stop") }
        return (id!, content)
    }

    /// message_start, content_block_start, ping, text deltas, content_block_stop, message_delta,
    /// message_stop; the message id in message_start, and no other id anywhere.
    private static func anthropic(_ events: [String]) throws -> (id: String, content: String) {
        var names: [String] = []
        var id: String?
        var content = ""
        for (index, event) in events.enumerated() {
            let lines = event.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
            guard lines.count == 2, lines[0].hasPrefix("event: "), lines[1].hasPrefix("data: "), !lines[1].contains("\n") else {
                throw TestFailure("Anthropic event #\(index) is not one event line and one data line: \(event)")
            }
            let name = String(lines[0].dropFirst(7))
            let object = try json(lines[1].dropFirst(6), index)
            guard object["type"] as? String == name else { throw TestFailure("Anthropic event #\(index) is \(name) with data of another type") }
            names.append(name)
            switch name {
            case "message_start":
                guard let message = object["message"] as? [String: Any], let messageId = message["id"] as? String, !messageId.isEmpty else {
                    throw TestFailure("message_start without message.id: \(event)")
                }
                id = messageId
            case "content_block_delta":
                guard let delta = object["delta"] as? [String: Any], delta["type"] as? String == "text_delta",
                      let piece = delta["text"] as? String else {
                    throw TestFailure("a content_block_delta that is not a text_delta: \(event)")
                }
                content += piece
            default:
                if let other = object["id"] as? String, other != id { throw TestFailure("event \(name) carries another id \(other)") }
            }
        }
        let deltas = names.filter { $0 == "content_block_delta" }.count
        let expected = ["message_start", "content_block_start", "ping"] + Array(repeating: "content_block_delta", count: deltas)
            + ["content_block_stop", "message_delta", "message_stop"]
        guard deltas > 0, names == expected else {
            throw TestFailure("Anthropic event sequence \(names.filter { $0 != "content_block_delta" }) with \(deltas) deltas, not the protocol's")
        }
        return (id!, content)
    }

    private static func json(_ text: Substring, _ index: Int) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw TestFailure("event #\(index) data is not a JSON object: \(text)")
        }
        return object
    }
}
