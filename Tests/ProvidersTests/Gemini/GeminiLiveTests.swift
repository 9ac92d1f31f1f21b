@testable import MockLLM
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The Gemini Live session without a socket: messages in, timed messages out, the time given.
@Suite("Gemini Live")
struct GeminiLiveTests {
    static let yaml = """
        rules:
          - name: after
            match: {tool_result: {name: get_weather}}
            reply: It is 15 degrees.
          - name: weather
            match: {prompt: {contains: weather}}
            reply: {tool_calls: [{name: get_weather, arguments: {city: Paris}}]}
          - name: spoken
            match: {audio_ms: {min: 100}}
            transcript: good morning
            reply: Good morning to you
        responses:
          hello: Hi there
          long: one two three four five six
        pacing: {ttft_ms: 100, tokens_per_second: 20, chunking: word}
        """

    static let path = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
    static let ms: UInt64 = 1_000_000

    let script: Script

    init() throws {
        script = try ScriptLoader.parse(yaml: Self.yaml, file: "g.yml", providers: providerCatalog).script
    }

    /// A session as the handshake makes it, with the server's Gemini state.
    func session(script: Script? = nil, headers: HTTPFields = HTTPFields(), keyRefused: Bool? = nil,
                 store: GeminiLiveSessionStore = GeminiLiveSessionStore()) -> GeminiLiveSession {
        var context = ProviderContext(script: script ?? self.script, now: 1_700_000_000, random: SeededRandom(seed: 5), requestID: "req_abc")
        context.states = ProviderStates([store])
        let request = HTTPRequest(method: "GET", target: Self.path, headers: headers)
        return GeminiLiveSession(context: context, request: request, service: .gemini(version: "v1beta"), keyRefusal: keyRefused.map { Gemini.keyRefusal(given: $0) })
    }

