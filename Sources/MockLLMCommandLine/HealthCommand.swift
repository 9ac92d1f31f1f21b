import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `mockllm health`: asks a server for `GET /health` and exits 0 if it answers 200 with
/// `{"status":"ok"}`, 1 otherwise (one line on standard error). It is the image's HEALTHCHECK,
/// so without `--url` it checks the address `serve` would bind from the same environment
/// (MOCKLLM_HOST, MOCKLLM_PORT), with 0.0.0.0 / :: checked on the loopback address.
/// One blocking request over a plain socket, bounded by `--timeout`; no curl in the image.
struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check that a server answers GET /health: exit 0 if healthy, 1 if not (for container health checks).",
        discussion: """
            Without --url it checks http://MOCKLLM_HOST:MOCKLLM_PORT (defaults 127.0.0.1 and 8000; a wildcard \
            host such as 0.0.0.0 is checked on the loopback address), so a container's HEALTHCHECK needs no \
            arguments. Exit status: 0 when the answer is 200 with {"status":"ok"}, 1 otherwise (one line on \
            standard error saying why), 2 for bad arguments.
            """)

    @Option(help: "The server: http://HOST[:PORT][/PREFIX]; /health is appended (default: from MOCKLLM_HOST and MOCKLLM_PORT, else http://127.0.0.1:8000).")
    var url: String?

    @Option(help: "Seconds to wait for connecting and the whole answer.")
    var timeout: Double = 2

    func validate() throws {
        guard timeout > 0, timeout <= 3600 else { throw ValidationError("--timeout must be between 0 and 3600 seconds") }
        if let url, case .failure(let failure) = HealthTarget.parse(url) { throw ValidationError(failure.message) }
    }

    func run() throws {
        let target: HealthTarget
        switch url.map(HealthTarget.parse) ?? HealthTarget.fromEnvironment(ProcessInfo.processInfo.environment) {
        case .success(let t): target = t
        case .failure(let failure): try fail(failure.message)
        }
        switch HealthProbe.check(target, timeout: timeout) {
        case .success:
            print("\(target.display): ok")
        case .failure(let failure):
            try fail("\(target.display): \(failure.message)")
        }
    }

    private func fail(_ message: String) throws -> Never {
        FileHandle.standardError.write(Data("mockllm health: \(message)\n".utf8))
        throw ExitCode(1)
    }
}

/// Why a health check failed, in one line.
struct HealthFailure: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Where `mockllm health` asks: a host name or address literal, a port, and the path.
struct HealthTarget: Equatable {
    var host: String
    var port: Int
    var path: String

    var display: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "http://\(shown):\(port)\(path)"
    }

    /// `http://HOST[:PORT][/PREFIX]` (HOST may be `[v6]`); the path is PREFIX + `/health`.
    static func parse(_ url: String) -> Result<HealthTarget, HealthFailure> {
        guard url.lowercased().hasPrefix("http://") else {
            return .failure(HealthFailure(url.lowercased().hasPrefix("https://")
                ? "--url: https is not supported (mockllm serves plain HTTP)" : "--url must start with http://, got '\(url)'"))
        }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        var prefix = String(rest[slash...])
        while prefix.hasSuffix("/") { prefix.removeLast() }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return .failure(HealthFailure("--url: unclosed '[' in '\(url)'")) }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return .failure(HealthFailure("--url: unexpected '\(after)' after the address in '\(url)'")) }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return .failure(HealthFailure("--url has no host: '\(url)'")) }
        var port = 80
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { return .failure(HealthFailure("--url: port must be 1-65535, got '\(portText)'")) }
            port = p
        }
        return .success(HealthTarget(host: String(host), port: port, path: prefix + "/health"))
    }

    /// The address `serve` binds with the same environment, a wildcard replaced by loopback.
    static func fromEnvironment(_ environment: [String: String]) -> Result<HealthTarget, HealthFailure> {
        var host = environment["MOCKLLM_HOST"] ?? "127.0.0.1"
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        switch host {
        case "", "0.0.0.0": host = "127.0.0.1"
        case "::", "::0": host = "::1"
        default: break
        }
        var port = 8000
        if let text = environment["MOCKLLM_PORT"] {
            guard let p = Int(text), (0...65535).contains(p) else {
                return .failure(HealthFailure("MOCKLLM_PORT must be a port number (0-65535), got '\(text)'"))
            }
            guard p != 0 else { return .failure(HealthFailure("MOCKLLM_PORT is 0 (a free port picked at start): pass --url")) }
            port = p
        }
        return .success(HealthTarget(host: host, port: port, path: "/health"))
    }
}

