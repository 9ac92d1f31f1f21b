import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// One chat reply worked out independently of wire shape: the script's answer, cut the way
/// the model would end it, with its pacing and diagnostic headers. Providers render it.
struct ChatPlan: Sendable {
    enum Finish: Equatable {
        case endTurn
        case maxTokens
        case stopSequence(String)
        /// The reply ends with tool calls.
        case toolUse
    }

    var text: String
    /// The reply in order when it calls tools (text and calls); empty for a text-only reply.
    var blocks: [ReplyBlock]
    var tokens: Int
    var finish: Finish
    var pacing: Pacing
    /// The random source of this reply's jitter.
    var random: SeededRandom
    var promptTokens: Int
    /// What answered (`x-mockllm-rule`) and, when nothing matched, why (`x-mockllm-miss`).
    var rule: String
    var miss: String?
    /// Where the client's quota stands after this reply (`quotas:`).
    var quota: Quota.Standing?
    /// The provider's rate-limit headers for `quota`, which the reply carries.
    var rateLimitHeaders = HTTPFields()
    /// A scripted stream fault, and the name of the fault it comes from (`x-mockllm-fault`).
    var streamFault: StreamFault?
    var faultName: String?
    /// The answering rule's `transcript:` (realtime turns the user spoke).
    var transcript: String?

    /// The tool calls, in order.
    var toolCalls: [ToolCall] {
        blocks.compactMap { if case .toolCall(let call) = $0 { call } else { nil } }
    }

    /// How long a non-stream reply waits: as long as its stream would have taken.
    var replyDelay: UInt64 {
        let spoken = blocks.isEmpty ? text : blocks.map { block in
            switch block {
            case .text(let t): t
            case .toolCall(let call): call.name + call.arguments
            }
        }.joined()
        return pacing.replyDelay(text: spoken, promptTokens: promptTokens, random: random)
    }

    /// A stream schedule for this reply.
    var schedule: StreamSchedule {
        StreamSchedule(pacing: pacing, promptTokens: promptTokens, random: random, firstChunkDelay: streamFault?.firstTokenDelay ?? 0)
    }

    /// How long a non-stream reply waits: its pacing, plus a scripted slow first token or stall.
    var bodyDelay: UInt64 {
        var delay = pacing.isImmediate ? 0 : replyDelay
        if let fault = streamFault {
            delay &+= fault.firstTokenDelay
            if case .stall(let ns)? = fault.cut { delay &+= ns ?? FaultyStream<OpenAIChatStream>.forever }
        }
        return delay
    }

    /// Why no reply is planned: the script answers with an error, an override header is
    /// invalid, or the prompt is longer than the model's context window (or a fault says so).
    enum Obstacle: Error {
        case scripted(APIError)
        case invalidOverride(String)
        case contextLength(tokens: Int, limit: Int, headers: HTTPFields)
        /// Over the `quotas:` limit: the provider words the 429.
        case quotaExceeded(Quota.Standing)
    }

    /// Plans the reply to `input`.
    /// `exactTokens`: the request asks for exactly this many tokens (`ignore_eos` with
    /// `max_tokens`, or `min_tokens`, as vLLM accepts them); honoured for engine models, whose
    /// reply is then filler text of that length.
    static func make(
        for input: MatchInput, maxTokens: Int?, stopSequences: [String], context: inout ProviderContext,
        exactTokens: (tokens: Int, length: Bool)? = nil
    ) throws(Obstacle) -> ChatPlan {
        // Checked before the script answers: a refused request must not use up a sequence's reply.
        let overrides: PacingSpec?
        do {
            overrides = input.headers.contains(prefix: PacingOverrides.prefix) ? try PacingOverrides.spec(from: input.headers) : nil
        } catch {
            throw .invalidOverride(error.message)
        }
        if let header = input.headers[Script.faultHeader] {
            do { _ = try FaultHeader.parse(header) } catch { throw .invalidOverride(error.message) }
        }
        let script = context.script
        let clientKey = context.clientKey
        let promptTokens = input.messages.promptTokens
        if let quota = script.quota {
            // Before the script answers: a refused request must not use up a sequence's reply.
            let (standing, refused) = context.scope?.admit(quota, key: clientKey, promptTokens: promptTokens, now: context.monotonic)
                ?? quota.admit(key: clientKey, promptTokens: promptTokens, now: context.monotonic)
            if refused { throw .quotaExceeded(standing) }
        }
        let answer = script.answer(for: input, scope: context.scope)
        let miss = answer.miss?.headerSafe
        let reply: ScriptReply
        switch answer.outcome {
        case .reply(let r):
            reply = r
        case .error(let error):
            var api = APIError(error)
            appendDiagnostics(rule: answer.source, miss: miss, to: &api.headers)
            throw .scripted(api)
        }
        let streamFault = try applyFault(
            answer, miss: miss, promptTokens: promptTokens, input: input, clientKey: clientKey, script: script, scope: context.scope)
        var pacing = script.pacing(model: input.model, rule: answer.pacing)
        if let overrides { pacing = overrides.applied(to: pacing) }
        // Looked up only when the script has engines: a registry lookup hashes the model name.
        let engineModel = script.engines.isEmpty ? nil : script.models.resolve(input.model)
        let engine = engineModel?.engine
        if let engine {
            pacing = .engineTokens
            if context.priority != 0 && script.engines[engine]?.schedulingPolicy != .priority {
                // vLLM's words (`Processor._validate_params`), a 400.
                throw .invalidOverride("Got priority \(context.priority) but Priority scheduling is not enabled.")
            }
        }
        var plan = ChatPlan(
            text: reply.text, blocks: reply.blocks, tokens: reply.tokenCount, finish: reply.blocks.isEmpty ? .endTurn : .toolUse, pacing: pacing,
            random: pacing.random(from: &context.random), promptTokens: promptTokens,
            rule: answer.source, miss: miss)
        (plan.streamFault, plan.faultName) = (streamFault?.fault, streamFault?.name)
        plan.transcript = answer.transcript
        context.model = input.model
        plan.cut(maxTokens: maxTokens, stopSequences: stopSequences)
        if let engine {
            if let exact = exactTokens, exact.tokens > 0 {
                plan.text = fillerText(tokens: exact.tokens)
                plan.blocks = []
                plan.tokens = exact.tokens
                plan.finish = exact.length ? .maxTokens : .endTurn
            }
            context.engine = EngineDemand(
                engine: engine, model: engineModel?.parent ?? input.model,
                adapter: engineModel?.parent == nil ? nil : engineModel?.id, prompt: input.messages.map { $0.role + ": " + $0.text }.joined(separator: "\n"),
                promptTokens: promptTokens, outputTokens: max(1, plan.tokens), finishReason: plan.finish == .maxTokens ? "length" : "stop",
                priority: context.priority)
        }
        if let quota = script.quota {
            plan.quota = context.scope?.charge(quota, key: clientKey, completionTokens: plan.tokens, now: context.monotonic)
                ?? quota.charge(key: clientKey, completionTokens: plan.tokens, now: context.monotonic)
        }
        return plan
    }

