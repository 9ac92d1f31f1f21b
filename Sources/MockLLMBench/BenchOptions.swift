import MockLLMCore

/// What `mockllm bench` runs: the target, the request, the shape of the load and its limits.
/// Times are in seconds, pacing in milliseconds, as on the command line.
package struct BenchOptions: Sendable {
    /// `http://host[:port][/path]`; without a path, the provider's endpoint.
    package var url: String
    package var provider: BenchProvider = .openai
    /// Default: the provider's (`BenchProvider.defaultModel`). Gemini's goes into the default path.
    package var model: String?
    package var prompt = "hello"
    /// Extra request headers, each `Name: value`.
    package var headers: [String] = []
    /// Sent as `x-mockllm-ttft-ms`; TTFT error is measured against it.
    package var ttftMilliseconds: Double?
    /// Sent as `x-mockllm-itl-ms`; ITL error is measured against it.
    package var itlMilliseconds: Double?
    /// Streams in flight at most (closed loop: always, each connection starting its next
    /// stream when one ends).
    package var concurrency = 10
    /// New streams per second (open loop), still at most `concurrency` in flight.
    package var rate: Double?
    /// Stop starting streams after this long. Default 10 s when `requests` is not given.
    package var duration: Double?
    /// Stop after starting this many streams.
    package var requests: Int?
    /// Spread the first connection starts evenly over this long.
    package var rampUp: Double = 0
    /// After `duration`, how long streams in flight may finish before they are cut.
    package var drain: Double = 30
    /// Longest a single stream may take.
    package var timeout: Double = 60
    /// Sent with the `/_mockllm/stats` reading, for a server started with `--admin-token`.
    package var adminToken: String?

    package init(url: String) {
        self.url = url
    }

    /// Checks every value; the error message names the option.
    func validated() throws(BenchUsageError) -> BenchPlan {
        guard concurrency >= 1 else { throw BenchUsageError("--concurrency must be at least 1") }
        if let rate, !(rate > 0 && rate.isFinite) { throw BenchUsageError("--rate must be a number of streams per second greater than 0") }
        if let duration, !(duration > 0 && duration.isFinite) { throw BenchUsageError("--duration must be greater than 0 seconds") }
        if let requests, requests < 1 { throw BenchUsageError("--requests must be at least 1") }
        guard rampUp >= 0 && rampUp.isFinite else { throw BenchUsageError("--ramp-up must be 0 or more seconds") }
        guard drain >= 0 && drain.isFinite else { throw BenchUsageError("--drain must be 0 or more seconds") }
        guard timeout > 0 && timeout.isFinite else { throw BenchUsageError("--timeout must be greater than 0 seconds") }
        for (name, value) in [("--ttft-ms", ttftMilliseconds), ("--itl-ms", itlMilliseconds)] {
            if let value, !(value >= 0 && value < 86_400_000) { throw BenchUsageError("\(name) must be 0 or more milliseconds") }
        }
        if let adminToken, adminToken.isEmpty || adminToken.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw BenchUsageError("--admin-token must be non-empty text without control characters")
        }
        let target = try BenchTarget.parse(url)
        let model = model ?? provider.defaultModel
        let path = try endpoint(target: target, model: model)
        let request = try BenchRequest.build(options: self, target: target, path: path, model: model)
        return BenchPlan(
            target: target, path: path, request: request,
            messages: provider == .realtime ? BenchRequest.realtimeEvents(prompt: prompt) : [], provider: provider,
            model: model, concurrency: concurrency, rate: rate,
            duration: duration.map(Self.nanoseconds) ?? (requests == nil ? 10_000_000_000 : nil), requests: requests,
            rampUp: Self.nanoseconds(rampUp), drain: Self.nanoseconds(drain), timeout: Self.nanoseconds(timeout),
            configuredTTFT: ttftMilliseconds.map { Self.nanoseconds($0 / 1000) },
            configuredITL: itlMilliseconds.map { Self.nanoseconds($0 / 1000) }, adminToken: adminToken)
    }

    /// The path to post to: the URL's, else the provider's endpoint. Gemini, Vertex AI and Azure
    /// name the model in the path, and Gemini sends server-sent events only when asked with `alt=sse`.
    private func endpoint(target: BenchTarget, model: String) throws(BenchUsageError) -> String {
        guard provider.modelInPath else { return target.path ?? provider.defaultPath(model: model) }
        guard let path = target.path else {
            // Vertex AI's versions follow an `@` (`claude-3-haiku@20240307`), which a path segment may hold.
            let ats = provider == .vertex || provider == .vertexAnthropic ? 1 : 0
            guard !model.isEmpty, model.utf8.allSatisfy({ Self.isUnreserved($0) || $0 == UInt8(ascii: "@") }),
                  model.utf8.count(where: { $0 == UInt8(ascii: "@") }) <= ats
            else {
                throw BenchUsageError("--model for \(provider.rawValue) goes into the URL path: letters, digits and -._~ only"
                    + (ats > 0 ? ", and one @ before a version" : "") + " (got '\(model)')")
            }
            return provider.defaultPath(model: model)
        }
        guard provider == .gemini || provider == .vertex else { return path }
        let query = path.split(separator: "?", maxSplits: 1).dropFirst().first ?? ""
        guard query.split(separator: "&").contains("alt=sse") else {
            throw BenchUsageError("\(provider.rawValue) streams server-sent events only with ?alt=sse: add it to the URL (...:streamGenerateContent?alt=sse)")
        }
        return path
    }

    /// RFC 3986's unreserved characters, which a path segment carries as they are.
    private static func isUnreserved(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        UInt64((min(seconds, 1e9) * 1e9).rounded())
    }
}

/// Validated options in the runner's units (nanoseconds), with the request bytes built once.
struct BenchPlan: Sendable {
    var target: BenchTarget
    var path: String
    var request: [UInt8]
    /// WebSocket messages a session sends once upgraded (Realtime), in order.
    var messages: [ByteBuffer]
    var provider: BenchProvider
    var model: String
    var concurrency: Int
    var rate: Double?
    var duration: UInt64?
    var requests: Int?
    var rampUp: UInt64
    var drain: UInt64
    var timeout: UInt64
    var configuredTTFT: UInt64?
    var configuredITL: UInt64?
    var adminToken: String?

    /// `http://host:port/path`, as reported.
    var url: String { "http://\(target.authority)\(path)" }
}

/// A mistake in the command line: reported with exit status 2.
package struct BenchUsageError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package init(_ message: String) { self.message = message }
    package var description: String { message }
}
