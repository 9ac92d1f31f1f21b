@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// Rules answering realtime turns the user spoke: `transcript:`, `match.audio_ms`, and the
/// pacing's `speech_wpm`.
@Suite("Spoken turns in rules")
struct SpokenTurnTests: ScriptLoading {
    static let scriptFile = "spoken.yml"

    static let yaml = """
        rules:
          - name: short
            match: {audio_ms: {max: 999}}
            transcript: "Hi."
            reply: "Hello!"
          - name: weather
            match: {audio_ms: {min: 1000, max: 5000}}
            transcript: "What is the weather?"
            reply: "Sunny."
          - name: typed weather
            match: {prompt: "What is the weather?"}
            reply: "Sunny, typed."
          - name: long
            match: {audio_ms: 5001}
            reply: "That was long."
            pacing: {speech_wpm: 120}
        """

    func spoken(_ ms: Int, prompt: String? = nil) -> MatchInput {
        let text = prompt ?? MatchInput.audioDescription(milliseconds: ms)
        var input = MatchInput(prompt: text, model: "gpt-realtime", messages: [ChatMessage(role: "user", text: text)])
        input.audioMilliseconds = ms
        return input
    }

    func text(_ answer: ScriptAnswer) -> String {
        if case .reply(let reply) = answer.outcome { reply.text } else { "error" }
    }

    @Test func theMatchingRuleGivesTheTranscript() throws {
        let script = try script(Self.yaml)
        #expect(script.transcript(for: spoken(400)) == "Hi.")
        #expect(script.transcript(for: spoken(1_500)) == "What is the weather?")
        // No transcript in the rule: the audio's length, plainly.
        #expect(script.transcript(for: spoken(6_004)) == "[audio: 6.00 s]")
        // Looking moves no count.
        #expect(script.rules.allSatisfy { $0.matched == 0 })
    }

    @Test func theTranscriptIsThePromptOfTheAnswer() throws {
        let script = try script(Self.yaml)
        let answer = script.answer(for: spoken(1_500, prompt: "What is the weather?"))
        #expect(text(answer) == "Sunny.")
        #expect(answer.source == "rule weather")
        #expect(answer.transcript == "What is the weather?")
        // Typed, the same words reach the rule that matches the prompt alone.
        let typed = script.answer(for: MatchInput(prompt: "What is the weather?", model: "gpt-realtime"))
        #expect(text(typed) == "Sunny, typed.")
    }

    @Test func audioLengthRulesNeverMatchTypedTurns() throws {
        let script = try script(Self.yaml)
        let answer = script.answer(for: MatchInput(prompt: "hello", model: "gpt-realtime"))
        #expect(answer.source == "default")
        #expect(answer.miss?.contains("the turn is not audio") == true)
        let long = script.answer(for: spoken(4_000, prompt: "something"))
        #expect(long.source == "rule weather")
    }

    @Test func speechRateIsAPacingKey() throws {
        let script = try script(Self.yaml)
        let answer = script.answer(for: spoken(9_000))
        #expect(script.pacing(model: "gpt-realtime", rule: answer.pacing).speechWordsPerMinute == 120)
        #expect(script.pacing(model: "gpt-realtime", rule: nil).speechWordsPerMinute == 150)
    }

    @Test func describesTheAudio() {
        #expect(MatchInput.audioDescription(milliseconds: 1_250) == "[audio: 1.25 s]")
        #expect(MatchInput.audioDescription(milliseconds: 40) == "[audio: 0.04 s]")
        #expect(MatchInput.audioDescription(milliseconds: 0) == "[audio: 0.00 s]")
    }

    @Test func badValuesAreLocatedErrors() {
        let messages = diagnostics("""
            rules:
              - match: {audio_ms: {min: 10, max: 5}}
                reply: a
              - match: {audio_ms: -3}
                reply: b
              - match: {audio_ms: {}}
                reply: c
              - reply: d
                pacing: {speech_wpm: 0}
            """).map(\.message)
        #expect(messages == [
            "'rules[0].match.audio_ms' has min greater than max",
            "'rules[1].match.audio_ms' must be a whole number of milliseconds, 0 or more",
            "'rules[2].match.audio_ms' needs a min, a max, or both",
            "'rules[3].pacing.speech_wpm' must be more than 0 and at most 10000 words per minute",
        ])
    }
}
