import CCurl
import MockLLMLoop

/// One request in flight (or waiting for a slot) on an `UpstreamClient`. Its handler hears the
/// head, the body, then exactly one end; `cancel()` ends it early. Confined to the client's loop.
package final class UpstreamTransfer {
    enum State { case queued, running, ended }

    /// Numbered in the order `send` was called on the client.
    package let serial: Int
    weak var client: UpstreamClient?
    var handler: (any UpstreamHandler)?
    var request: UpstreamRequest?
    var state: State = .queued

    // libcurl's side, from the transfer's start (leaving the queue) to its end.
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var errorBuffer: UnsafeMutablePointer<CChar>?
    var timer: LoopTimer?
    /// The end decided outside libcurl's own report (cancel, a deadline, a setup failure), not
    /// yet delivered: libcurl is told to stop, and this is what the handler hears.
    var pendingEnd: UpstreamEnd?

    // The response, as the header lines arrive.
    var status = 0
    var reason = ""
    var headers: [(name: String, value: String)] = []
    package private(set) var headDelivered = false
    /// Body bytes delivered so far.
    package private(set) var bytesReceived = 0
    var startedAt: UInt64 = 0
    var lastActivity: UInt64 = 0

    init(serial: Int, request: UpstreamRequest, handler: any UpstreamHandler, client: UpstreamClient) {
        self.serial = serial
        self.request = request
        self.handler = handler
        self.client = client
    }

    /// True once the end has been delivered.
    package var hasEnded: Bool { state == .ended }

    /// Ends the transfer with `.cancelled` unless it has already ended; no body is delivered
    /// after this call. Outside the handler's callbacks the end is delivered before this returns;
    /// from inside one (this transfer's or another's), as soon as libcurl hands control back.
    package func cancel() {
        client?.cancel(self)
    }

    // MARK: libcurl's callbacks (through the top-level functions below)

    /// One header line of any response (1xx, final, trailers), CRLF included.
    fileprivate func headerLine(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let client, client.accepts(self) else { return false }
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end])
        if headDelivered { return true }  // trailers
        if line.starts(with: "HTTP/".utf8) {
            parseStatusLine(line)
            return true
        }
        if line.isEmpty {
            if status >= 100 && status < 200 {  // an interim response: the final one follows
                status = 0
                reason = ""
                headers = []
                return true
            }
            deliverHead()
            return client.accepts(self)
        }
        if line[0] == 0x20 || line[0] == 0x09, !headers.isEmpty {  // obsolete line folding
            headers[headers.count - 1].value += " " + trimmed(line)
            return true
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return true }
        headers.append((
            name: String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self),
            value: trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
        ))
        return true
    }

    fileprivate func bodyBytes(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let client, client.accepts(self) else { return false }
        if !headDelivered {
            deliverHead()
            guard client.accepts(self) else { return false }
        }
        bytesReceived += bytes.count
        lastActivity = client.now
        handler?.upstream(self, didReceive: bytes)
        return client.accepts(self)
    }

    private func deliverHead() {
        headDelivered = true
        let head = UpstreamHead(status: status, reason: reason, headers: headers)
        headers = []
        client?.headArrived(self)
        handler?.upstream(self, didReceiveHead: head)
    }

    private func parseStatusLine(_ line: UnsafeRawBufferPointer) {
        status = 0
        reason = ""
        headers = []
        let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        if parts.count >= 2 {
            for digit in parts[1] where digit >= 0x30 && digit <= 0x39 { status = status * 10 + Int(digit - 0x30) }
        }
        if parts.count == 3 { reason = String(decoding: parts[2], as: UTF8.self) }
    }

    private func trimmed(_ bytes: UnsafeRawBufferPointer) -> String {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}

/// CURLOPT_HEADERFUNCTION: a count other than the one given stops the transfer.
func upstreamHeaderCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user else { return 0 }
    let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(user).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
    return transfer.headerLine(bytes) ? bytes.count : 0
}

/// CURLOPT_WRITEFUNCTION: the body as it arrives (already de-chunked); 0 stops the transfer.
func upstreamWriteCallback(_ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ user: UnsafeMutableRawPointer?) -> Int {
    guard let user else { return 0 }
    let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(user).takeUnretainedValue()
    let bytes = UnsafeRawBufferPointer(start: data, count: size * count)
    return transfer.bodyBytes(bytes) ? bytes.count : 0
}
