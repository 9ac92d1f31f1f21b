/// libFuzzer target: the AWS event stream decoder as `mockllm bench` reads a Bedrock stream.
/// Built by scripts/fuzz with the core's byte and event stream sources (and zlib). The input is
/// read whole and again cut into pieces of every size from 1 to 17 bytes: both readings must
/// lend the same messages and stop with the same error. Every message lent is encoded again
/// from its decoded headers and payload and must decode to the same headers and payload.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventStreamDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let whole = read(bytes, piece: size)
    let piece = size % 17 + 1
    let cut = read(bytes, piece: piece)
    let same = whole.messages.count == cut.messages.count
        && zip(whole.messages, cut.messages).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    if !same || whole.error != cut.error {
        fatalError("reading in pieces of \(piece) bytes differs from reading whole")
    }
    for (headers, payload) in whole.messages {
        var encodedHeaders = ByteBuffer()
        for header in headers { EventStream.appendHeader(header, to: &encodedHeaders) }
        var message = ByteBuffer()
        EventStream.appendMessage(headers: encodedHeaders, into: &message) { $0.append(contentsOf: payload) }
        let again = message.withUnsafeReadableBytes { read($0, piece: $0.count) }
        if again.error != nil || again.messages.count != 1 || again.messages[0].0 != headers || again.messages[0].1 != payload {
            fatalError("a decoded message encoded again does not decode to itself")
        }
    }
    return 0
}

private func read(_ bytes: UnsafeRawBufferPointer, piece: Int) -> (messages: [([EventStreamHeader], [UInt8])], error: EventStreamError?) {
    var decoder = EventStreamDecoder()
    var messages: [([EventStreamHeader], [UInt8])] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + max(piece, 1))
        if let error = decoder.feed(UnsafeRawBufferPointer(rebasing: bytes[start..<end]), { messages.append(($0.headers, Array($0.payload))) }) {
            return (messages, error)
        }
        start = end
    }
    return (messages, nil)
}
