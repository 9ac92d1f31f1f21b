@testable import MockLLMCore
import TestSupport

/// What a parser said, reduced to comparable values: a test compares whole conversations.
enum ParseOutcome: Equatable, CustomStringConvertible {
    case request(ParsedRequest)
    case continueExpected
    case error(status: Int)

    var description: String {
        switch self {
        case .request(let r): "request(\(r.method) \(r.target) \(r.version == .http10 ? "1.0" : "1.1"), \(r.body.count) body bytes)"
        case .continueExpected: "continueExpected"
        case .error(let status): "error(\(status))"
        }
    }

    var status: Int? {
        if case .error(let status) = self { return status }
        return nil
    }

    var request: ParsedRequest? {
        if case .request(let r) = self { return r }
        return nil
    }
}

/// `HTTPRequest` with every field compared (it is not Equatable itself).
struct ParsedRequest: Equatable {
    var method: String
    var target: String
    var path: String
    var query: String?
    var version: HTTPVersion
    var headers: [HTTPFields.Field]
    var body: [UInt8]
    var keepAlive: Bool
    var namesTestScope: Bool
    var mayNameTestScope: Bool

    init(_ r: HTTPRequest) {
        method = r.method
        target = r.target
        path = r.path
        query = r.query
        version = r.version
        headers = r.headers.fields
        body = r.body
        keepAlive = r.keepAlive
        namesTestScope = r.headers.namesTestScope
        mayNameTestScope = r.mayNameTestScope
    }

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }
}

/// Runs a parser over wire bytes split in different ways.
enum ParserHarness {
    /// Feeds `pieces` one at a time, calling `next()` after each until the parser wants more;
    /// stops at the first error (the parser stays failed after one). Pieces are lent as the
    /// server lends its read buffer (parsed in place, what is left kept), and the memory is
    /// scribbled over after each, so a parser that kept a pointer into it would fail; with
    /// `lend: false` they are appended (copied) instead.
    static func pieces(
        _ pieces: [[UInt8]], limits: RequestParser.Limits = RequestParser.Limits(), dropContinue: Bool = false, lend: Bool = true
    ) -> [ParseOutcome] {
        var parser = RequestParser(limits: limits)
        var outcomes: [ParseOutcome] = []
        let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(pieces.map(\.count).max() ?? 0, 1), alignment: 1)
        defer { readBuffer.deallocate() }
        for piece in pieces {
            if lend {
                readBuffer.copyBytes(from: piece)
                parser.lend(UnsafeRawBufferPointer(rebasing: readBuffer[0..<piece.count]))
            } else {
                parser.append(piece)
            }
            defer {
                parser.keepUnconsumed()
                readBuffer.initializeMemory(as: UInt8.self, repeating: 0xAA)
            }
            loop: while true {
                switch parser.next() {
                case .needMoreData:
                    break loop
                case .continueExpected:
                    if !dropContinue { outcomes.append(.continueExpected) }
                case .request(let request):
                    outcomes.append(.request(ParsedRequest(request)))
                case .error(let error):
                    outcomes.append(.error(status: error.status))
                    return outcomes
                }
            }
        }
        return outcomes
    }

    static func whole(_ wire: [UInt8], limits: RequestParser.Limits = RequestParser.Limits()) -> [ParseOutcome] {
        pieces([wire], limits: limits)
    }

    /// One byte per `append`. `100 Continue` events are dropped: whether one is due depends on how
    /// much of the body came with the head, which is exactly what splitting changes.
    static func bytewise(_ wire: [UInt8], limits: RequestParser.Limits = RequestParser.Limits()) -> [ParseOutcome] {
        pieces(wire.map { [$0] }, limits: limits, dropContinue: true, lend: false)
    }

    /// Splits at pseudo-random points (a fixed LCG, so failures reproduce).
    static func randomPieces(_ wire: [UInt8], seed: UInt64, limits: RequestParser.Limits = RequestParser.Limits()) -> [ParseOutcome] {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var pieces: [[UInt8]] = []
        var i = 0
        while i < wire.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let n = Int((state >> 33) % 13) + 1
            pieces.append(Array(wire[i..<min(wire.count, i + n)]))
            i += n
        }
        return Self.pieces(pieces, limits: limits, dropContinue: true)
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
}

extension HTTPFields.Field: CustomStringConvertible {
    public var description: String { "\(name): \(value)" }
}
