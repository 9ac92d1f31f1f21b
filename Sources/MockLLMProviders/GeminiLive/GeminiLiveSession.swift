import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// One Gemini Live session: `setup`, then the user's turns (`clientContent`, `realtimeInput`
/// text, audio and activity signals, `toolResponse`) answered by the script as timed
/// `serverContent`, `toolCall` and `sessionResumptionUpdate` messages.
///
/// Pure, as `WebSocketSession` asks: given `now`, it appends what is due. A model turn is a list
/// of timed events worked out when the turn starts (text pieces at the pacing's times, then
/// `generationComplete` and `turnComplete` with the turn's `usageMetadata`, or a `toolCall` that
/// waits for its `toolResponse`); new user input while it runs interrupts it
/// (`interrupted: true`, `turnComplete`, the rest dropped), unless the setup's
/// `activityHandling` is `NO_INTERRUPTION`.
final class GeminiLiveSession: WebSocketSession {
    private var context: ProviderContext
    /// The handshake's headers (`x-mockllm-*` pacing and fault overrides) and path.
    private let request: HTTPRequest
    private let version: String
    /// With `--api-key`: the refusal of a handshake without the key, sent as the close frame.
    private let keyRefusal: APIError?

    private var setup: GeminiLiveSetup?
    /// The conversation: the system instruction first (when there is one), then every turn.
    private var conversation: [ChatMessage] = []
    private var closed = false

    /// The user's input since the last model turn: audio bytes and typed text, and whether an
    /// activity (`activityStart`, or audio under automatic detection) is open.
    private var heard = Heard()
    /// With automatic activity detection, when the last audio arrived: the turn ends a silence
    /// later.
    private var lastAudio: UInt64?
    /// The model's turn in progress.
    private var turn: Turn?
    /// Calls the model made that wait for their `toolResponse`.
    private var pendingCalls: [ToolCall] = []

    struct Heard {
        var audioBytes = 0
        var audioRate = 16_000
        var text: [String] = []
        var active = false

        var isEmpty: Bool { audioBytes == 0 && text.isEmpty }

        /// Seconds of PCM16 mono audio heard.
        var audioSeconds: Double { Double(audioBytes) / Double(2 * audioRate) }
    }

    /// A model turn: its events in time order and the next one to send.
    struct Turn {
        var events: [Timed] = []
        var next = 0
        /// The text sent so far: what the conversation keeps when the turn is interrupted.
        var spoken = ""
        var promptTokens: Int
        var audio: Bool

        var nextDeadline: UInt64? { next < events.count ? events[next].at : nil }
    }

    struct Timed {
        var at: UInt64
        var event: Event
    }

    enum Event {
        case text(Substring)
        case toolCall([ToolCall])
        case generationComplete
        case turnComplete(responseTokens: Int)
        /// A scripted stream fault: the turn ends here with `output` (a close frame, a frame of
        /// invalid JSON) or, for `nil`, with nothing more (a stall).
        case fault(WebSocketOutput?)
    }

    init(context: ProviderContext, request: HTTPRequest, version: String, keyRefusal: APIError?) {
        self.context = context
        self.request = request
        self.version = version
        self.keyRefusal = keyRefusal
    }

    // MARK: WebSocketSession

    func opened(now: UInt64, into out: inout [WebSocketOutput]) {
        if let keyRefusal { close(keyRefusal, into: &out) }
    }

    func received(_ message: WebSocketMessage, now: UInt64, into out: inout [WebSocketOutput]) {
        guard !closed else { return }
        let bytes: [UInt8] = switch message {
        case .text(let buffer), .binary(let buffer): buffer.bytes
        }
        let decoded: GeminiLiveClientMessage
        do {
            decoded = try GeminiLiveClientMessage.decode(bytes)
        } catch {
            return close(error, into: &out)
        }
        if case .setup(let setup) = decoded {
            return start(setup, into: &out)
        }
        guard let setup else { return close(GeminiLive.invalidArgument, into: &out) }
        switch decoded {
        case .setup:
            break
        case .clientContent(let turns, let complete):
            if !turns.isEmpty { interrupt(now: now, into: &out) }
            conversation.append(contentsOf: turns)
            if complete { answer(now: now, into: &out) }
        case .realtimeInput(let input):
            realtime(input, setup: setup, now: now, into: &out)
        case .toolResponse(let results):
            respond(results, now: now, into: &out)
        }
    }

    var nextDeadline: UInt64? {
        guard !closed else { return nil }
        let silence = lastAudio.map { $0 &+ (setup?.silenceDuration ?? 0) }
        switch (turn?.nextDeadline, silence) {
        case (let a?, let b?): return min(a, b)
        case (let a, let b): return a ?? b
        }
    }

    func due(now: UInt64, into out: inout [WebSocketOutput]) {
        while !closed, let at = turn?.nextDeadline, at <= now {
            emit(now: now, into: &out)
        }
        if !closed, let last = lastAudio, let setup, last &+ setup.silenceDuration <= now {
            lastAudio = nil
            endActivity(now: now, into: &out)
        }
    }

