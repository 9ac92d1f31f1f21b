#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why bytes are not an event stream message.
public enum EventStreamError: Error, Equatable, Sendable {
    /// The prelude's lengths are impossible (shorter than a message, headers past the end,
    /// over the SDKs' limits).
    case badLengths(total: UInt32, headers: UInt32)
    case preludeChecksum
    case messageChecksum
    /// A header runs past the headers, has an empty name or an unknown type.
    case badHeader(offset: Int)
}

/// One message of an event stream, lent while its bytes are in the decoder's hands: the raw
/// header bytes (already checked to be well formed) and the payload.
public struct EventStreamFrame {
    public let headerBytes: UnsafeRawBufferPointer
    public let payload: UnsafeRawBufferPointer

    /// The value of the string (or byte array) header `name`, where it lies.
    public func value(of name: StaticString) -> UnsafeRawBufferPointer? {
        let wanted = UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)
        var found: UnsafeRawBufferPointer?
        _ = EventStreamDecoder.walkHeaders(headerBytes) { headerName, type, value in
            // memcmp: `elementsEqual` compared byte by byte, most of a bench client's header reading.
            if found == nil, type == EventStream.HeaderType.string.rawValue || type == EventStream.HeaderType.byteArray.rawValue,
               headerName.count == wanted.count, memcmp(headerName.baseAddress!, wanted.baseAddress!, wanted.count) == 0 {
                found = value
            }
        }
        return found
    }

    /// The value of string header `name` as text.
    public func string(_ name: StaticString) -> String? {
        value(of: name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Every header, decoded (for tests and diagnostics; the stream readers use `value(of:)`).
    public var headers: [EventStreamHeader] {
        var headers: [EventStreamHeader] = []
        _ = EventStreamDecoder.walkHeaders(headerBytes) { name, type, value in
            headers.append(EventStreamHeader(name: String(decoding: name, as: UTF8.self), type: type, value: value))
        }
        return headers
    }
}

/// A decoded header: its name and typed value.
public struct EventStreamHeader: Equatable, Sendable {
    public enum Value: Equatable, Sendable {
        case bool(Bool)
        case byte(Int8)
        case int16(Int16)
        case int32(Int32)
        case int64(Int64)
        case bytes([UInt8])
        case string(String)
        /// Milliseconds since the epoch.
        case timestamp(Int64)
        case uuid([UInt8])
    }

    public var name: String
    public var value: Value

    public init(name: String, value: Value) {
        self.name = name
        self.value = value
    }

    init(name: String, type: UInt8, value: UnsafeRawBufferPointer) {
        self.name = name
        let n = EventStream.loadBigEndian(value, at: 0, count: value.count)
        switch EventStream.HeaderType(rawValue: type)! {
        case .boolTrue: self.value = .bool(true)
        case .boolFalse: self.value = .bool(false)
        case .byte: self.value = .byte(Int8(truncatingIfNeeded: n))
        case .int16: self.value = .int16(Int16(truncatingIfNeeded: n))
        case .int32: self.value = .int32(Int32(truncatingIfNeeded: n))
        case .int64: self.value = .int64(Int64(bitPattern: n))
        case .byteArray: self.value = .bytes(Array(value))
        case .string: self.value = .string(String(decoding: value, as: UTF8.self))
        case .timestamp: self.value = .timestamp(Int64(bitPattern: n))
        case .uuid: self.value = .uuid(Array(value))
        }
    }
}

/// Reads an event stream as its body arrives in pieces cut anywhere: each complete message is
/// checked (lengths, both CRC32s, every header) and lent to the caller; the bytes of a message
/// not yet complete are kept (in one buffer whose capacity is kept for the next stream).
/// After an error the stream cannot be resynchronised (the framing has no markers): the
/// decoder stays failed until `reset()`.
public struct EventStreamDecoder {
    private var pending: [UInt8] = []
    public private(set) var failure: EventStreamError?

    public init() {}

    /// Whether bytes of an unfinished message are held (at the end of a body: it was cut).
    public var hasPartialMessage: Bool { !pending.isEmpty }

    public mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        failure = nil
    }

    /// Reads `bytes`, lending each complete message to `each`; returns the error that stopped
    /// the stream, if one did (then and afterwards nothing more is read).
    @discardableResult
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, _ each: (EventStreamFrame) -> Void) -> EventStreamError? {
        if failure != nil { return failure }
        var input = bytes
        if !pending.isEmpty {
            // Complete the held message first: its prelude (checked once whole), then the rest.
            if pending.count < EventStream.preludeLength {
                take(EventStream.preludeLength - pending.count, from: &input)
                if pending.count < EventStream.preludeLength { return nil }
                if let error = pending.withUnsafeBytes({ Self.checkPrelude($0) }) { return fail(error) }
            }
            let needed = pending.withUnsafeBytes { Int(EventStream.loadBigEndian($0, at: 0, count: 4)) }
            take(needed - pending.count, from: &input)
            if pending.count < needed { return nil }
            let error = pending.withUnsafeBytes { Self.message(in: $0, each) }
            pending.removeAll(keepingCapacity: true)
            if let error { return fail(error) }
        }
        while input.count >= EventStream.preludeLength {
            if let error = Self.checkPrelude(input) { return fail(error) }
            let total = Int(EventStream.loadBigEndian(input, at: 0, count: 4))
            guard input.count >= total else { break }
            if let error = Self.message(in: UnsafeRawBufferPointer(rebasing: input[0..<total]), each) { return fail(error) }
            input = UnsafeRawBufferPointer(rebasing: input[total...])
        }
        pending.append(contentsOf: input)
        return nil
    }

    private mutating func fail(_ error: EventStreamError) -> EventStreamError {
        failure = error
        pending.removeAll(keepingCapacity: true)
        return error
    }

    /// Moves up to `count` bytes from the front of `input` to the held message.
    private mutating func take(_ count: Int, from input: inout UnsafeRawBufferPointer) {
        let n = min(count, input.count)
        pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: input[0..<n]))
        input = UnsafeRawBufferPointer(rebasing: input[n...])
    }

    /// Checks a prelude (`bytes` starts with one): its CRC and lengths.
    static func checkPrelude(_ bytes: UnsafeRawBufferPointer) -> EventStreamError? {
        let total = UInt32(EventStream.loadBigEndian(bytes, at: 0, count: 4))
        let headers = UInt32(EventStream.loadBigEndian(bytes, at: 4, count: 4))
        let crc = UInt32(EventStream.loadBigEndian(bytes, at: 8, count: 4))
        guard EventStream.crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<8])) == crc else { return .preludeChecksum }
        guard total >= 16, total <= EventStream.maxMessageLength, headers <= EventStream.maxHeadersLength,
              UInt64(headers) + 16 <= UInt64(total) else {
            return .badLengths(total: total, headers: headers)
        }
        return nil
    }

    /// Checks one whole message (prelude already checked) and lends it to `each`.
    private static func message(in bytes: UnsafeRawBufferPointer, _ each: (EventStreamFrame) -> Void) -> EventStreamError? {
        let total = bytes.count
        let crc = UInt32(EventStream.loadBigEndian(bytes, at: total - 4, count: 4))
        guard EventStream.crc32(UnsafeRawBufferPointer(rebasing: bytes[0..<(total - 4)])) == crc else { return .messageChecksum }
        let headersLength = Int(EventStream.loadBigEndian(bytes, at: 4, count: 4))
        let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[12..<(12 + headersLength)])
        if let offset = walkHeaders(headerBytes, { _, _, _ in }) { return .badHeader(offset: offset) }
        each(EventStreamFrame(headerBytes: headerBytes, payload: UnsafeRawBufferPointer(rebasing: bytes[(12 + headersLength)..<(total - 4)])))
        return nil
    }

    /// Calls `each` with every header's name, type and value bytes; returns the offset of the
    /// first malformed header, or nil when all are well formed.
    static func walkHeaders(
        _ bytes: UnsafeRawBufferPointer, _ each: (_ name: UnsafeRawBufferPointer, _ type: UInt8, _ value: UnsafeRawBufferPointer) -> Void
    ) -> Int? {
        var i = 0
        while i < bytes.count {
            let start = i
            let nameLength = Int(bytes[i])
            i += 1
            guard nameLength > 0, i + nameLength + 1 <= bytes.count else { return start }
            let name = UnsafeRawBufferPointer(rebasing: bytes[i..<(i + nameLength)])
            i += nameLength
            let type = bytes[i]
            i += 1
            let valueLength: Int
            switch EventStream.HeaderType(rawValue: type) {
            case .boolTrue?, .boolFalse?: valueLength = 0
            case .byte?: valueLength = 1
            case .int16?: valueLength = 2
            case .int32?: valueLength = 4
            case .int64?, .timestamp?: valueLength = 8
            case .uuid?: valueLength = 16
            case .byteArray?, .string?:
                guard i + 2 <= bytes.count else { return start }
                valueLength = Int(EventStream.loadBigEndian(bytes, at: i, count: 2))
                i += 2
            case nil: return start
            }
            guard i + valueLength <= bytes.count else { return start }
            each(name, type, UnsafeRawBufferPointer(rebasing: bytes[i..<(i + valueLength)]))
            i += valueLength
        }
        return nil
    }
}
