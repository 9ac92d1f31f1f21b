/// ZeroMQ's wire protocol, ZMTP 3.1 (https://rfc.zeromq.org/spec/37/) with the NULL security
/// mechanism (https://rfc.zeromq.org/spec/23/, "NULL"): bytes in, bytes out, no socket. What a
/// PUB or ROUTER socket needs: the greeting, the READY command with its metadata, frames (short
/// and long, MORE, COMMAND), and reading a peer's greeting, commands (READY, SUBSCRIBE, CANCEL,
/// PING) and multipart messages.
package enum ZMTP {
    /// The greeting: signature, version 3.1, mechanism NULL, as-server 0 (NULL ignores it), filler.
    package static func greeting() -> [UInt8] {
        var bytes: [UInt8] = [0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 1]
        bytes += Array("NULL".utf8) + [UInt8](repeating: 0, count: 16)
        bytes += [UInt8](repeating: 0, count: 32)
        return bytes   // 64 bytes
    }

    /// The NULL mechanism's READY command with `properties` (`Socket-Type`, `Identity`).
    package static func ready(_ properties: [(name: String, value: [UInt8])]) -> [UInt8] {
        var body: [UInt8] = [5] + Array("READY".utf8)
        for (name, value) in properties {
            body.append(UInt8(name.utf8.count))
            body += name.utf8
            appendBigEndian(UInt64(value.count), size: 4, to: &body)
            body += value
        }
        var out: [UInt8] = []
        appendFrame(body, more: false, command: true, to: &out)
        return out
    }

    /// PONG, the answer to a PING's context (ZMTP 3.1 heartbeats).
    package static func pong(context: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        appendFrame([4] + Array("PONG".utf8) + context, more: false, command: true, to: &out)
        return out
    }

    /// One frame: flags, size (one octet up to 255, else eight, big-endian), body.
    package static func appendFrame(_ body: some Collection<UInt8>, more: Bool, command: Bool = false, to out: inout [UInt8]) {
        let long = body.count > 255
        out.append((more ? 0x01 : 0) | (long ? 0x02 : 0) | (command ? 0x04 : 0))
        appendBigEndian(UInt64(body.count), size: long ? 8 : 1, to: &out)
        out += body
    }

    /// A multipart message: every part but the last with MORE.
    package static func message(_ parts: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(0) { $0 + $1.count + 9 })
        for (index, part) in parts.enumerated() { appendFrame(part, more: index < parts.count - 1, to: &out) }
        return out
    }

    static func appendBigEndian(_ value: UInt64, size: Int, to out: inout [UInt8]) {
        for shift in stride(from: (size - 1) * 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}

/// What a peer sent, in order.
package enum ZMTPInput: Equatable, Sendable {
    /// Its greeting: ZMTP 3.0 or later with the NULL mechanism (anything else is an error).
    case greeting(minor: UInt8)
    /// READY: its metadata, names lowercased (`socket-type`, `identity`).
    case ready([String: [UInt8]])
    /// ZMTP 3.1's SUBSCRIBE and CANCEL commands, and ZMTP 3.0's subscription messages (a
    /// one-frame message starting with 1 or 0), which a PUB socket reads alike.
    case subscribe([UInt8])
    case cancel([UInt8])
    case ping(context: [UInt8])
    /// Any other command, by name.
    case command(String)
    /// A whole multipart message.
    case message([[UInt8]])
}

package struct ZMTPError: Error, Equatable, Sendable {
    package let reason: String
}

/// Reads a peer's bytes as they arrive, in any pieces.
package struct ZMTPReader: Sendable {
    /// A frame larger than this ends the connection (nothing a PUB or ROUTER reads is large).
    package var maxFrame = 1 << 20
    /// Whether one-frame messages starting with 1 or 0 are subscriptions (a PUB socket's peer).
    package var readsSubscriptions: Bool
    private var pending: [UInt8] = []
    private var greeted = false
    private var parts: [[UInt8]] = []

    package init(readsSubscriptions: Bool) {
        self.readsSubscriptions = readsSubscriptions
    }

    package mutating func read(_ bytes: some Collection<UInt8>) throws(ZMTPError) -> [ZMTPInput] {
        pending += bytes
        var inputs: [ZMTPInput] = []
        var offset = 0
        defer { pending.removeFirst(offset) }
        if !greeted {
            // The signature first: a peer that is not ZMTP is refused before it sends 64 bytes.
            if pending.count >= 1, pending[0] != 0xFF { throw ZMTPError(reason: "not a ZMTP peer") }
            guard pending.count >= 64 else { return inputs }
            guard pending[9] & 0x01 == 0x01 else { throw ZMTPError(reason: "not a ZMTP peer") }
            guard pending[10] >= 3 else { throw ZMTPError(reason: "ZMTP \(pending[10]).\(pending[11]) is not supported (3.0 or later)") }
            let mechanism = String(decoding: pending[12..<32].prefix { $0 != 0 }, as: UTF8.self)
            guard mechanism == "NULL" else { throw ZMTPError(reason: "security mechanism \(mechanism) is not supported (NULL)") }
            inputs.append(.greeting(minor: pending[10] > 3 ? 1 : pending[11]))
            greeted = true
            offset = 64
        }
        while pending.count - offset >= 2 {
            let flags = pending[offset]
            guard flags & 0xF8 == 0 else { throw ZMTPError(reason: "reserved frame flags \(flags)") }
            let long = flags & 0x02 != 0
            let header = long ? 9 : 2
            guard pending.count - offset >= header else { break }
            var size = 0
            if long {
                var value: UInt64 = 0
                for i in 1...8 { value = value << 8 | UInt64(pending[offset + i]) }
                guard value <= UInt64(maxFrame) else { throw ZMTPError(reason: "a frame of \(value) bytes") }
                size = Int(value)
            } else {
                size = Int(pending[offset + 1])
            }
            guard pending.count - offset - header >= size else { break }
            let body = Array(pending[(offset + header)..<(offset + header + size)])
            offset += header + size
            if flags & 0x04 != 0 {
                inputs.append(try Self.command(body))
            } else {
                parts.append(body)
                if flags & 0x01 == 0 {
                    let message = parts
                    parts = []
                    if readsSubscriptions, message.count == 1, let first = message[0].first, first <= 1 {
                        inputs.append(first == 1 ? .subscribe(Array(message[0].dropFirst())) : .cancel(Array(message[0].dropFirst())))
                    } else {
                        inputs.append(.message(message))
                    }
                }
            }
        }
        return inputs
    }

    private static func command(_ body: [UInt8]) throws(ZMTPError) -> ZMTPInput {
        guard let nameLength = body.first.map(Int.init), body.count > nameLength else {
            throw ZMTPError(reason: "a command without a name")
        }
        let name = String(decoding: body[1...nameLength], as: UTF8.self)
        let data = Array(body[(nameLength + 1)...])
        switch name {
        case "READY":
            var properties: [String: [UInt8]] = [:]
            var i = 0
            while i < data.count {
                let length = Int(data[i])
                guard i + 1 + length + 4 <= data.count else { throw ZMTPError(reason: "a malformed READY") }
                let key = String(decoding: data[(i + 1)..<(i + 1 + length)], as: UTF8.self).lowercased()
                i += 1 + length
                var valueLength = 0
                for j in 0..<4 { valueLength = valueLength << 8 | Int(data[i + j]) }
                i += 4
                guard i + valueLength <= data.count else { throw ZMTPError(reason: "a malformed READY") }
                properties[key] = Array(data[i..<(i + valueLength)])
                i += valueLength
            }
            return .ready(properties)
        case "SUBSCRIBE": return .subscribe(data)
        case "CANCEL": return .cancel(data)
        case "PING":
            // A 2-octet TTL, then up to 16 octets of context the PONG echoes.
            guard data.count >= 2 else { throw ZMTPError(reason: "a malformed PING") }
            return .ping(context: Array(data.dropFirst(2).prefix(16)))
        case "ERROR":
            let reason = data.isEmpty ? "" : String(decoding: data.dropFirst().prefix(Int(data[0])), as: UTF8.self)
            throw ZMTPError(reason: "the peer sent ERROR \(reason)")
        default: return .command(name)
        }
    }
}
