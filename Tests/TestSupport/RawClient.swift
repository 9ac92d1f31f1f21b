import Foundation
import MockLLM
import MockLLMCore
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import MockLLMSimulation

#if canImport(Glibc)
import Glibc
#endif

/// A TCP socket connected to 127.0.0.1:`port` with TCP_NODELAY; `configure` runs before the
/// connect (socket options such as buffer sizes and timeouts).
package func connectLoopback(port: Int, configure: (Int32) -> Void = { _ in }) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw TestFailure("socket failed: errno \(errno)") }
    configure(fd)
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
        let error = errno
        Glibc.close(fd)
        throw TestFailure("connect to port \(port) failed: errno \(error)")
    }
    return fd
}

/// A blocking TCP client for end-to-end tests: sends exact bytes, reads exact bytes.
package final class RawClient {
    /// -1 once closed: a second close could close a descriptor another test has been given since.
    private var fd: Int32
    private var buffer: [UInt8] = []
    package private(set) var closedByPeer = false
    /// The peer closed with a reset (RST) rather than a FIN.
    package private(set) var resetByPeer = false

    /// - Parameter receiveBuffer: `SO_RCVBUF` set before connecting, to keep the server's
    ///   bytes in flight small when the test reads late (the kernel doubles the value).
    package init(port: Int, timeout: Double = 5, receiveBuffer: Int32? = nil) throws {
        fd = try connectLoopback(port: port) { fd in
            if var size = receiveBuffer {
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    package func send(_ text: String) throws { try send(Array(text.utf8)) }

    package func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw TestFailure("send failed: errno \(errno)") }
            offset += n
        }
    }

    /// Half-close: no more bytes from this side.
    package func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    /// Closes with RST instead of FIN.
    package func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        Glibc.close(fd)
        fd = -1
    }

    /// Reads more bytes into the buffer; false on EOF, throws on timeout.
    @discardableResult
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 {
            closedByPeer = true
            return false
        }
        if n < 0 {
            if errno == ECONNRESET {
                closedByPeer = true
                resetByPeer = true
                return false
            }
            throw TestFailure("read timed out or failed (errno \(errno)) with \(buffer.count) bytes buffered")
        }
        buffer.append(contentsOf: chunk[0..<n])
        return true
    }

    /// Everything until the server closes the connection.
    package func readUntilClose() throws -> [UInt8] {
        while try fill() {}
        defer { buffer.removeAll() }
        return buffer
    }

    /// True if the server closes the connection (EOF or reset) before the read timeout passes;
    /// bytes that arrive meanwhile are collected in `unread`.
    package func waitForClose() -> Bool {
        do {
            while try fill() {}
            return true
        } catch {
            return false
        }
    }

    /// What is buffered, or else the next bytes received (empty at EOF), taken out of the
    /// buffer: for readers of another protocol after a 101.
    package func takeSome() throws -> [UInt8] {
        if buffer.isEmpty, try !fill() { return [] }
        defer { buffer.removeAll() }
        return buffer
    }

    /// Bytes received but not consumed by `readResponse`.
    package var unread: [UInt8] { buffer }

    /// Reads one response head only; with a chunked body, `readChunk()` then reads it piece by piece.
    package func readHead() throws -> TestResponse {
        var headEnd: Int?
        while headEnd == nil {
            if let end = Self.find([13, 10, 13, 10], in: buffer) {
                headEnd = end + 4
            } else if try !fill() {
                throw TestFailure("connection closed before a complete response head (\(buffer.count) bytes)")
            }
        }
        let headText = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd!)
        return try TestResponse(head: headText)
    }

    /// The next chunk of a chunked body whose head `readHead()` returned; nil after the last chunk.
    package func readChunk() throws -> [UInt8]? {
        var lineEnd = Self.find([13, 10], in: buffer)
        while lineEnd == nil {
            guard try fill() else { throw TestFailure("closed inside a chunked body") }
            lineEnd = Self.find([13, 10], in: buffer)
        }
        let sizeText = String(decoding: buffer[0..<lineEnd!], as: UTF8.self)
        guard let size = Int(sizeText, radix: 16) else { throw TestFailure("bad chunk size '\(sizeText)'") }
        buffer.removeFirst(lineEnd! + 2)
        while buffer.count < size + 2 { guard try fill() else { throw TestFailure("closed inside a chunk") } }
        if size == 0 {
            buffer.removeFirst(2)
            return nil
        }
        let chunk = Array(buffer[0..<size])
        guard buffer[size] == 13, buffer[size + 1] == 10 else { throw TestFailure("chunk not followed by CRLF") }
        buffer.removeFirst(size + 2)
        return chunk
    }

    /// How a chunked body ended: with its last chunk, with the server closing between two
    /// chunks (a clean cut: every chunk received is whole), or closing inside a chunk.
    package enum BodyEnd: Equatable { case lastChunk, closedBetweenChunks, closedInsideChunk }

    /// The rest of a chunked body whose head `readHead()` returned, however it ends; throws
    /// only on a read timeout or a framing error.
    package func readChunksUntilEnd() throws -> (chunks: [[UInt8]], end: BodyEnd) {
        var chunks: [[UInt8]] = []
        while true {
            if buffer.isEmpty, try !fill() { return (chunks, .closedBetweenChunks) }
            do {
                guard let chunk = try readChunk() else { return (chunks, .lastChunk) }
                chunks.append(chunk)
            } catch is TestFailure where closedByPeer {
                return (chunks, .closedInsideChunk)
            }
        }
    }

    /// Reads exactly one response. `head: true` for a response to HEAD (no body).
    package func readResponse(head: Bool = false) throws -> TestResponse {
        var response = try readHead()
        if response.status == 100 { return try readResponse(head: head) }
        if head || response.status == 204 || response.status == 304 { return response }
        if let length = response.header("content-length").flatMap(Int.init) {
            while buffer.count < length { guard try fill() else { throw TestFailure("closed inside a body") } }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else if response.header("transfer-encoding")?.lowercased() == "chunked" {
            while let chunk = try readChunk() {
                response.chunks.append(chunk)
                response.body.append(contentsOf: chunk)
            }
        } else {
            while try fill() {}
            response.body = buffer
            buffer.removeAll()
        }
        return response
    }

    package static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<i + needle.count]) == needle { return i }
        }
        return nil
    }
}

/// A parsed response.
package struct TestResponse {
    package var status: Int
    /// The status line's reason phrase.
    package var reason: String
    package var headers: [(name: String, value: String)]
    package var body: [UInt8] = []
    /// The chunks of a chunked body, as sent.
    package var chunks: [[UInt8]] = []

    package init(head: String) throws {
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0] == "HTTP/1.1", let status = Int(statusLine[1]) else {
            throw TestFailure("bad status line in \(head.debugDescription)")
        }
        self.status = status
        reason = statusLine.count == 3 ? String(statusLine[2]) : ""
        headers = lines.filter { !$0.isEmpty }.map { line in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]).lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
    }

    package func header(_ name: String) -> String? {
        headers.first { $0.name == name.lowercased() }?.value
    }

    package var text: String { String(decoding: body, as: UTF8.self) }

    package func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestFailure("body is not a JSON object: \(text)")
        }
        return object
    }
}
