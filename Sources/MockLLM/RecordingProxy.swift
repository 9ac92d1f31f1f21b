import Dispatch
import Foundation
import Logging
import MockLLMCore
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import MockLLMUpstream

/// Record mode (`--record DIR --upstream PROVIDER=URL`), shared by every worker: where each
/// protocol's misses go, how the upstream client is set up, and where exchanges are written.
package struct RecordingConfiguration: Sendable {
    /// Base URLs by provider name (`openai`, `anthropic`, `gemini`, `ollama`, `bedrock`, ...), without a trailing `/`.
    package var upstreams: [String: String]
    /// mockllm's own AWS credentials, API key and region: Bedrock's requests are signed again with them.
    package var aws = AWSEnvironment()
    package var client: UpstreamConfiguration
    package var store: FixtureStore
    /// Record answers whose status is not 2xx too (`--record-errors`); by default a 429 or a 500
    /// is passed through to the client and not written.
    package var recordErrors = false

    package init(upstreams: [String: String], client: UpstreamConfiguration, store: FixtureStore) {
        self.upstreams = upstreams.mapValues { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.client = client
        self.store = store
    }
}

/// One loop's recording proxy: forwards a miss to its protocol's upstream and streams the answer
/// back as it arrives, then appends the exchange to the fixture store. The upstream client is
/// made on the first forwarded request, so a loop that never forwards never opens libcurl.
/// Confined to its loop's thread.
final class RecordingProxy {
    let configuration: RecordingConfiguration
    private let loop: EventLoop
    private let logger: Logger
    private var client: UpstreamClient?
    private var unavailable: UpstreamFailure?

    init(loop: EventLoop, configuration: RecordingConfiguration, logger: Logger) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
    }

    /// The upstream of `provider`, if record mode forwards its misses.
    func upstream(for provider: String) -> String? { configuration.upstreams[provider] }

    /// The worker's drain is over: ends the transfers still running (their clients are gone).
    func close() {
        client?.close()
        client = nil
    }

    /// Request headers never forwarded: hop-by-hop and framing ones (libcurl frames the
    /// message), `host` (the upstream's is the URL's), mockllm's own, and `accept-encoding`: the
    /// answer comes back uncompressed, so a stream is cut into readable events and a fixture is
    /// text a person can review (the client gets the same bytes, just not gzipped).
    static func forwarded(_ name: String) -> Bool {
        let lower = name.lowercased()
        switch lower {
        case "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect",
             "accept-encoding":
            return false
        default:
            return !lower.hasPrefix("proxy-") && !lower.hasPrefix("x-mockllm-")
        }
    }

    /// Response headers not passed back: framing and hop-by-hop (the server frames its reply and
    /// writes its own `date`).
    static func passedBack(_ name: String) -> Bool {
        switch name.lowercased() {
        case "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "date":
            return false
        default:
            return true
        }
    }

    /// Forwards `request` to `base` + its path and query; the reply is deferred until the head.
    /// - Parameter fixtureMiss: the closest fixture and what differs, for a miss nobody can answer.
    /// - Parameter answered: told once the status that goes out (the upstream's, or the failure's)
    ///   and what answered (`proxy <provider>`, `proxy <provider> failed`), for `/metrics`.
    func forward(_ request: HTTPRequest, base: String, provider: ServedProvider, requestID: String, fixtureMiss: String?,
                 answered: @escaping (_ status: Int, _ rule: String) -> Void) -> Reply {
        let link = ReplyLink()
        let exchange = ProxyExchange(request: request, upstream: base, provider: provider, requestID: requestID, link: link,
                                     fixtureMiss: fixtureMiss, proxy: self, answered: answered)
        let client: UpstreamClient
        switch Result(catching: { () throws(UpstreamFailure) in
            if let made = self.client { return made }
            return try makeClient()
        }) {
        case .success(let made): client = made
        case .failure(let failure): return exchange.failureReply(failure)
        }
        var headers: [(name: String, value: String)] = []
        for field in request.headers where Self.forwarded(field.name) { headers.append((field.name, field.value)) }
        if provider.name == Bedrock.metadata.name {
            switch BedrockUpstream.headers(for: request, forwarded: headers, base: base, environment: configuration.aws,
                                           epochSeconds: Int(Date().timeIntervalSince1970)) {
            case .success(let signed): headers = signed
            case .failure(let refusal): return exchange.errorReply(status: 502, text: "mockllm --record: " + refusal.message)
            }
        }
        let transfer = client.send(UpstreamRequest(method: request.method, url: base + request.target, headers: headers, body: request.body),
                                   to: exchange)
        exchange.returned = true
        if let failure = exchange.earlyFailure { return exchange.failureReply(failure) }
        exchange.transfer = transfer
        link.onCut = { [weak exchange] in exchange?.clientWentAway() }
        return Reply(status: 200, headers: HTTPFields([HTTPFields.Field(name: "x-mockllm-rule", value: "proxy \(provider.name)")]),
                     body: .deferred(link))
    }

    private func makeClient() throws(UpstreamFailure) -> UpstreamClient {
        if let unavailable { throw unavailable }
        do {
            let made = try UpstreamClient(loop: loop, configuration: configuration.client)
            client = made
            return made
        } catch {
            unavailable = error
            throw error
        }
    }

    /// Fixture files are written on this queue, in order, off every loop: an append re-reads,
    /// checks and renames a whole file, which a loop serving streams must not wait for.
    private static let writer = DispatchQueue(label: "mockllm.record")

    /// A complete exchange: written to the fixture directory, one log line naming the fixture.
    func record(_ exchange: RecordedExchange) {
        let (store, logger) = (configuration.store, logger)
        Self.writer.async {
            let what = "\(exchange.method) \(exchange.target.split(separator: "?")[0])"
            do {
                let appended = try store.append(exchange)
                logger.info("recorded \(what) \(exchange.status) as '\(appended.name)' in \(appended.file)")
            } catch {
                logger.error("cannot record \(what): \(error)")
            }
        }
    }

    /// Waits until every exchange recorded so far is written (the server's stop).
    package static func flushWrites() {
        writer.sync {}
    }
}

