import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// One Gemini Live session: `setup`, then the user's turns (`clientContent`, `realtimeInput`
/// text, audio and activity signals, `toolResponse`) answered by the script as timed
/// `serverContent`, `toolCall` and `sessionResumptionUpdate` messages.
///
/// Pure, as `WebSocketSession` asks: given `now`, it appends what is due. A model turn is the
/// shared `LivePlan` worked out when the turn starts (text pieces at the pacing's times, or
/// speech chunks rendered when due with their transcript), then `generationComplete` and
/// `turnComplete` with the turn's `usageMetadata`, or a `toolCall` that waits for its
/// `toolResponse`. New user input while it runs interrupts it (`interrupted: true`,
/// `turnComplete`, the rest dropped), unless the setup's `activityHandling` is `NO_INTERRUPTION`.
final class GeminiLiveSession: WebSocketSession {
    private var context: ProviderContext
    /// The handshake's headers (`x-mockllm-*` pacing and fault overrides) and path.
    private let request: HTTPRequest
    private let service: GeminiLive.Service
    /// With `--api-key`: the refusal of a handshake without the key, sent as the close frame
    /// in answer to the first message.
    private let keyRefusal: APIError?

    private var setup: GeminiLiveSetup?
    /// The system instruction's text.
    private var instructions = ""
    /// The conversation: every turn, as `LiveTurn` takes it (no system message).
    private var conversation: [ChatMessage] = []
    private var closed = false
    /// `settings.session_limit_ms` or the handshake's override: when the connection ends (a
    /// `goAway` first), set when it opens.
    private let lifetime: SessionLifetime?
    private var ends: UInt64?
    /// When the `goAway` goes out; nil once it has.
    private var goAwayAt: UInt64?

    /// The user's input since the last model turn.
    private var heard = Heard()
    /// With automatic activity detection: what hears the user's speech in the input audio.
    private var voice: VoiceActivity?
    /// The model's turn in progress.
    private var turn: Turn?
    /// Calls the model made that wait for their `toolResponse`.
    private var pendingCalls: [ToolCall] = []
    /// User turns that came while the model could not be interrupted (`NO_INTERRUPTION`), each
    /// answered in turn once the model is done: how long each was spoken (nil: typed).
    private var waitingTurns: [Int?] = []

    /// What the user has said since the last model turn.
    struct Heard {
        var text: [String] = []
        /// An activity is open: `activityStart` came, or speech was heard.
        var active = false
        /// Automatic detection: where the speech started in the input audio (ms).
        var speechStart: Int?
        /// Manual activity: the audio's bytes and sample rate.
        var audioBytes = 0
        var audioRate = 16_000
    }

    /// A model turn: the plan's steps from `start`, the next one to send, then `tail` at the
    /// plan's end.
    struct Turn {
        var plan: LivePlan
        var start: UInt64
        var next = 0
        /// What follows the steps: the end of the turn, the tool call, or a scripted fault.
        var tail: [Event]
        /// Steps sent before a scripted fault cuts the turn (all: no fault).
        var cutAfter: Int
        /// A scripted `malformed` fault: the step before which a frame of invalid JSON goes out.
        var malformedAt: Int?
        /// The text (or transcript) sent so far: what the conversation keeps when interrupted.
        var spoken = ""

        var nextDeadline: UInt64? {
            if next < min(plan.steps.count, cutAfter) { return start &+ plan.steps[next].at }
            return tail.isEmpty ? nil : start &+ plan.duration
        }
    }

    enum Event {
        case toolCall([ToolCall])
        case generationComplete
        case turnComplete
        /// A scripted stream fault: the turn ends here with `output` (a close frame) or, for
        /// `nil`, with nothing more (`stall: forever`, `truncate`).
        case fault(WebSocketOutput?)
    }

    init(context: ProviderContext, request: HTTPRequest, service: GeminiLive.Service, keyRefusal: APIError?,
         lifetime: SessionLifetime? = nil) {
        self.context = context
        self.lifetime = lifetime
        self.request = request
        self.service = service
        self.keyRefusal = keyRefusal
    }

    // MARK: WebSocketSession

    /// The client speaks first (`setup`); a limited connection's clock starts now.
    func opened(now: UInt64, into out: inout [WebSocketOutput]) {
        guard let lifetime else { return }
        ends = now &+ lifetime.limit
        goAwayAt = now &+ (lifetime.limit - lifetime.warning)
    }

