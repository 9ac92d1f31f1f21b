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
    let whole = outcomes(of: [wire], limits: limits)
    var pieces: [[UInt8]] = []
    var start = 0, step = max(1, cut % 17)
    while start < wire.count {
        let end = min(wire.count, start + step)
        pieces.append(Array(wire[start..<end]))
        start = end
        step = (step * 7 + cut) % 23 + 1
    }
    let split = outcomes(of: pieces, limits: limits)
    if whole != split {
        fatalError("outcomes differ whole vs in \(pieces.count) pieces: \(whole) vs \(split)")
    }
    return 0
}

/// What the parser produced, in order: requests as method/target/body size, or an error status.
private func outcomes(of pieces: [[UInt8]], limits: RequestParser.Limits) -> [String] {
    var parser = RequestParser(limits: limits)
    var seen: [String] = []
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, pieces.map(\.count).max() ?? 1), alignment: 1)
    defer { scratch.deallocate() }
    for piece in pieces {
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
                seen.append("\(request.method) \(request.target) \(request.body.count) \(request.keepAlive)")
            case .error(let error):
                seen.append("error \(error.status)")
                parser.keepUnconsumed()
                return seen
            }
        }
        parser.keepUnconsumed()
        for i in 0..<piece.count { scratch[i] = 0xA5 }  // the loop reuses its read buffer
    }
    return seen
}