/// One `GET /health` over a blocking socket with a deadline.
enum HealthProbe {
    static func check(_ target: HealthTarget, timeout: Double) -> Result<Void, HealthFailure> {
        let deadline = monotonicSeconds() + timeout
        let fd: Int32
        switch connect(to: target, deadline: deadline, timeout: timeout) {
        case .success(let socket): fd = socket
        case .failure(let message): return .failure(message)
        }
        defer { Glibc.close(fd) }
        let hostHeader = target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)"
        let request = Array("GET \(target.path) HTTP/1.1\r\nHost: \(hostHeader)\r\nUser-Agent: mockllm-health\r\nAccept: application/json\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else { return .failure(HealthFailure("timed out after \(format(timeout)) s sending the request")) }
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .failure(HealthFailure("send failed: \(describe(errno))"))
            }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while response.count < 65536 {
            if let complete = HealthResponse(response), complete.isWhole { break }
            guard wait(fd, for: Int16(POLLIN), until: deadline) else {
                return .failure(HealthFailure("timed out after \(format(timeout)) s waiting for the answer"))
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return .failure(HealthFailure("receive failed: \(describe(errno))"))
            }
            if n == 0 { break }
            response += chunk[..<n]
        }
        guard let answer = HealthResponse(response) else {
            return .failure(HealthFailure(response.isEmpty ? "the connection closed without an answer" : "not an HTTP answer"))
        }
        guard answer.status == 200 else { return .failure(HealthFailure("HTTP \(answer.status)")) }
        guard let object = try? JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any],
              object["status"] as? String == "ok" else {
            let text = String(decoding: answer.body.prefix(200), as: UTF8.self)
            return .failure(HealthFailure("HTTP 200 but the body is not {\"status\":\"ok\"}: \(text)"))
        }
        return .success(())
    }

    /// A connected non-blocking socket to the first of the target's addresses that accepts.
    private static func connect(to target: HealthTarget, deadline: Double, timeout: Double) -> Result<Int32, HealthFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard rc == 0, let first = list else {
            return .failure(HealthFailure("cannot resolve \(target.host): \(String(cString: gai_strerror(rc)))"))
        }
        defer { freeaddrinfo(first) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue),
                            info.pointee.ai_protocol)
            guard fd >= 0 else {
                lastError = describe(errno)
                continue
            }
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return .success(fd) }
            guard errno == EINPROGRESS else {
                lastError = describe(errno)
                Glibc.close(fd)
                continue
            }
            guard wait(fd, for: Int16(POLLOUT), until: deadline) else {
                Glibc.close(fd)
                return .failure(HealthFailure("timed out after \(format(timeout)) s connecting"))
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 { return .success(fd) }
            lastError = describe(error)
            Glibc.close(fd)
        }
        return .failure(HealthFailure("cannot connect: \(lastError)"))
    }

    /// Whether `fd` became ready for `events` before the deadline.
    private static func wait(_ fd: Int32, for events: Int16, until deadline: Double) -> Bool {
        while true {
            let left = deadline - monotonicSeconds()
            guard left > 0 else { return false }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let n = poll(&entry, 1, Int32(min(left * 1000, 3_600_000).rounded(.up)))
            if n > 0 { return true }
            if n < 0, errno != EINTR { return true }  // the next call reports the error
        }
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    private static func describe(_ code: Int32) -> String {
        code == ECONNREFUSED ? "connection refused" : String(cString: strerror(code))
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}

/// The parts of an HTTP answer the health check reads: status, and a Content-Length body.
struct HealthResponse {
    var status: Int
    var body: [UInt8]
    /// Whether the body announced by Content-Length has arrived (no length: read to the end).
    var isWhole: Bool

    init?(_ bytes: [UInt8]) {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4,
              let end = (0...(bytes.count - 4)).first(where: { bytes[$0..<$0 + 4].elementsEqual(separator) }) else { return nil }
        let head = String(decoding: bytes[..<end], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else { return nil }
        self.status = status
        var length: Int?
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].lowercased() == "content-length" {
                length = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
        }
        let body = Array(bytes[(end + 4)...])
        if let length {
            self.body = Array(body.prefix(length))
            isWhole = body.count >= length
        } else {
            self.body = body
            isWhole = false
        }
    }
}
