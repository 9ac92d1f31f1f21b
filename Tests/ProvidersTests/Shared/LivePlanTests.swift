@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// A live turn planned without a wire: written replies paced like streams, spoken ones as audio
/// chunks in real time with their transcript, tool calls after, the spoken user's transcript.
@Suite("Live turns")
struct LivePlanTests: ScriptLoading {
    static let scriptFile = "live.yml"
    let ms: UInt64 = 1_000_000

    func context(_ script: Script) -> ProviderContext {
        ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: 7))
    }

    func turn(_ prompt: String, speech: AudioFormat? = nil, tools: ToolOffer? = nil) -> LiveTurn {
        LiveTurn(model: "gpt-realtime", messages: [ChatMessage(role: "user", text: prompt)], tools: tools,
                 endpoint: "/v1/realtime", provider: "openai", speech: speech)
    }

    @Test func writtenRepliesArePacedLikeStreams() throws {
        let script = try script("""
            pacing: {ttft_ms: 100, itl_ms: 10, chunking: word}
            rules:
              - match: {prompt: hi}
                reply: "Hello there friend"
            """)
        var context = context(script)
        let plan = try turn("hi").plan(context: &context)
        #expect(plan.steps.map(\.at) == [100 * ms, 110 * ms, 120 * ms])
        #expect(plan.steps.map(\.step) == [.text("Hello"), .text(" there"), .text(" friend")])
        #expect(plan.audio == nil)
    }

    @Test func spokenRepliesPlayInRealTimeWithTheirTranscript() throws {
        let script = try script("""
            pacing: {ttft_ms: 200, speech_wpm: 120}
            rules:
              - match: {prompt: hi}
                reply: " One two,  three. "
            """)
        var context = context(script)
        let plan = try turn("hi", speech: .pcm16(sampleRate: 24_000)).plan(context: &context, chunkMilliseconds: 200)
        // 3 words at 120 wpm: 1.5 s, in 8 chunks of 200 ms (the last 100 ms).
        let audio = try #require(plan.audio)
        #expect(audio.duration == 1_500 * ms)
        #expect(plan.steps.count == 8)
        #expect(plan.steps.map(\.at) == (0..<8).map { 200 * ms + UInt64($0) * 200 * ms })
        var transcript = ""
        var samples = 0
        for (_, step) in plan.steps {
            guard case .audio(let range, let piece) = step else { Issue.record("not audio: \(step)"); continue }
            #expect(range.lowerBound == samples)
            samples = range.upperBound
            transcript += piece
        }
        #expect(samples == audio.sampleCount)
        #expect(transcript == " One two,  three. ")
        // Words start at 0, 0.5 and 1 s: in the chunks that hold those times.
        let pieces = plan.steps.map { if case .audio(_, let t) = $0.step { String(t) } else { "" } }
        #expect(pieces == [" One", "", " two,", "", "", "  three. ", "", ""])
    }

    @Test func toolCallsFollowTheReply() throws {
        let script = try script("""
            pacing: {ttft_ms: 50, itl_ms: 5, chunking: word}
            rules:
              - match: {tools: true}
                reply:
                  text: "Checking"
                  tool_calls: [{name: get_weather, arguments: {city: Paris}}]
            """)
        var context = context(script)
        let plan = try turn("weather?", tools: ToolOffer(tools: [.init(name: "get_weather")])).plan(context: &context)
        #expect(plan.steps.map(\.step) == [.text("Checking"), .toolCall(0)])
        #expect(plan.steps.map(\.at) == [50 * ms, 55 * ms])
        #expect(plan.toolCalls.first?.name == "get_weather")
        #expect(plan.toolCalls.first?.arguments == #"{"city": "Paris"}"#)
    }

    @Test func theSpokenUsersTranscriptComesFromTheRuleThatWillAnswer() throws {
        let script = try script("""
            rules:
              - match: {audio_ms: {min: 500}}
                transcript: "Book a table."
                reply: "Done."
            """)
        let earlier = LiveTurn(model: "gpt-realtime", messages: [], endpoint: "/v1/realtime", provider: "openai")
        #expect(earlier.transcript(ofAudio: 800, script: script, scope: nil) == "Book a table.")
        #expect(earlier.transcript(ofAudio: 300, script: script, scope: nil) == "[audio: 0.30 s]")
        var spoken = turn("Book a table.")
        spoken.audioMilliseconds = 800
        var context = context(script)
        let plan = try spoken.plan(context: &context)
        #expect(plan.text == "Done.")
        #expect(plan.chat.rule == "rule rules[0]")
    }

    @Test func scriptedErrorsAreTheObstacle() throws {
        let script = try script("""
            rules:
              - match: {prompt: fail}
                error: {status: 429, message: slow down}
            """)
        var context = context(script)
        #expect(throws: ChatPlan.Obstacle.self) { try turn("fail").plan(context: &context) }
    }

    @Test func wordPiecesCoverTheText() {
        let text = "  a bb\n c  "
        let pieces = LivePlan.wordPieces(of: text).map { String(text[$0]) }
        #expect(pieces == ["  a", " bb", "\n c  "])
        #expect(LivePlan.wordPieces(of: " \n").isEmpty)
    }
}
