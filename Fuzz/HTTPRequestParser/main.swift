/// libFuzzer target: the HTTP/1.1 request parser (head, Content-Length and chunked bodies,
/// pipelining), fed the way the server feeds it. Built by scripts/fuzz with the HTTP and JSON
/// sources (no libuv). The input's first byte picks how the rest is cut into reads; each read is
/// lent from a scratch buffer that is scribbled over afterwards (as the loop's shared read buffer
/// is reused), so a parser keeping a pointer into a read is caught by AddressSanitizer or by a
/// wrong result. Checked: no crash, no hang, and the same outcomes whole and in pieces.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPRequestParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let cut = Int(data[0])
    let wire = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let limits = RequestParser.Limits(maxHeadBytes: 2048, maxHeaderCount: 32, maxBodyBytes: 4096)
    let whole = outcomes(of: wire, in: [0..<wire.count], limits: limits)
    var pieces: [Range<Int>] = []
    var start = 0, step = max(1, cut % 17)
    while start < wire.count {
        let end = min(wire.count, start + step)
        pieces.append(start..<end)
        start = end
        step = (step * 7 + cut) % 23 + 1
    }
    let split = outcomes(of: wire, in: pieces, limits: limits)
    if whole != split {
        fatalError("outcomes differ whole vs in \(pieces.count) pieces: \(whole) vs \(split)")
    }
    return 0
}

/// One thing the parser produced: a request (method, target, body size, keep-alive) or a refusal.
/// Compared as values, not formatted: formatting every outcome halved the executions per second.
private enum Outcome: Equatable {
    case request(method: String, target: String, bodyCount: Int, keepAlive: Bool)
    case error(status: Int)
}

/// What the parser produced, in order, when `wire` arrives cut into `pieces`.
private func outcomes(of wire: [UInt8], in pieces: [Range<Int>], limits: RequestParser.Limits) -> [Outcome] {
    var parser = RequestParser(limits: limits)
    var seen: [Outcome] = []
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, wire.count), alignment: 1)
    defer { scratch.deallocate() }
    for range in pieces {
        let piece = wire[range]
        scratch.copyBytes(from: piece)
        parser.lend(UnsafeRawBufferPointer(rebasing: scratch[0..<piece.count]))
        var steps = 0
        loop: while steps < 256 {
            steps += 1
            switch parser.next() {
            case .needMoreData:
                break loop
            case .continueExpected:
                continue
            case .request(let request):
                seen.append(.request(method: request.method, target: request.target,
                                     bodyCount: request.body.count, keepAlive: request.keepAlive))
            case .error(let error):
                seen.append(.error(status: error.status))
                parser.keepUnconsumed()
                return seen
            }
        }
        parser.keepUnconsumed()
        for i in 0..<piece.count { scratch[i] = 0xA5 }  // the loop reuses its read buffer
    }
    return seen
}