/// One forwarded request: the upstream's head becomes the client's reply (a stream pushed as
/// each piece arrives, or a whole body), and a complete answer is recorded.
final class ProxyExchange: UpstreamHandler {
    private let request: HTTPRequest
    private let upstream: String
    private let provider: ServedProvider
    private let requestID: String
    private let link: ReplyLink
    private let fixtureMiss: String?
    private unowned let proxy: RecordingProxy
    private var answered: ((_ status: Int, _ rule: String) -> Void)?
    var transfer: UpstreamTransfer?
    /// A failure reported from inside `send` (a closed client), before the reply was returned.
    private(set) var earlyFailure: UpstreamFailure?
    private let start = EventLoop.hrtime
    private var head: UpstreamHead?
    private var headers = HTTPFields()
    /// The stream pushed to the client, when the answer is one.
    private var source: ProxyStreamSource?
    private var body: [UInt8] = []
    /// The pieces as they arrived, ms after the request, kept when the answer will be recorded.
    private var pieces: [(atMs: Double, bytes: [UInt8])] = []
    private var recording = false
    /// `forward` has returned the deferred reply: failures go through the link from now on.
    var returned = false

    init(request: HTTPRequest, upstream: String, provider: ServedProvider, requestID: String, link: ReplyLink, fixtureMiss: String?,
         proxy: RecordingProxy, answered: @escaping (_ status: Int, _ rule: String) -> Void) {
        self.answered = answered
        self.request = request
        self.upstream = upstream
        self.provider = provider
        self.requestID = requestID
        self.link = link
        self.fixtureMiss = fixtureMiss
        self.proxy = proxy
    }

    /// Tells `answered` the status that went out, once.
    private func count(_ status: Int, _ rule: String) {
        answered?(status, rule)
        answered = nil
    }

    private var elapsedMs: Double { Double(EventLoop.hrtime &- start) / 1_000_000 }

    func clientWentAway() {
        transfer?.cancel()
        transfer = nil
    }

    /// A stream: server-sent events, NDJSON, an AWS event stream (Bedrock's), or a chunked body
    /// without a length (Gemini's streamed JSON array).
    static func isStream(_ head: UpstreamHead) -> Bool {
        let type = (head.value(of: "content-type") ?? "").lowercased()
        if type.hasPrefix("text/event-stream") || type.contains("ndjson") || type.hasPrefix(FixtureWriter.eventStreamType) { return true }
        return head.value(of: "content-length") == nil && (head.value(of: "transfer-encoding") ?? "").lowercased().contains("chunked")
    }

    func upstream(_ transfer: UpstreamTransfer, didReceiveHead head: UpstreamHead) {
        self.head = head
        count(head.status, "proxy \(provider.name)")
        for field in head.headers where RecordingProxy.passedBack(field.name) { headers.append(name: field.name, value: field.value) }
        recording = (200..<300).contains(head.status) || proxy.configuration.recordErrors
        if Self.isStream(head) {
            let source = ProxyStreamSource()
            self.source = source
            link.supply(Reply(status: head.status, headers: headers, body: .pushed(source, link)))
        }
    }

    func upstream(_ transfer: UpstreamTransfer, didReceive bytes: UnsafeRawBufferPointer) {
        if let source {
            let piece = Array(bytes)
            source.pending.append(ByteBuffer(piece))
            if recording { pieces.append((elapsedMs, piece)) }
            link.wake()
        } else {
            body.append(contentsOf: bytes)
        }
    }