    /// The headers of a successful reply, built in one allocation: the content type, the
    /// provider's request id, then the diagnostics.
    func replyHeaders(stream: Bool, requestIDHeader: String, requestID: String) -> HTTPFields {
        stream
            ? replyHeaders(contentType: "text/event-stream; charset=utf-8", cacheControl: "no-cache", requestIDHeader: requestIDHeader, requestID: requestID)
            : replyHeaders(contentType: "application/json", requestIDHeader: requestIDHeader, requestID: requestID)
    }

    /// The same, for a protocol with content types of its own (Ollama's NDJSON).
    func replyHeaders(contentType: String, cacheControl: String? = nil, requestIDHeader: String, requestID: String) -> HTTPFields {
        var headers = HTTPFields(capacity: 5)
        headers.append(name: "content-type", value: contentType)
        if let cacheControl { headers.append(name: "cache-control", value: cacheControl) }
        headers.append(name: requestIDHeader, value: requestID)
        Self.appendDiagnostics(rule: rule, miss: miss, to: &headers)
        if let faultName { headers.append(name: "x-mockllm-fault", value: faultName.headerSafe) }
        for field in rateLimitHeaders { headers.append(name: field.name, value: field.value) }
        return headers
    }

    static func appendDiagnostics(rule: String, miss: String?, to headers: inout HTTPFields) {
        headers.append(name: "x-mockllm-rule", value: rule)
        if let miss { headers.append(name: "x-mockllm-miss", value: miss) }
    }

    /// Cuts at the first stop sequence, or after `maxTokens` tokens, whichever comes first.
    /// Tool calls come after the text: a cut drops them.
    mutating func cut(maxTokens: Int?, stopSequences: [String]) {
        var earliest: (range: Range<String.Index>, sequence: String)?
        for sequence in stopSequences where !sequence.isEmpty {
            if let range = text.firstRange(of: sequence), range.lowerBound < (earliest?.range.lowerBound ?? text.endIndex) {
                earliest = (range, sequence)
            }
        }
        if let earliest {
            text = String(text[..<earliest.range.lowerBound])
            blocks = []
            tokens = TokenEstimator.count(text)
            finish = .stopSequence(earliest.sequence)
        }
        if let maxTokens, tokens > maxTokens {
            blocks = []
            if let prefix = TokenEstimator.prefix(text, maxTokens: maxTokens) { text = String(prefix) }
            tokens = maxTokens
            finish = .maxTokens
        }
    }
}

extension APIError {
    /// A scripted error (a rule's `error:` or a miss with `on_miss: error`).
    init(_ error: RuleError) {
        let kind: Kind = switch error.status {
        case 401: .authentication
        case 403: .permission
        case 404: .notFound
        case 413: .requestTooLarge
        case 429: .rateLimit
        case 503, 529: .overloaded
        case 500...: .server
        default: .invalidRequest
        }
        self.init(status: error.status, kind: kind, message: error.message, code: error.code, headers: error.headers)
        typeOverride = error.type
        statusOnly = error.statusOnly
    }
}
