/// libFuzzer target: the WebSocket frame parser in both roles. Built by scripts/fuzz with the
/// core's byte, HTTP, JSON, event stream (for base64) and WebSocket sources. The input is read
/// whole and again cut into pieces of 1 to 17 bytes: both readings must give the same events
/// and stop with the same failure. Every text message must be UTF-8, every control payload at
/// most 125 bytes, and every event written again with the frame writer (masked in the client
/// role's output, as a client would) must read back as itself in the other role.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketFrameParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    for role in [WebSocketFrame.Role.server, .client] {
        let whole = read(bytes, role: role, piece: size, limit: 4096)
        let piece = size % 17 + 1
        let cut = read(bytes, role: role, piece: piece, limit: 4096)
        if whole.events != cut.events || whole.failure != cut.failure {
            fatalError("reading in pieces of \(piece) bytes differs from reading whole (\(role))")
        }
        var again = ByteBuffer()
        for event in whole.events {
            switch event {
            case .text(let text):
                var validator = UTF8Validator()
                if !text.withUnsafeBytes({ validator.validate($0) }) || !validator.isComplete { fatalError("a text message is not UTF-8") }
                text.withUnsafeBytes { WebSocketFrame.append(.text, payload: $0, maskKey: role == .server ? nil : 0x0102_0304, into: &again) }
            case .binary(let data):
                data.withUnsafeBytes { WebSocketFrame.append(.binary, payload: $0, maskKey: role == .server ? nil : 0x0102_0304, into: &again) }
            case .ping(let data), .pong(let data):
                if data.count > 125 { fatalError("a control payload over 125 bytes") }
            case .close:
                break
            }
        }
        let other: WebSocketFrame.Role = role == .server ? .client : .server
        let reread = again.withUnsafeReadableBytes { read($0, role: other, piece: $0.count, limit: 4096) }
        let messages = whole.events.filter { if case .text = $0 { true } else if case .binary = $0 { true } else { false } }
        if reread.failure != nil || reread.events != messages { fatalError("messages written again do not read back as themselves") }
    }
    return 0
}

enum Seen: Equatable {
    case text([UInt8])
    case binary([UInt8])
    case ping([UInt8])
    case pong([UInt8])
    case close(UInt16?, String)
}

private func read(_ bytes: UnsafeRawBufferPointer, role: WebSocketFrame.Role, piece: Int, limit: Int)
    -> (events: [Seen], failure: WebSocketFailure?) {
    var parser = WebSocketFrameParser(role: role, maxMessageBytes: limit)
    var events: [Seen] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + max(piece, 1))
        let failure = parser.feed(UnsafeRawBufferPointer(rebasing: bytes[start..<end])) { event in
            switch event {
            case .message(.text(let text)): events.append(.text(text.bytes))
            case .message(.binary(let data)): events.append(.binary(data.bytes))
            case .ping(let data): events.append(.ping(data.bytes))
            case .pong(let data): events.append(.pong(data.bytes))
            case .close(let code, let reason): events.append(.close(code, reason))
            }
        }
        if let failure { return (events, failure) }
        start = end
    }
    return (events, nil)
}
