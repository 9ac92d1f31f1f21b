@testable import MockLLM
@testable import MockLLMBench
@testable import MockLLMCore
@testable import MockLLMLoop
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Streams as mockllm writes them in answer to the very request `mockllm bench` sends (parsed
/// by the server's own parser, routed by its router, answered by the provider), and the bench's
/// scanners run over bodies cut into pieces: so bench and server are checked against each
/// other byte for byte, without a socket.
enum BenchStreams {
    struct Counts: Equatable, CustomStringConvertible {
        var events: Int
        var tokens: Int
        var failure: BenchFailure?

        var description: String { "\(events) events, \(tokens) tokens, \(failure?.name ?? "completed")" }
    }

    /// The body mockllm streams for bench's request to `provider`, the prompt answered with
    /// `reply` (one event per character), with the extra request `headers` (a fault, ...).
    static func body(_ provider: BenchProvider, reply: String, headers: [String] = []) throws -> [UInt8] {
        var options = BenchOptions(url: "http://127.0.0.1:8000")
        options.provider = provider
        options.prompt = "bench"
        options.headers = headers
        let plan = try options.validated()
        var parser = RequestParser()
        parser.append(plan.request)
        guard case .request(let http) = parser.next() else { throw TestFailure("bench's request does not parse") }
        let router = Router(providers: servedProviders, builtins: [])
        guard case .routes(let routes, let parameters) = router.match(method: http.method, path: http.path),
              case .endpoint(let endpoint, _, _)? = routes.first?.target
        else { throw TestFailure("no route for \(http.target)") }
        var context = ProviderContext(script: Script(responses: ["bench": reply]), now: 1_700_000_000,
                                      random: SeededRandom(seed: 3), pathParameters: parameters)
        let reply = Endpoint.answer(http, &context, by: endpoint.handler)
        guard reply.status == 200, case .stream = reply.body else { throw TestFailure("no stream: status \(reply.status)") }
        return reply.streamEventBytes.flatMap { $0 }
    }

    /// Scans `bytes` as a `StreamClient` does, in pieces cut at `cuts`, then ends the body.
    static func scan(_ bytes: [UInt8], _ provider: BenchProvider, cuts: [Int] = []) -> Counts {
        var scanner = BodyScanner(provider: provider)
        var start = 0
        for end in Set(cuts.filter { $0 > 0 && $0 < bytes.count }).sorted() + [bytes.count] {
            bytes[start..<end].withUnsafeBytes { scanner.scan($0) }
            start = end
        }
        scanner.endOfBody()
        return Counts(events: scanner.tally.events, tokens: scanner.tally.tokenEvents, failure: scanner.tally.failure)
    }

    static func scan(_ text: String, _ provider: BenchProvider, cuts: [Int] = []) -> Counts {
        scan(Array(text.utf8), provider, cuts: cuts)
    }

    /// The same counts whatever the pieces: cut once at every position, in threes, byte by byte.
    static func expectSameCountsWhereverCut(_ bytes: [UInt8], _ provider: BenchProvider, _ counts: Counts,
                                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(scan(bytes, provider) == counts, "whole", sourceLocation: sourceLocation)
        for cut in 1..<bytes.count where scan(bytes, provider, cuts: [cut]) != counts {
            Issue.record("cut at \(cut): \(scan(bytes, provider, cuts: [cut])), not \(counts)", sourceLocation: sourceLocation)
            return
        }
        for cut in stride(from: 1, to: bytes.count, by: 5) where scan(bytes, provider, cuts: [cut, cut + 1, cut + 3]) != counts {
            Issue.record("cuts at \(cut), \(cut + 1), \(cut + 3)", sourceLocation: sourceLocation)
            return
        }
        #expect(scan(bytes, provider, cuts: Array(1..<bytes.count)) == counts, "byte by byte", sourceLocation: sourceLocation)
    }

    /// `bytes` with every line end (CRLF or LF) replaced by `end`.
    static func lineEnds(_ bytes: [UInt8], _ end: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x0D && i + 1 < bytes.count && bytes[i + 1] == 0x0A {
                out += end.utf8
                i += 2
            } else if bytes[i] == 0x0A {
                out += end.utf8
                i += 1
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }
}