    func received(_ message: WebSocketMessage, now: UInt64, into out: inout [WebSocketOutput]) {
        guard !closed else { return }
        // A refused key closes the session when the client first speaks, as the API does it
        // ("closed during setup"): a client that sends its setup right after the upgrade sees
        // the close on its first read.
        if let keyRefusal { return close(keyRefusal, into: &out) }
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
            if !turns.isEmpty || complete { interrupt(now: now, into: &out) }
            conversation.append(contentsOf: turns)
            if complete { answer(now: now, into: &out) }
        case .realtimeInput(let input):
            realtime(input, setup: setup, now: now, into: &out)
        case .toolResponse(let results):
            respond(results, now: now, into: &out)
        }
    }

    /// Asked after every call: the earliest of the turn's next message, the warning and the end
    /// (no list built for it).
    var nextDeadline: UInt64? {
        guard !closed else { return nil }
        var earliest = turn?.nextDeadline
        if let goAwayAt { earliest = min(earliest ?? goAwayAt, goAwayAt) }
        if let ends { earliest = min(earliest ?? ends, ends) }
        return earliest
    }

    func due(now: UInt64, into out: inout [WebSocketOutput]) {
        // What was due before the warning goes first, then the warning; nothing after the end.
        if let at = goAwayAt, at <= now, let ends {
            turnDue(now: at, into: &out)
            goAwayAt = nil
            if !closed { out.append(.binary(GeminiLiveServerMessage.goAway(timeLeft: SessionLifetime.duration(ends - at)))) }
        }
        guard let ends, now >= ends else { return turnDue(now: now, into: &out) }
        turnDue(now: ends, into: &out)
        guard !closed else { return }
        // How Google's front end ends a connection at its lifetime's end.
        closed = true
        turn = nil
        out.append(.close(code: 1011, reason: "Deadline expired before operation could complete."))
    }

    private func turnDue(now: UInt64, into out: inout [WebSocketOutput]) {
        while !closed, let at = turn?.nextDeadline, at <= now {
            emit(now: now, into: &out)
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
        switch ModelCheck.check(model: new.model, maxTokens: new.request.maxOutputTokens, provider: service.modelOwner, script: context.script) {
        case .accepted: break
        case .unknownModel: return close(service.modelNotFound(new.model, new.resource), into: &out)
        case .tooManyTokens(let limit): return close(Gemini.maxOutputTokensError(new.request.maxOutputTokens ?? 0, limit: limit), into: &out)
        }
        instructions = new.request.messages.first { $0.role == "system" }?.text ?? ""
        if let handle = new.resumeHandle {
            guard let entry = store?.entry(handle), entry.model == new.model else { return close(GeminiLive.sessionNotFound, into: &out) }
            // A resumed session keeps its conversation; a new system instruction replaces the old.
            conversation = entry.conversation
            if instructions.isEmpty { instructions = entry.instructions }
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
        if !input.audio.isEmpty {
            if setup.automaticActivityDetection {
                hear(input, setup: setup, now: now, into: &out)
            } else if heard.active {
                heard.audioBytes += input.audio.count
                heard.audioRate = input.audioRate
            }
        }
        if let text = input.text, !text.isEmpty {
            interrupt(now: now, into: &out)
            heard.text.append(text)
            // Typed text is a turn of its own, unless the user is speaking or holds an activity open.
            if !heard.active { endActivity(audioMilliseconds: nil, now: now, into: &out) }
        }
        if input.activityEnd {
            let milliseconds = heard.audioBytes > 0 ? AudioFormat.pcm16(sampleRate: heard.audioRate).milliseconds(ofBytes: heard.audioBytes) : nil
            endActivity(audioMilliseconds: milliseconds, now: now, into: &out)
        }
        if input.audioStreamEnd, setup.automaticActivityDetection, let start = heard.speechStart, var voice {
            // The stream paused mid-speech: the speech ends where the audio did.
            voice.reset()
            self.voice = voice
            endActivity(audioMilliseconds: voice.milliseconds(atSample: voice.samples) - start, now: now, into: &out)
        }
    }

    /// Automatic activity detection: the audio's speech starts an activity (interrupting the
    /// model) and its end, `silenceMilliseconds` of silence later, ends the user's turn.
    private func hear(_ input: GeminiLiveRealtimeInput, setup: GeminiLiveSetup, now: UInt64, into out: inout [WebSocketOutput]) {
        var detector = voice ?? VoiceActivity(format: .pcm16(sampleRate: input.audioRate), silenceMilliseconds: setup.silenceMilliseconds)
        if detector.format.sampleRate != input.audioRate {
            detector = VoiceActivity(format: .pcm16(sampleRate: input.audioRate), silenceMilliseconds: setup.silenceMilliseconds)
        }
        var events: [VoiceActivity.Event] = []
        detector.feed(input.audio, into: &events)
        voice = detector
        for event in events {
            switch event {
            case .started(let milliseconds):
                interrupt(now: now, into: &out)
                heard.active = true
                heard.speechStart = milliseconds
            case .stopped(let milliseconds):
                endActivity(audioMilliseconds: milliseconds - (heard.speechStart ?? milliseconds), now: now, into: &out)
            }
        }
    }

    /// The user has finished speaking or typing: what was heard becomes a user turn, answered.
    /// `audioMilliseconds`: how long the user spoke; nil when nothing was said aloud.
    private func endActivity(audioMilliseconds: Int?, now: UInt64, into out: inout [WebSocketOutput]) {
        let heard = self.heard
        self.heard = Heard()
        guard let setup else { return }
        guard let milliseconds = audioMilliseconds else {
            guard !heard.text.isEmpty else { return }
            conversation.append(ChatMessage(role: "user", text: heard.text.joined(separator: "\n")))
            return answer(now: now, into: &out)
        }
        // Spoken: the script says what the audio said (a rule's `transcript:`), typed text after it.
        let transcript = liveTurn(setup).transcript(ofAudio: milliseconds, script: context.script, scope: context.scope)
        if setup.inputTranscription { out.append(.binary(GeminiLiveServerMessage.transcription(Substring(transcript), input: true))) }
        conversation.append(ChatMessage(role: "user", text: ([transcript] + heard.text).joined(separator: "\n")))
        answer(now: now, audioMilliseconds: milliseconds, into: &out)
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
        guard let current = turn else { return }
        turn = nil
        out.append(.binary(GeminiLiveServerMessage.interrupted()))
        finish(current, interrupted: true, into: &out)
    }

    // MARK: Model turns

    /// The conversation as the shared live turn: what the script answers.
    private func liveTurn(_ setup: GeminiLiveSetup, audioMilliseconds: Int? = nil) -> LiveTurn {
        LiveTurn(model: setup.model, instructions: instructions, messages: conversation, audioMilliseconds: audioMilliseconds,
                 tools: setup.request.toolOffer, headers: request.headers, endpoint: request.path, provider: service.provider,
                 speech: setup.audio ? GeminiLive.outputFormat : nil, maxTokens: setup.request.maxOutputTokens)
    }

    /// Plans the model's answer to the conversation and schedules it from `now`.
    private func answer(now: UInt64, audioMilliseconds: Int? = nil, into out: inout [WebSocketOutput]) {
        guard let setup else { return }
        // The model is still answering (it could not be interrupted): this turn waits its turn.
        if turn != nil || !pendingCalls.isEmpty { return waitingTurns.append(audioMilliseconds) }
        context.monotonic = now
        var plan: LivePlan
        do {
            plan = try liveTurn(setup, audioMilliseconds: audioMilliseconds).plan(context: &context, chunkMilliseconds: GeminiLive.chunkMilliseconds)
        } catch {
            let quota = { Gemini.quotaRefusal($0, now: self.context.now) }
            return close(error.apiError(quotaRefusal: quota, contextLength: Gemini.contextLengthError), into: &out)
        }
        var tail: [Event]
        var cutAfter = plan.steps.count
        var malformedAt: Int?
        let fault = plan.chat.streamFault
        if let fault, case .stall(let pause?)? = fault.cut {
            // `stall_ms`: a pause after `after` steps, then the rest.
            for i in plan.steps.indices.dropFirst(min(fault.after, plan.steps.count)) { plan.steps[i].at &+= pause }
        }
        if let fault, let cut = fault.cut, !Self.continues(after: cut) {
            cutAfter = min(fault.after, plan.steps.count)
            tail = [.fault(Self.output(for: cut))]
        } else if !plan.toolCalls.isEmpty {
            var calls = plan.toolCalls
            for i in calls.indices where calls[i].id == nil {
                calls[i].id = "function-call-" + String(context.random.next() >> 1)
            }
            tail = [.toolCall(calls)]
        } else {
            tail = [.generationComplete, .turnComplete]
        }
        if let fault, case .malformed? = fault.cut { malformedAt = min(fault.after, plan.steps.count) }
        var turn = Turn(plan: plan, start: now, tail: tail, cutAfter: cutAfter, malformedAt: malformedAt)
        if cutAfter < plan.steps.count { turn.plan.steps.removeSubrange(cutAfter...) }
        self.turn = turn
        if let at = turn.nextDeadline, at <= now { due(now: now, into: &out) }
    }

    /// What a stream fault's cut becomes on a WebSocket: a close frame for an error, a cut
    /// connection or a reset (a session cannot drop its socket: 1011, as the API closes on an
    /// internal error); nothing more for a stall or a truncation. (`malformed` is a frame of its
    /// own: `malformedFrame`.)
    private static func output(for cut: StreamFault.Cut) -> WebSocketOutput? {
        switch cut {
        case .error(_, let message): .close(code: 1011, reason: GeminiLive.closeReason(message))
        case .disconnect, .reset: .close(code: 1011, reason: "Internal error encountered.")
        case .contentFilter(let category): .close(code: 1011, reason: GeminiLive.closeReason(ChatPlan.contentFilterMessage(category)))
        case .stall, .truncate, .malformed: nil
        }
    }

    /// Whether the turn goes on after the fault: a bad frame (`malformed`) or a pause
    /// (`stall_ms`) is followed by the rest.
    private static func continues(after cut: StreamFault.Cut) -> Bool {
        switch cut {
        case .malformed, .stall(_?): true
        default: false
        }
    }

    /// A `malformed` fault's frame: a server message cut off, not JSON.
    private static var malformedFrame: WebSocketOutput {
        var out = ByteBuffer()
        out.append(ascii: "{\"serverContent\": {\"modelTurn\": ")
        return .binary(out)
    }

    /// Sends the turn's next step, or its tail once the steps are done.
    private func emit(now: UInt64, into out: inout [WebSocketOutput]) {
        guard var current = turn else { return }
        if current.malformedAt == current.next {
            current.malformedAt = nil
            turn = current
            return out.append(Self.malformedFrame)
        }
        if current.next < current.plan.steps.count {
            let step = current.plan.steps[current.next].step
            current.next += 1
            switch step {
            case .text(let text):
                current.spoken += text
                out.append(.binary(GeminiLiveServerMessage.modelText(text)))
            case .audio(let samples, let transcript):
                current.spoken += transcript
                if let audio = current.plan.audio { out.append(.binary(GeminiLiveServerMessage.modelAudio(audio, samples: samples))) }
                if setup?.outputTranscription == true, !transcript.isEmpty {
                    out.append(.binary(GeminiLiveServerMessage.transcription(transcript, input: false)))
                }
            case .toolCall:
                break  // sent together as the tail's one `toolCall`
            }
            turn = current
            return
        }
        turn = nil
        for event in current.tail {
            switch event {
            case .toolCall(let calls):
                pendingCalls = calls
                conversation.append(ChatMessage(role: "assistant", text: current.spoken, toolCalls: calls.map { ($0.id ?? $0.name, $0.name) }))
                out.append(.binary(GeminiLiveServerMessage.toolCall(calls)))
            case .generationComplete:
                out.append(.binary(GeminiLiveServerMessage.generationComplete()))
            case .turnComplete:
                finish(current, interrupted: false, into: &out)
                if !waitingTurns.isEmpty { answer(now: now, audioMilliseconds: waitingTurns.removeFirst(), into: &out) }
            case .fault(let output):
                if let output {
                    out.append(output)
                    if case .close = output { closed = true }
                }
            }
        }
    }

    /// The turn is over: the conversation keeps what was said, the client gets `turnComplete`
    /// with the usage and, when it asked for them, a resumption handle.
    private func finish(_ turn: Turn, interrupted: Bool, into out: inout [WebSocketOutput]) {
        if !turn.spoken.isEmpty { conversation.append(ChatMessage(role: "assistant", text: turn.spoken)) }
        let responseTokens: Int
        if let audio = turn.plan.audio {
            // Audio is counted by its length (Google's 32 tokens a second), up to where it was cut.
            let sent = interrupted ? (turn.next > 0 ? turn.plan.steps[turn.next - 1].at : 0) : audio.duration
            responseTokens = Int((sent * GeminiLive.audioTokensPerSecond + 999_999_999) / 1_000_000_000)
        } else {
            responseTokens = interrupted ? TokenEstimator.count(turn.spoken) : turn.plan.chat.tokens
        }
        let usage = GeminiLiveServerMessage.Usage(promptTokens: turn.plan.chat.promptTokens, responseTokens: responseTokens,
                                                  audio: turn.plan.audio != nil)
        out.append(.binary(GeminiLiveServerMessage.turnComplete(usage, vertex: service.vertexUsage)))
        guard let setup, setup.resumption else { return }
        if let store {
            let handle = context.random.alphanumericString(prefix: "", count: 32)
            store.save(handle, GeminiLiveSessionStore.Entry(model: setup.model, instructions: instructions, conversation: conversation))
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
