import Foundation
import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// How recorded fixtures are replayed (`serve --replay-timing`, `--replay-ids`).
package struct ReplayOptions: Sendable, Equatable {
    package var timing: ReplayTiming
    package var ids: ReplayIDs

    package init(timing: ReplayTiming = .script, ids: ReplayIDs = .keep) {
        self.timing = timing
        self.ids = ids
    }
}

/// When a recorded stream's events go out.
package enum ReplayTiming: Sendable, Equatable, CustomStringConvertible {
    /// Each event at its recorded offset from the request.
    case recorded
    /// Each event at its recorded offset times F (0.5: twice as fast).
    case scaled(Double)
    /// The script's pacing for the fixture (its `pacing:` over the model's and the top level's):
    /// the first event after the time to first token, each later one after the interval.
    case script

    /// `recorded`, `scaled:F` (F a number from 0 to 1000) or `script`.
    package init?(_ text: String) {
        switch text {
        case "recorded": self = .recorded
        case "script": self = .script
        default:
            guard text.hasPrefix("scaled:"), let factor = Double(text.dropFirst(7)), factor >= 0, factor <= 1000, factor.isFinite else {
                return nil
            }
            self = .scaled(factor)
        }
    }

    package var description: String {
        switch self {
        case .recorded: "recorded"
        case .scaled(let factor): "scaled:\(factor.plainDecimal)"
        case .script: "script"
        }
    }

    /// The wait before each event (ns): recorded offsets made relative, scaled by `factor`.
    package static func delays(offsetsMs: [Double], factor: Double = 1) -> [UInt64] {
        var previous: UInt64 = 0
        return offsetsMs.map { ms in
            let due = UInt64((max(0, ms) * factor * 1_000_000).rounded())
            defer { previous = max(previous, due) }
            return due > previous ? due - previous : 0
        }
    }
}

/// Whether replayed ids are the recorded ones.
package enum ReplayIDs: String, Sendable, Equatable {
    /// The exact recorded bytes.
    case keep
    /// Each recorded id (`chatcmpl-`, `msg_`, `resp_`, `toolu_`, `call_`, `fc_`, ... followed by
    /// letters and digits) replaced by a fresh one of the same prefix, length and alphabet, the
    /// same everywhere it occurs in the reply.
    case regenerate
}

/// A fixture's recorded reply as a `Reply`: exact status, headers and bytes; a stream event by
/// event at the chosen timing, through the loop's deadline queue like every stream.
package enum FixtureReplay {
    package static func reply(_ fixture: Fixture, options: ReplayOptions, model: String?, context: inout ProviderContext) -> Reply {
        let recorded = fixture.reply
        var headers = HTTPFields(capacity: recorded.headers.count + 1)
        for field in recorded.headers { headers.append(name: field.name, value: field.value) }
        headers.append(name: "x-mockllm-rule", value: fixture.source)
        var ids = options.ids == .regenerate ? IDRewriter(random: context.random.fork()) : nil
        let pacing = context.script.pacing(model: model ?? "", rule: fixture.pacing)
        switch recorded.body {
        case .bytes(let bytes, let atMs):
            let body = ids?.rewrite(bytes) ?? bytes
            let delay: UInt64 = switch options.timing {
            case .recorded: ReplayTiming.delays(offsetsMs: [atMs ?? 0])[0]
            case .scaled(let factor): ReplayTiming.delays(offsetsMs: [atMs ?? 0], factor: factor)[0]
            case .script: scriptDelay(pacing, data: body, random: &context.random)
            }
            return Reply(status: recorded.status, headers: headers, body: .bytes(ByteBuffer(body), delay: delay))
        case .events(let events):
            let data = events.map { $0.wireBytes(payload: ids?.rewrite($0.data)) }
            let delays: [UInt64]
            switch options.timing {
            case .recorded: delays = ReplayTiming.delays(offsetsMs: events.map(\.atMs))
            case .scaled(let factor): delays = ReplayTiming.delays(offsetsMs: events.map(\.atMs), factor: factor)
            case .script:
                var schedule = StreamSchedule(pacing: pacing, promptTokens: 0, random: pacing.random(from: &context.random))
                delays = events.map { schedule.delay(before: Substring(String(decoding: $0.data, as: UTF8.self))) }
            }
            return Reply(status: recorded.status, headers: headers, body: .stream(RecordedStream(events: data, delays: delays)))
        }
    }

    /// `--replay-timing script` for a complete body: the time to first token of a profile, the
    /// original's lag for the text of the body.
    private static func scriptDelay(_ pacing: Pacing, data: [UInt8], random: inout SeededRandom) -> UInt64 {
        switch pacing.model {
        case .immediate: 0
        case .profile(let profile): profile.timeToFirstToken
        case .seedLag: pacing.replyDelay(text: String(decoding: data, as: UTF8.self), promptTokens: 0, random: pacing.random(from: &random))
        }
    }
}

/// A recorded stream: each event's bytes after its delay.
struct RecordedStream: EventSource {
    let events: [[UInt8]]
    let delays: [UInt64]
    private var index = 0

    init(events: [[UInt8]], delays: [UInt64]) {
        self.events = events
        self.delays = delays
    }

    mutating func nextDelay() -> UInt64? {
        index < events.count ? delays[index] : nil
    }

    mutating func writeNext(into out: inout ByteBuffer) {
        guard index < events.count else { return }
        out.append(contentsOf: events[index])
        index += 1
    }
}

/// Replaces the ids of one reply, consistently across its events.
struct IDRewriter {
    static let prefixes = ["chatcmpl-", "cmpl-", "resp_", "msg_", "toolu_", "srvtoolu_", "call_", "fc_", "rs_", "req_", "ws_", "embd-"]
    private static let pattern = try! NSRegularExpression(
        pattern: "(?<![A-Za-z0-9_-])(" + prefixes.map(NSRegularExpression.escapedPattern(for:)).joined(separator: "|") + ")([A-Za-z0-9]{8,})")

    private var random: SeededRandom
    private var replaced: [String: String] = [:]

    init(random: SeededRandom) {
        self.random = random
    }

    mutating func rewrite(_ bytes: [UInt8]) -> [UInt8] {
        guard let text = String(validating: bytes, as: UTF8.self) else { return bytes }
        let matches = Self.pattern.matches(in: text, range: NSRange(text.startIndex..., in: text))
        guard !matches.isEmpty else { return bytes }
        var out = ""
        var last = text.startIndex
        for match in matches {
            guard let whole = Range(match.range, in: text), let prefixRange = Range(match.range(at: 1), in: text),
                  let tailRange = Range(match.range(at: 2), in: text) else { continue }
            out += text[last..<whole.lowerBound]
            let old = String(text[whole])
            if let new = replaced[old] {
                out += new
            } else {
                let new = String(text[prefixRange]) + fresh(like: text[tailRange])
                replaced[old] = new
                out += new
            }
            last = whole.upperBound
        }
        out += text[last...]
        return Array(out.utf8)
    }

    /// Random characters of the same alphabet (hex digits, or letters and digits) and length.
    private mutating func fresh(like tail: Substring) -> String {
        let hex = tail.allSatisfy { $0.isHexDigit && !$0.isUppercase }
        let alphabet = Array(hex ? "0123456789abcdef" : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<tail.count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }
}