    func upstream(_ transfer: UpstreamTransfer, didEnd end: UpstreamEnd) {
        self.transfer = nil
        switch end {
        case .success:
            guard let head else {
                // Never seen from libcurl, but a deferred reply must always be supplied.
                link.supply(failureReply(UpstreamFailure(.other, "the upstream's answer had no status line")))
                link.close()
                return
            }
            let response: RecordedReply.Body
            if let source {
                source.end(.complete)
                link.close()
                link.wake()
                response = .events(FixtureWriter.events(from: pieces, contentType: head.value(of: "content-type") ?? ""))
            } else {
                let at = elapsedMs
                link.supply(Reply(status: head.status, headers: headers, body: .bytes(ByteBuffer(body), delay: 0)))
                link.close()
                response = .bytes(body, atMs: at)
            }
            if recording {
                proxy.record(RecordedExchange(request: request, status: head.status, responseHeaders: headers, response: response))
            }
        case .failure(let failure):
            if !returned {
                earlyFailure = failure
                return
            }
            if failure.kind == .cancelled || link.isClosed { return }
            if let source {
                // Mid-stream: the protocol's in-stream error where it has one, then the connection
                // closes without the stream's end; nothing is recorded.
                let event = Self.streamError(provider: provider.name, message: message(failure))
                if !event.isEmpty { source.pending.append(event) }
                source.end(.close)
                link.close()
                link.wake()
            } else {
                link.supply(failureReply(failure))
                link.close()
            }
        }
    }

    /// The in-stream error event of the protocols that have one (OpenAI chat, Responses, Azure
    /// OpenAI, Anthropic, and Bedrock's exception message); empty for the others, whose streams
    /// just end.
    static func streamError(provider: String, message: String) -> ByteBuffer {
        var out = ByteBuffer()
        switch provider {
        case Bedrock.metadata.name:
            out = Bedrock.streamException(type: "internalServerException", message: message)
        case "openai", "azure":
            out.append(utf8: "data: {\"error\":{\"message\":")
            out.append(jsonString: message)
            out.append(utf8: ",\"type\":\"server_error\",\"code\":\"upstream_error\"}}\n\n")
        case "anthropic":
            out.append(utf8: "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":")
            out.append(jsonString: message)
            out.append(utf8: "}}\n\n")
        default:
            break
        }
        return out
    }

    private func message(_ failure: UpstreamFailure) -> String {
        let what: String
        switch failure.kind {
        case .connect: what = "cannot connect to the upstream"
        case .dns: what = "the upstream's host has no address"
        case .tls: what = "the TLS handshake with the upstream failed"
        case .timeout(.connect): what = "connecting to the upstream timed out"
        case .timeout(.firstByte): what = "the upstream did not answer in time"
        case .timeout(.idle): what = "the upstream stopped sending"
        case .cut: what = "the upstream closed the connection before the answer was complete"
        case .unavailable: what = "the upstream client is unavailable"
        case .cancelled, .closed: what = "the upstream transfer was stopped"
        case .other: what = "the upstream request failed"
        }
        return "mockllm --record: \(what) (\(upstream)): \(failure.message)"
    }

    /// The client's error for a failure before the answer's head (or of a whole body): 504 for a
    /// timeout, 502 otherwise; when no upstream could be reached, the closest recorded fixture
    /// and what differs.
    func failureReply(_ failure: UpstreamFailure) -> Reply {
        var text = message(failure)
        if failure.kind == .connect || failure.kind == .dns, let fixtureMiss {
            text += "; no recorded fixture matches this request: \(fixtureMiss)"
        } else if failure.kind == .connect || failure.kind == .dns {
            text += "; and no fixture is recorded for this endpoint"
        }
        let status: Int
        if case .timeout = failure.kind { status = 504 } else { status = 502 }
        return errorReply(status: status, text: text)
    }

    /// The protocol's error with `status` and `text`, counted as the proxy's failure.
    func errorReply(status: Int, text: String) -> Reply {
        var error = APIError(status: status, kind: .server, message: text, code: "upstream_error")
        error.headers.append(name: "x-mockllm-rule", value: "proxy \(provider.name) failed")
        count(status, "proxy \(provider.name) failed")
        if let fixtureMiss { error.headers.append(name: "x-mockllm-fixture-miss", value: fixtureMiss) }
        return provider.errorReply(error, requestID: requestID)
    }
}

/// The events of a proxied stream: each piece from the upstream, written as it arrives
/// (`Reply.notReady` until the next one), then the stream's end.
final class ProxyStreamSource: EventSource {
    var pending: [ByteBuffer] = []
    private var next = 0
    /// How the stream ends, once the upstream's answer has (`end(_:)`).
    private(set) var ending: StreamEnding = .complete
    private var ended = false

    func nextDelay() -> UInt64? {
        if next < pending.count { return 0 }
        return ended ? nil : Reply.notReady
    }

    func writeNext(into out: inout ByteBuffer) {
        out.append(pending[next])
        pending[next] = ByteBuffer()
        next += 1
        if next == pending.count {
            pending.removeAll(keepingCapacity: true)
            next = 0
        }
    }

    func end(_ ending: StreamEnding) {
        self.ending = ending
        ended = true
    }
}
