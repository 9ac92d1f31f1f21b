import TestSupport

extension TestServer {
    /// One request on a connection of its own (so with several workers, the kernel picks the
    /// loop): `method target` with `headers`, and `body` as JSON if there is one (a POST or PUT
    /// without one says Content-Length: 0). `timeout`: the client's read timeout.
    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: String? = nil,
                 timeout: Double = 5) throws -> TestResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: x\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body {
            head += "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
        } else {
            head += (method == "POST" || method == "PUT" ? "Content-Length: 0\r\n" : "") + "\r\n"
        }
        let client = try client(timeout: timeout)
        try client.send(head)
        return try client.readResponse()
    }
}