    func ended(code: UInt16, now: UInt64) {
        closed = true
        turn = nil
    }

    // MARK: Setup

    private func start(_ new: GeminiLiveSetup, into out: inout [WebSocketOutput]) {
        // The setup comes once, first.
        guard setup == nil else { return close(GeminiLive.invalidArgument, into: &out) }
        switch ModelCheck.check(model: new.model, maxTokens: new.request.maxOutputTokens, provider: Gemini.metadata.name, script: context.script) {
        case .accepted: break
        case .unknownModel: return close(GeminiLive.modelNotFound(new.model, version: version), into: &out)
        case .tooManyTokens(let limit): return close(Gemini.maxOutputTokensError(new.request.maxOutputTokens ?? 0, limit: limit), into: &out)
        }
        conversation = new.request.messages
        if let handle = new.resumeHandle {
            guard let entry = store?.entry(handle), entry.model == new.model else { return close(GeminiLive.sessionNotFound, into: &out) }
            // A resumed session keeps its conversation; a new system instruction replaces the old.
            conversation = new.request.messages + entry.conversation.filter { $0.role != "system" }
            if new.request.messages.isEmpty { conversation = entry.conversation }
        }
        setup = new
        out.append(.binary(GeminiLiveServerMessage.setupComplete()))
    }

    private var store: GeminiLiveSessionStore? { context.states[GeminiLiveSessionStore.self] }

    // MARK: User input

    private func realtime(_ input: GeminiLiveRealtimeInput, setup: GeminiLiveSetup, now: UInt64, into out: inout [WebSocketOutput]) {
        if input.activityStart || input.activityEnd {
            // Activity signals are the client's only with automatic detection off.
            guard !setup.automaticActivityDetection else { return close(GeminiLive.invalidArgument, into: &out) }
        }
        if input.activityStart {
            interrupt(now: now, into: &out)
            heard = Heard()
            heard.active = true
        }
        if input.audioBytes > 0 {
            if setup.automaticActivityDetection {
                if !heard.active {
                    interrupt(now: now, into: &out)
                    heard.active = true
                }
                lastAudio = now
            }
            if heard.active {
                heard.audioBytes += input.audioBytes
                heard.audioRate = input.audioRate
            }
        }
        if let text = input.text, !text.isEmpty {
            interrupt(now: now, into: &out)
            heard.text.append(text)
            // Typed text is a turn of its own, unless the client holds an activity open.
            if setup.automaticActivityDetection || !heard.active { endActivity(now: now, into: &out) }
        }
        if input.activityEnd || (input.audioStreamEnd && setup.automaticActivityDetection && heard.active) {
            lastAudio = nil
            endActivity(now: now, into: &out)
        }
    }

    /// The user has finished speaking or typing: what was heard becomes a user turn, answered.
    private func endActivity(now: UInt64, into out: inout [WebSocketOutput]) {
        let heard = self.heard
        self.heard = Heard()
        guard !heard.isEmpty else { return }
        conversation.append(ChatMessage(role: "user", text: heard.text.joined(separator: "\n")))
        answer(now: now, into: &out)
    }

    private func respond(_ results: [ChatMessage.ToolResult], now: UInt64, into out: inout [WebSocketOutput]) {
        guard !results.isEmpty else { return }
        // Each answers a pending call by its id (or, without one, its name).
        var named: [ChatMessage.ToolResult] = []
        for result in results {
            guard let i = pendingCalls.firstIndex(where: { $0.id == result.callID || (result.callID == nil && $0.name == result.name) }) else {
                return close(GeminiLive.invalidArgument, into: &out)
            }
            let call = pendingCalls.remove(at: i)
            named.append(ChatMessage.ToolResult(callID: call.id, name: call.name, text: result.text))
        }
        conversation.append(ChatMessage(role: "user", text: "", toolResults: named))
        if pendingCalls.isEmpty { answer(now: now, into: &out) }
    }

    /// New user input while the model speaks: `interrupted`, then the turn's end; the calls it
    /// made are cancelled.
    private func interrupt(now: UInt64, into out: inout [WebSocketOutput]) {
        guard setup?.interruptible ?? true else { return }
        if !pendingCalls.isEmpty {
            out.append(.binary(GeminiLiveServerMessage.toolCallCancellation(pendingCalls.map { $0.id ?? "" })))
            pendingCalls = []
        }
        guard let current = turn, current.next < current.events.count else { return }
        turn = nil
        out.append(.binary(GeminiLiveServerMessage.interrupted()))
        finish(current, responseTokens: TokenEstimator.count(current.spoken), into: &out)
    }

    // MARK: Model turns