    /// A connection limited by `settings.session_limit_ms`: the turn's messages due before the
    /// warning, then `goAway` with the time left, then the rest until the end, then Google's
    /// close; nothing after it.
    @Test func aLimitedConnectionSaysGoAwayThenCloses() throws {
        let limited = try ScriptLoader.parse(yaml: Self.yaml + "\nsettings: {session_limit_ms: 3000, go_away_ms: 1000}\n",
                                             file: "g.yml", providers: providerCatalog).script
        let request = HTTPRequest(method: "GET", target: Self.path, headers: HTTPFields())
        let lifetime = try #require(try SessionLifetime.resolve(request.headers, script: limited))
        #expect(lifetime == SessionLifetime(limit: 3_000 * Self.ms, warning: 1_000 * Self.ms))
        let context = ProviderContext(script: limited, now: 1_700_000_000, random: SeededRandom(seed: 5), requestID: "req_abc")
        let live = GeminiLiveSession(context: context, request: request, service: .gemini(version: "v1beta"), keyRefusal: nil,
                                     lifetime: lifetime)
        var opened: [WebSocketOutput] = []
        live.opened(now: 0, into: &opened)
        #expect(opened.isEmpty, "the client speaks first")
        send(live, Self.setupText)
        // A turn that starts 1.9 s in and runs past the warning at 2 s.
        send(live, #"{"clientContent":{"turns":[{"role":"user","parts":[{"text":"long"}]}],"turnComplete":true}}"#, now: 1_900 * Self.ms)
        let messages = run(live)
        let goAway = try #require(messages.firstIndex(of: #"{"goAway": {"timeLeft": "1s"}}"#), "\(messages)")
        #expect(goAway > 0 && messages[goAway - 1].contains("one"), "the text due before 2 s goes first: \(messages)")
        #expect(messages[(goAway + 1)...].contains { $0.contains("turnComplete") }, "the turn goes on after the warning")
        #expect(messages.last == "close 1011 Deadline expired before operation could complete.")
        #expect(live.nextDeadline == nil)
        var after: [WebSocketOutput] = []
        live.due(now: 10_000 * Self.ms, into: &after)
        #expect(after.isEmpty)
    }

    /// The handshake's `x-mockllm-session-limit-ms` limits one connection; a warning longer than
    /// the connection goes out when it opens.
    @Test func theHandshakeLimitsOneConnection() throws {
        let headers = HTTPRequest(method: "GET", target: Self.path,
                                  headers: HTTPFields([.init(name: "x-mockllm-session-limit-ms", value: "1500")])).headers
        let lifetime = try #require(try SessionLifetime.resolve(headers, script: script))
        #expect(lifetime == SessionLifetime(limit: 1_500 * Self.ms, warning: 1_500 * Self.ms))
        #expect(SessionLifetime.duration(lifetime.warning) == "1.500s")
        #expect(SessionLifetime.duration(60_000 * Self.ms) == "60s")
        #expect(SessionLifetime.duration(50 * Self.ms) == "0.050s")
        #expect(try SessionLifetime.resolve(HTTPRequest(method: "GET", target: Self.path).headers, script: script) == nil)
        for bad in ["0", "-5", "soon", "86400001"] {
            let refused = HTTPRequest(method: "GET", target: Self.path, headers: HTTPFields([.init(name: "x-mockllm-session-limit-ms", value: bad)]))
            #expect(throws: PacingOverrides.Invalid.self, "\(bad)") { try SessionLifetime.resolve(refused.headers, script: script) }
        }
        let context = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: 5), requestID: "req_abc")
        let live = GeminiLiveSession(context: context, request: HTTPRequest(method: "GET", target: Self.path), service: .gemini(version: "v1beta"),
                                     keyRefusal: nil, lifetime: lifetime)
        var out: [WebSocketOutput] = []
        live.opened(now: 0, into: &out)
        #expect(run(live) == [#"{"goAway": {"timeLeft": "1.500s"}}"#, "close 1011 Deadline expired before operation could complete."])
    }

    /// Sends `json` at `now`; the messages it produced, as text (close frames as `close CODE REASON`).
    @discardableResult
    func send(_ session: GeminiLiveSession, _ json: String, now: UInt64 = 0) -> [String] {
        var out: [WebSocketOutput] = []
        var buffer = ByteBuffer()
        buffer.append(utf8: json)
        session.received(.text(buffer), now: now, into: &out)
        return Self.texts(out)
    }

    /// Everything due up to `until`, deadline by deadline.
    func run(_ session: GeminiLiveSession, until: UInt64 = .max / 2) -> [String] {
        var all: [String] = []
        while let deadline = session.nextDeadline, deadline <= until {
            var out: [WebSocketOutput] = []
            session.due(now: deadline, into: &out)
            all += Self.texts(out)
        }
        return all
    }

    static func texts(_ out: [WebSocketOutput]) -> [String] {
        out.map { output in
            switch output {
            case .text(let b), .binary(let b): b.description
            case .close(let code, let reason): "close \(code) \(reason)"
            }
        }
    }

    /// 16 kHz PCM16 in base64: `speech` ms of a loud square wave (what voice detection hears),
    /// then `silence` ms of zeros.
    static func audio(speech: Int, silence: Int = 0) -> String {
        var pcm = ByteBuffer()
        for i in 0..<(speech * 16) {
            let sample = UInt16(bitPattern: (i / 20) % 2 == 0 ? 8_000 : -8_000)
            pcm.append(UInt8(truncatingIfNeeded: sample))
            pcm.append(UInt8(truncatingIfNeeded: sample >> 8))
        }
        for _ in 0..<(silence * 16 * 2) { pcm.append(0) }
        var out = ByteBuffer()
        pcm.withUnsafeReadableBytes { out.append(base64Of: $0) }
        return out.description
    }

    static func audioMessage(speech: Int, silence: Int = 0) -> String {
        #"{"realtimeInput":{"audio":{"data":"\#(audio(speech: speech, silence: silence))","mimeType":"audio/pcm;rate=16000"}}}"#
    }

    /// Asks for the long reply and sends its first chunk; the time it was due.
    func speakLongReply(_ live: GeminiLiveSession) throws -> UInt64 {
        send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"long"}]}],"turnComplete":true}}"#)
        let first = try #require(live.nextDeadline)
        var out: [WebSocketOutput] = []
        live.due(now: first, into: &out)
        #expect(!out.isEmpty)
        return first
    }

    static let setupText = #"{"setup":{"model":"models/gemini-live-2.5-flash-preview","generationConfig":{"responseModalities":["TEXT"]}}}"#

    @Test func setupIsAnsweredWithSetupComplete() {
        let live = session()
        #expect(send(live, Self.setupText) == [#"{"setupComplete": {}}"#])
        #expect(live.nextDeadline == nil)
    }

    @Test func aTextTurnIsPacedTextPartsThenGenerationAndTurnComplete() {
        let live = session()
        send(live, Self.setupText)
        let immediate = send(live, #"{"client_content":{"turns":[{"role":"user","parts":[{"text":"hello"}]}],"turnComplete":true}}"#)
        let later = run(live)
        let all = immediate + later
        #expect(all.filter { $0.contains("modelTurn") }.count >= 2)
        let text = all.compactMap { message -> String? in
            guard let range = message.range(of: #""text": ""#) else { return nil }
            return String(message[range.upperBound...].prefix { $0 != "\"" })
        }.joined()
        #expect(text == "Hi there")
        #expect(all.suffix(2).first == #"{"serverContent": {"generationComplete": true}}"#)
        #expect(all.last?.hasPrefix(#"{"serverContent": {"turnComplete": true},"usageMetadata": {"promptTokenCount": "#) == true)
        #expect(all.last?.contains(#""responseTokensDetails": [{"modality": "TEXT","tokenCount": 2}]"#) == true)
    }

    @Test func theTurnsTextIsDueOverTimeNotAllAtOnce() throws {
        let live = session()
        send(live, Self.setupText)
        let first = try speakLongReply(live)
        let second = try #require(live.nextDeadline)
        #expect(second > first)
    }

    @Test func aTurnWithoutTurnCompleteWaits() {
        let live = session()
        send(live, Self.setupText)
        #expect(send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"hello"}]}]}}"#).isEmpty)
        #expect(live.nextDeadline == nil)
    }

    @Test func aToolCallWaitsForItsResponseThenTheTurnGoesOn() throws {
        let live = session()
        send(live, #"{"setup":{"model":"gemini-live-2.5-flash-preview","tools":[{"functionDeclarations":[{"name":"get_weather"}]}]}}"#)
        let first = send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"weather?"}]}],"turnComplete":true}}"#) + run(live)
        let call = try #require(first.last)
        #expect(call.hasPrefix(#"{"toolCall": {"functionCalls": [{"id": "function-call-"#))
        #expect(call.hasSuffix(#"","name": "get_weather","args": {"city": "Paris"}}]}}"#))
        #expect(!first.contains { $0.contains("turnComplete") })
        let id = try #require(call.split(separator: "\"").first { $0.hasPrefix("function-call-") })
        let after = send(live, #"{"tool_response":{"functionResponses":[{"id":"\#(id)","name":"get_weather","response":{"temp":15}}]}}"#) + run(live)
        #expect(after.first == #"{"serverContent": {"modelTurn": {"parts": [{"text": "It"}]}}}"#)
        #expect(after.last?.contains(#""turnComplete": true"#) == true)
    }

    @Test func newInputWhileACallWaitsCancelsIt() throws {
        let live = session()
        send(live, #"{"setup":{"model":"m","tools":[{"functionDeclarations":[{"name":"get_weather"}]}]}}"#)
        let call = try #require((send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"weather?"}]}],"turnComplete":true}}"#) + run(live)).last)
        let id = try #require(call.split(separator: "\"").first { $0.hasPrefix("function-call-") })
        let next = send(live, #"{"realtimeInput":{"text":"hello"}}"#) + run(live)
        #expect(next.first == #"{"toolCallCancellation": {"ids": ["\#(id)"]}}"#)
        #expect(next.last?.contains("turnComplete") == true)
        // The cancelled call's response is no longer expected.
        #expect(send(live, #"{"toolResponse":{"functionResponses":[{"id":"\#(id)","response":{}}]}}"#)
            == ["close 1007 Request contains an invalid argument."])
    }

    @Test func aMalformedFaultSendsAFrameOfInvalidJSONThenTheRest() {
        let malformed = session(headers: HTTPFields([.init(name: "x-mockllm-fault", value: "malformed:1")]))
        send(malformed, Self.setupText)
        let sent = send(malformed, #"{"clientContent":{"turns":[{"parts":[{"text":"long"}]}],"turnComplete":true}}"#) + run(malformed)
        #expect(sent[1] == #"{"serverContent": {"modelTurn": "#)
        #expect(sent.filter { $0.contains("modelTurn\": {") }.count == 6)
        #expect(sent.last?.contains("turnComplete") == true)
    }

    @Test func aStallForeverStopsTheTurnAndAStallOfMillisecondsPausesIt() throws {
        let stalled = session(headers: HTTPFields([.init(name: "x-mockllm-fault", value: "stall")]))
        send(stalled, Self.setupText)
        let sent = send(stalled, #"{"clientContent":{"turns":[{"parts":[{"text":"long"}]}],"turnComplete":true}}"#) + run(stalled)
        #expect(sent.count == 1)
        #expect(stalled.nextDeadline == nil)

        let paused = session(headers: HTTPFields([.init(name: "x-mockllm-fault", value: "stall:5000")]))
        send(paused, Self.setupText)
        let first = try speakLongReply(paused)
        #expect(try #require(paused.nextDeadline) >= first + 5_000_000_000)
        #expect(run(paused).last?.contains("turnComplete") == true)
    }

    @Test func aResponseToNoPendingCallClosesWithInvalidArgument() {
        let live = session()
        send(live, Self.setupText)
        #expect(send(live, #"{"toolResponse":{"functionResponses":[{"id":"nope","response":{}}]}}"#)
            == ["close 1007 Request contains an invalid argument."])
    }

    @Test func newUserInputInterruptsTheModelAndDropsTheRest() throws {
        let live = session()
        send(live, Self.setupText)
        let first = try speakLongReply(live)
        let interrupted = send(live, #"{"realtimeInput":{"text":"hello"}}"#, now: first + 1)
        #expect(interrupted.first == #"{"serverContent": {"interrupted": true}}"#)
        #expect(interrupted.dropFirst().first?.hasPrefix(#"{"serverContent": {"turnComplete": true}"#) == true)
        // The new turn's reply follows; nothing of the old one.
        let rest = interrupted.dropFirst(2) + run(live)
        #expect(!rest.contains { $0.contains("three") })
        #expect(rest.last?.contains("turnComplete") == true)
    }

    @Test func noInterruptionLetsTheModelFinish() throws {
        let live = session()
        send(live, #"{"setup":{"model":"m","realtimeInputConfig":{"activityHandling":"NO_INTERRUPTION"}}}"#)
        let first = try speakLongReply(live)
        let reply = send(live, #"{"realtimeInput":{"text":"hello"}}"#, now: first + 1) + run(live)
        #expect(!reply.contains { $0.contains("interrupted") })
        // The long reply ends, then the waiting turn is answered.
        let ends = reply.indices.filter { reply[$0].contains("turnComplete") }
        #expect(ends.count == 2)
        #expect(reply[..<ends[0]].contains { $0.contains("six") })
        #expect(reply[ends[0]...].contains { $0.contains("Hi") })
    }

    @Test func manualActivityEndsTheTurnAtActivityEnd() {
        let live = session()
        send(live, #"{"setup":{"model":"m","realtimeInputConfig":{"automatic_activity_detection":{"disabled":true}}}}"#)
        #expect(send(live, #"{"realtimeInput":{"activityStart":{}}}"#).isEmpty)
        #expect(send(live, #"{"realtimeInput":{"audio":{"data":"AAAAAA==","mime_type":"audio/pcm;rate=16000"}}}"#).isEmpty)
        #expect(live.nextDeadline == nil)
        let reply = send(live, #"{"realtimeInput":{"activityEnd":{}}}"#) + run(live)
        #expect(reply.last?.contains("turnComplete") == true)
    }

    @Test func activitySignalsWithAutomaticDetectionCloseTheSession() {
        let live = session()
        send(live, Self.setupText)
        #expect(send(live, #"{"realtimeInput":{"activityStart":{}}}"#) == ["close 1007 Request contains an invalid argument."])
    }

    @Test func automaticDetectionEndsTheTurnAfterSilenceInTheAudio() {
        let live = session()
        send(live, #"{"setup":{"model":"m","realtimeInputConfig":{"automaticActivityDetection":{"silenceDurationMs":300}}}}"#)
        // Silence alone is not speech; speech then 200 ms of silence is not the end yet.
        #expect(send(live, Self.audioMessage(speech: 0, silence: 500)).isEmpty)
        #expect(send(live, Self.audioMessage(speech: 200, silence: 200)).isEmpty)
        #expect(live.nextDeadline == nil)
        let reply = send(live, Self.audioMessage(speech: 0, silence: 200)) + run(live)
        #expect(reply.last?.contains("turnComplete") == true)
    }

    @Test func audioStreamEndEndsTheSpeechInProgress() {
        let live = session()
        send(live, Self.setupText)
        #expect(send(live, #"{"realtimeInput":{"mediaChunks":[{"data":"\#(Self.audio(speech: 150))","mimeType":"audio/pcm"}]}}"#).isEmpty)
        let ended = send(live, #"{"realtimeInput":{"audioStreamEnd":true}}"#) + run(live)
        #expect(ended.last?.contains("turnComplete") == true)
    }

    @Test func speechWhileTheModelAnswersInterruptsIt() throws {
        let live = session()
        send(live, Self.setupText)
        let first = try speakLongReply(live)
        #expect(send(live, Self.audioMessage(speech: 100), now: first + 1).first == #"{"serverContent": {"interrupted": true}}"#)
    }

    @Test func resumptionHandlesResumeTheConversation() throws {
        let store = GeminiLiveSessionStore()
        let live = session(store: store)
        send(live, #"{"setup":{"model":"m","sessionResumption":{}}}"#)
        let first = send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"hello"}]}],"turnComplete":true}}"#) + run(live)
        let update = try #require(first.last)
        #expect(update.hasPrefix(#"{"sessionResumptionUpdate": {"newHandle": ""#))
        #expect(update.hasSuffix(#"","resumable": true}}"#))
        let handle = try #require(update.split(separator: "\"").dropFirst(5).first)
        #expect(store.entry(String(handle))?.conversation.map(\.text) == ["hello", "Hi there"])

        let resumed = session(store: store)
        #expect(send(resumed, #"{"setup":{"model":"m","sessionResumption":{"handle":"\#(handle)"}}}"#) == [#"{"setupComplete": {}}"#])
        let unknown = session(store: store)
        #expect(send(unknown, #"{"setup":{"model":"m","sessionResumption":{"handle":"nope"}}}"#)
            == ["close 1008 BidiGenerateContent session not found"])
    }

    @Test func aWrongKeyClosesWithGooglesWordsAfterTheUpgrade() {
        let live = session(keyRefused: true)
        var out: [WebSocketOutput] = []
        live.opened(now: 0, into: &out)
        #expect(out.isEmpty)
        #expect(send(live, Self.setupText) == ["close 1007 API key not valid. Please pass a valid API key."])
        #expect(send(live, Self.setupText).isEmpty)
        #expect(send(session(keyRefused: false), Self.setupText).first?.hasPrefix("close 1008 Method doesn't allow unregistered callers") == true)
    }

    @Test func badMessagesCloseWith1007AndGooglesWords() {
        #expect(send(session(), "{").first?.hasPrefix("close 1007 Invalid JSON payload received.") == true)
        #expect(send(session(), #"{"clientContent":{"turnComplete":true}}"#) == ["close 1007 Request contains an invalid argument."])
        #expect(send(session(), #"{"bogus":{}}"#) == [#"close 1007 Invalid JSON payload received. Unknown name "bogus": Cannot find field."#])
        #expect(send(session(), #"{"setup":{}}"#).first?.hasPrefix("close 1007 ") == true)
        let twice = session()
        send(twice, Self.setupText)
        #expect(send(twice, Self.setupText) == ["close 1007 Request contains an invalid argument."])
    }

    @Test func anUnknownModelUnderStrictModelsClosesWith1008CutTo123Bytes() throws {
        let strict = Script(models: .builtIn, strictModels: true)
        let closed = send(session(script: strict), #"{"setup":{"model":"models/nope"}}"#)
        let reason = try #require(closed.first?.dropFirst("close 1008 ".count))
        #expect(reason.utf8.count == 123)
        #expect(reason.hasPrefix("models/nope is not found for API version v1beta, or is not supported for bidiGenerateContent."))
    }

    @Test func vertexAINamesTheModelAsAResourceAndRefusesItInItsWords() throws {
        let resource = "projects/p/locations/us-central1/publishers/google/models/nope"
        var context = ProviderContext(script: Script(models: .builtIn, strictModels: true), now: 0, random: SeededRandom(seed: 1))
        context.states = ProviderStates([GeminiLiveSessionStore()])
        let vertex = GeminiLiveSession(context: context, request: HTTPRequest(method: "GET", target: "/ws/x"), service: .vertex, keyRefusal: nil)
        let closed = send(vertex, #"{"setup":{"model":"\#(resource)"}}"#)
        #expect(closed.first?.hasPrefix("close 1008 Publisher Model `\(resource)` was not found") == true)
        let served = GeminiLiveSession(context: context, request: HTTPRequest(method: "GET", target: "/ws/x"), service: .vertex, keyRefusal: nil)
        #expect(send(served, #"{"setup":{"model":"projects/p/locations/l/publishers/google/models/gemini-2.5-flash"}}"#) == [#"{"setupComplete": {}}"#])
    }

    @Test func aScriptedErrorClosesWithTheCodeForItsStatus() throws {
        let failing = try ScriptLoader.parse(yaml: """
            rules:
              - match: {prompt: {contains: quota}}
                error: {status: 429, message: "You exceeded your current quota."}
            """, file: "e.yml", providers: providerCatalog).script
        let live = session(script: failing)
        send(live, Self.setupText)
        #expect(send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"quota"}]}],"turnComplete":true}}"#)
            == ["close 1011 You exceeded your current quota."])
    }

    @Test func aTurnOverTheQuotaClosesWith1011AndGooglesWords() throws {
        let limited = try ScriptLoader.parse(yaml: """
            responses: {hello: Hi there}
            quotas: {requests_per_minute: 1}
            """, file: "q.yml", providers: providerCatalog).script
        let live = session(script: limited)
        send(live, Self.setupText)
        let first = send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"hello"}]}],"turnComplete":true}}"#, now: 1) + run(live)
        #expect(first.last?.contains("turnComplete") == true)
        let second = send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"hello"}]}],"turnComplete":true}}"#, now: 2)
        #expect(second == ["close 1011 " + GeminiLive.closeReason(GeminiErrors.quotaMessage)])
    }

    @Test func aDisconnectFaultClosesWith1011MidTurn() {
        let live = session(headers: HTTPFields([.init(name: "x-mockllm-fault", value: "disconnect:1")]))
        send(live, Self.setupText)
        let all = send(live, #"{"clientContent":{"turns":[{"parts":[{"text":"long"}]}],"turnComplete":true}}"#) + run(live)
        #expect(all.count == 2)
        #expect(all.last == "close 1011 Internal error encountered.")
    }

    @Test func anAudioTurnIsTranscribedAndAnsweredWithSpeechAndItsTranscript() throws {
        let live = session()
        send(live, #"{"setup":{"model":"m","generationConfig":{"responseModalities":["AUDIO"]},"inputAudioTranscription":{},"outputAudioTranscription":{}}}"#)
        #expect(send(live, Self.audioMessage(speech: 200)).isEmpty)
        let heard = send(live, #"{"realtimeInput":{"audioStreamEnd":true}}"#)
        #expect(heard.first == #"{"serverContent": {"inputTranscription": {"text": "good morning"}}}"#)
        let reply = heard.dropFirst() + run(live)
        let chunks = reply.filter { $0.contains("inlineData") }
        #expect(chunks.count >= 2)
        #expect(chunks.allSatisfy { $0.hasPrefix(#"{"serverContent": {"modelTurn": {"parts": [{"inlineData": {"mimeType": "audio/pcm;rate=24000","data": ""#) })
        let said = reply.compactMap { message -> String? in
            guard let range = message.range(of: #""outputTranscription": {"text": ""#) else { return nil }
            return String(message[range.upperBound...].prefix { $0 != "\"" })
        }.joined()
        #expect(said == "Good morning to you")
        #expect(reply.last?.contains(#""responseTokensDetails": [{"modality": "AUDIO","tokenCount": "#) == true)
    }

    @Test(arguments: [("+/8=", [0xFB, 0xFF] as [UInt8]), ("-_8=", [0xFB, 0xFF]), ("-_8", [0xFB, 0xFF]), ("AAAA", [0, 0, 0])])
    func audioIsReadInEitherBase64Alphabet(text: String, bytes: [UInt8]) {
        #expect(GeminiLiveRealtimeInput.decodeBytes(text) == bytes)
    }

    @Test func notBase64AudioClosesTheSession() {
        let live = session()
        send(live, Self.setupText)
        #expect(send(live, #"{"realtimeInput":{"audio":{"data":"@@","mimeType":"audio/pcm"}}}"#).first?.hasPrefix("close 1007 ") == true)
    }

    @Test func aRequestThatIsNotAHandshakeGetsGooglesEnvelope() {
        let http = HTTPRequest(method: "GET", target: Self.path)
        var context = ProviderContext(script: script, now: 0, random: SeededRandom(seed: 1), requestID: "req_abc")
        let reply = Endpoint.answer(http, &context) { http, context throws(Refusal) in try GeminiLive.connect(http, &context, service: .gemini(version: "v1beta")) }
        #expect(reply.status == 426)
        #expect(reply.bodyBytes.description.hasPrefix(#"{"error": {"code": 426,"message": "this endpoint speaks WebSocket"#))
    }
}
