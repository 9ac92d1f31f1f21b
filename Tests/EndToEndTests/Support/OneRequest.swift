import TestSupport

extension TestServer {
    /// One request on a connection of its own (so with several workers, the kernel picks the
    /// loop): `method target` with `headers`, and `body` as JSON if there is one (a POST or PUT
    /// without one says Content-Length: 0).
    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: String? = nil) throws -> TestResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: x\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            return try request(raw: head + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        return try request(raw: head + (method == "POST" || method == "PUT" ? "Content-Length: 0\r\n" : "") + "\r\n")
    }

    /// `raw`, the exact bytes of one request, on a connection of its own.
    private func request(raw: String) throws -> TestResponse {
        let client = try client()
        try client.send(raw)
        return try client.readResponse()
    }
}