    /// Plans the model's answer to the conversation and schedules it from `now`.
    private func answer(now: UInt64, into out: inout [WebSocketOutput]) {
        guard let setup else { return }
        let prompt = conversation.lastUserText ?? ""
        let input = MatchInput(
            prompt: prompt, model: setup.model, messages: conversation, hasTools: setup.request.hasTools, headers: request.headers,
            endpoint: request.path, provider: Gemini.metadata.name, tools: setup.request.toolOffer)
        context.monotonic = now
        let plan: ChatPlan
        do {
            plan = try ChatPlan.make(for: input, maxTokens: setup.request.maxOutputTokens, stopSequences: setup.request.stopSequences,
                                     context: &context)
        } catch {
            let quota = { Gemini.quotaRefusal($0, now: self.context.now) }
            return close(error.apiError(quotaRefusal: quota, contextLength: Gemini.contextLengthError), into: &out)
        }
        var turn = Turn(promptTokens: plan.promptTokens, audio: setup.audio)
        var pacing = plan.schedule
        var at = now
        var chunks = TextChunks(plan.text, chunking: plan.pacing.chunking)
        var sent = 0
        let fault = plan.streamFault
        while let chunk = chunks.next() {
            at &+= pacing.delay(before: chunk)
            if let fault, let cut = fault.cut, sent == fault.after {
                turn.events.append(Timed(at: at, event: .fault(Self.output(for: cut))))
                return start(turn, now: now, into: &out)
            }
            turn.events.append(Timed(at: at, event: .text(chunk)))
            sent += 1
        }
        if let fault, let cut = fault.cut {
            turn.events.append(Timed(at: at, event: .fault(Self.output(for: cut))))
            return start(turn, now: now, into: &out)
        }
        var calls = plan.toolCalls
        if !calls.isEmpty {
            for i in calls.indices where calls[i].id == nil {
                calls[i].id = "function-call-" + String(context.random.next() >> 1)
            }
            turn.events.append(Timed(at: at, event: .toolCall(calls)))
        } else {
            turn.events.append(Timed(at: at, event: .generationComplete))
            turn.events.append(Timed(at: at, event: .turnComplete(responseTokens: plan.tokens)))
        }
        start(turn, now: now, into: &out)
    }

    /// What a stream fault's cut becomes on a WebSocket: a close frame for an error, a cut
    /// connection or a reset (a session cannot drop its socket: 1011, as the API closes on an
    /// internal error); a frame of invalid JSON; nothing more for a stall or a truncation.
    private static func output(for cut: StreamFault.Cut) -> WebSocketOutput? {
        switch cut {
        case .error(_, let message): .close(code: 1011, reason: GeminiLive.closeReason(message))
        case .disconnect, .reset: .close(code: 1011, reason: "Internal error encountered.")
        case .malformed:
            { var out = ByteBuffer(); out.append(ascii: "{\"serverContent\": {\"modelTurn\": "); return .binary(out) }()
        case .stall, .truncate: nil
        }
    }

    private func start(_ new: Turn, now: UInt64, into out: inout [WebSocketOutput]) {
        turn = new
        if let at = new.nextDeadline, at <= now { due(now: now, into: &out) }
    }

    /// Sends the turn's next event.
    private func emit(now: UInt64, into out: inout [WebSocketOutput]) {
        guard var current = turn else { return }
        let event = current.events[current.next].event
        current.next += 1
        turn = current
        switch event {
        case .text(let text):
            turn?.spoken += text
            out.append(.binary(GeminiLiveServerMessage.modelText(text)))
        case .toolCall(let calls):
            turn = nil
            pendingCalls = calls
            conversation.append(ChatMessage(role: "assistant", text: current.spoken, toolCalls: calls.map { ($0.id ?? $0.name, $0.name) }))
            out.append(.binary(GeminiLiveServerMessage.toolCall(calls)))
        case .generationComplete:
            out.append(.binary(GeminiLiveServerMessage.generationComplete()))
        case .turnComplete(let tokens):
            turn = nil
            finish(current, responseTokens: tokens, into: &out)
        case .fault(let output):
            turn = nil
            if let output {
                out.append(output)
                if case .close = output { closed = true }
            }
        }
    }

    /// The turn is over: the conversation keeps what was said, the client gets `turnComplete`
    /// with the usage and, when it asked for them, a resumption handle.
    private func finish(_ turn: Turn, responseTokens: Int, into out: inout [WebSocketOutput]) {
        if !turn.spoken.isEmpty { conversation.append(ChatMessage(role: "assistant", text: turn.spoken)) }
        let usage = GeminiLiveServerMessage.Usage(promptTokens: turn.promptTokens, responseTokens: responseTokens, audio: turn.audio)
        out.append(.binary(GeminiLiveServerMessage.turnComplete(usage)))
        guard let setup, setup.resumption else { return }
        if let store {
            let handle = context.random.alphanumericString(prefix: "", count: 32)
            store.save(handle, GeminiLiveSessionStore.Entry(model: setup.model, conversation: conversation))
            out.append(.binary(GeminiLiveServerMessage.resumptionUpdate(handle: handle)))
        } else {
            out.append(.binary(GeminiLiveServerMessage.resumptionUpdate(handle: nil)))
        }
    }

    private func close(_ error: APIError, into out: inout [WebSocketOutput]) {
        closed = true
        turn = nil
        out.append(GeminiLive.close(for: error))
    }
}
