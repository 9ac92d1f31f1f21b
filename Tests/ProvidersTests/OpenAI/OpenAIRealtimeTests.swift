import Foundation
@testable import MockLLMCore
@testable import MockLLMProviders
@testable import MockLLMScript
@testable import MockLLMSimulation
import TestSupport
import Testing

/// The OpenAI Realtime session driven directly, without a socket: client events in, server
/// events out, time given by the test.
@Suite("OpenAI Realtime")
struct OpenAIRealtimeTests: ScriptLoading {
    static let scriptFile = "realtime.yml"
    static let ms: UInt64 = 1_000_000

    /// A session and the events it has sent, parsed.
    final class Client {
        let session: OpenAIRealtimeSession
        var events: [[String: Any]] = []
        var closed: (code: UInt16, reason: String)?
        var now: UInt64 = 1_000 * OpenAIRealtimeTests.ms

        init(_ script: Script, beta: Bool = false, model: String = "gpt-realtime", lifetime: SessionLifetime? = nil) {
            let context = ProviderContext(script: script, now: 1_700_000_000, random: SeededRandom(seed: 3))
            session = OpenAIRealtimeSession(model: model, beta: beta, context: context, headers: RequestHeaders(), endpoint: "/v1/realtime",
                                            lifetime: lifetime)
            var out: [WebSocketOutput] = []
            session.opened(now: now, into: &out)
            take(out)
        }

        func take(_ out: [WebSocketOutput]) {
            for output in out {
                switch output {
                case .text(let bytes):
                    let parsed = try? JSONSerialization.jsonObject(with: Data(bytes.bytes)) as? [String: Any]
                    events.append(parsed ?? ["type": "<malformed>"])
                case .binary: events.append(["type": "<binary>"])
                case .close(let code, let reason): closed = (code, reason)
                }
            }
        }

        func send(_ json: String) {
            var bytes = ByteBuffer()
            bytes.append(utf8: json)
            var out: [WebSocketOutput] = []
            session.received(.text(bytes), now: now, into: &out)
            take(out)
        }

        /// Runs the session's clock until nothing is scheduled (or `until`).
        func run(until limit: UInt64 = .max) {
            while let deadline = session.nextDeadline, deadline <= limit {
                now = max(now, deadline)
                var out: [WebSocketOutput] = []
                session.due(now: now, into: &out)
                take(out)
            }
        }

        func drain() -> [[String: Any]] {
            defer { events = [] }
            return events
        }

        var types: [String] { events.map { $0["type"] as? String ?? "?" } }

        func appendAudio(_ bytes: [UInt8]) {
            var raw = ByteBuffer()
            bytes.withUnsafeBytes { raw.append(base64Of: $0) }
            send(#"{"type":"input_audio_buffer.append","audio":"\#(raw.description)"}"#)
        }
    }

    static func types(_ events: [[String: Any]]) -> [String] { events.map { $0["type"] as? String ?? "?" } }

    static func speech(_ text: String, wpm: Double = 150, silenceMilliseconds: Int = 700) -> [UInt8] {
        let audio = SpeechAudio(text: text, wordsPerMinute: wpm, format: .pcm16(sampleRate: 24_000))
        var bytes = ByteBuffer()
        audio.append(samples: 0..<audio.sampleCount, to: &bytes)
        return bytes.bytes + [UInt8](repeating: 0, count: 48 * silenceMilliseconds)
    }

    // MARK: - Sessions

    @Test func theSessionIsAnnouncedWithItsDefaults() throws {
        let client = Client(try script("rules: []"))
        let created = try #require(client.events.first)
        #expect(created["type"] as? String == "session.created")
        let session = try #require(created["session"] as? [String: Any])
        #expect(session["model"] as? String == "gpt-realtime")
        #expect(session["output_modalities"] as? [String] == ["audio"])
        let audio = session["audio"] as? [String: Any]
        let input = audio?["input"] as? [String: Any]
        #expect((input?["format"] as? [String: Any])?["type"] as? String == "audio/pcm")
        #expect((input?["turn_detection"] as? [String: Any])?["type"] as? String == "server_vad")
        #expect((created["event_id"] as? String)?.hasPrefix("event_") == true)
    }

    @Test func aTextTurnIsPacedLikeAStream() throws {
        let client = Client(try script("""
            pacing: {ttft_ms: 100, itl_ms: 10, chunking: word}
            rules:
              - match: {prompt: "Hello"}
                reply: "Hi there, friend."
            """))
        client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"instructions":"Be brief."}}"#)
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hello"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        #expect(Self.types(client.drain()) == [
            "session.created", "session.updated", "conversation.item.added", "conversation.item.done", "response.created",
            "response.output_item.added", "conversation.item.added", "response.content_part.added",
        ])
        let start = client.now
        #expect(client.session.nextDeadline == start + 100 * Self.ms)
        client.run()
        let events = client.drain()
        #expect(Self.types(events) == [
            "response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
            "response.output_text.done", "response.content_part.done", "response.output_item.done", "conversation.item.done",
            "response.done", "rate_limits.updated",
        ])
        #expect(client.now == start + 120 * Self.ms)
        let deltas = events.filter { $0["type"] as? String == "response.output_text.delta" }.compactMap { $0["delta"] as? String }
        #expect(deltas.joined() == "Hi there, friend.")
        let done = try #require(events.first { $0["type"] as? String == "response.done" }?["response"] as? [String: Any])
        #expect(done["status"] as? String == "completed")
        let output = try #require(done["output"] as? [[String: Any]])
        let content = (output.first?["content"] as? [[String: Any]])?.first
        #expect(content?["type"] as? String == "output_text")
        #expect(content?["text"] as? String == "Hi there, friend.")
        #expect((done["usage"] as? [String: Any])?["output_tokens"] as? Int ?? 0 > 0)
    }

    @Test func aSpokenReplyHasAudioOfItsLengthAndItsTranscript() throws {
        let client = Client(try script("""
            pacing: {speech_wpm: 120}
            rules:
              - reply: "One two three."
            """))
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Count"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        let events = client.drain()
        let audio = events.filter { $0["type"] as? String == "response.output_audio.delta" }.compactMap { $0["delta"] as? String }
        let bytes = audio.reduce(0) { $0 + (Base64.decode(Array($1.utf8))?.count ?? 0) }
        #expect(bytes == 72_000)  // 3 words at 120 wpm: 1.5 s of 24 kHz PCM16
        #expect(audio.count == 15)
        let transcript = events.filter { $0["type"] as? String == "response.output_audio_transcript.delta" }.compactMap { $0["delta"] as? String }
        #expect(transcript.joined() == "One two three.")
        let done = events.first { $0["type"] as? String == "response.output_audio_transcript.done" }
        #expect(done?["transcript"] as? String == "One two three.")
        // Played in real time: the last chunk starts 1.4 s after the first.
        #expect(client.now == 1_000 * Self.ms + 1_400 * Self.ms)
    }

    @Test func serverVADCommitsSpeechTranscribesItAndAnswers() throws {
        let client = Client(try script("""
            rules:
              - match: {audio_ms: {min: 500}}
                transcript: "What time is it?"
                reply: "Noon."
            """))
        client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"transcription":{"model":"whisper-1"},"turn_detection":{"type":"server_vad","silence_duration_ms":500}}}}}"#)
        _ = client.drain()
        client.appendAudio(Self.speech("what time is it"))
        client.run()
        let events = client.drain()
        #expect(Array(Self.types(events).prefix(6)) == [
            "input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
            "conversation.item.added", "conversation.item.done", "conversation.item.input_audio_transcription.completed",
        ])
        #expect(events[1]["audio_end_ms"] as? Int == 1_540)  // 4 words at 150 wpm, the last one's tone ends at 1.54 s
        #expect(events[5]["transcript"] as? String == "What time is it?")
        #expect(events[2]["item_id"] as? String == events[0]["item_id"] as? String)
        let deltas = events.filter { $0["type"] as? String == "response.output_text.delta" }.compactMap { $0["delta"] as? String }
        #expect(deltas.joined() == "Noon.")
        #expect(Self.types(events).last == "rate_limits.updated")
    }

    @Test func anIdleTimeoutCommitsAndAnswersAfterTheReplyHasPlayed() throws {
        let client = Client(try script("""
            pacing: {ttft_ms: 100}
            rules:
              - match: {turn: 1}
                reply: "Hello there."
              - match: {audio_ms: {max: 10000}}
                transcript: "..."
                reply: "Are you still there?"
            """))
        client.send(#"{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","idle_timeout_ms":5000}}}}}"#)
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}}"#)
        let start = client.now
        client.send(#"{"type":"response.create"}"#)
        client.run(until: start + 1_000 * Self.ms)  // 2 words: 0.8 s of audio, from 0.1 s
        #expect(Self.types(client.drain()).contains("response.done"))
        // Played until 0.1 + 0.7 + 0.1 s; 5 s later the server speaks up.
        #expect(client.session.nextDeadline == start + 5_900 * Self.ms)
        client.appendAudio([UInt8](repeating: 0, count: 48_000))  // 1 s of silence: no speech
        client.run(until: start + 8_000 * Self.ms)  // the answer: 4 words, 1.6 s from 6 s
        let events = client.drain()
        let triggered = try #require(events.first)
        #expect(triggered["type"] as? String == "input_audio_buffer.timeout_triggered")
        #expect(triggered["audio_end_ms"] as? Int == 1_000)
        let text = events.filter { $0["type"] as? String == "response.output_audio_transcript.delta" }.compactMap { $0["delta"] as? String }
        #expect(text.joined() == "Are you still there?")
    }

    @Test func withoutTurnDetectionTheClientCommits() throws {
        let client = Client(try script("rules: [{match: {audio_ms: 100}, reply: heard}]"))
        client.send(#"{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}}"#)
        client.send(#"{"type":"input_audio_buffer.commit"}"#)
        let refused = client.drain().last
        #expect((refused?["error"] as? [String: Any])?["code"] as? String == "input_audio_buffer_commit_empty")
        client.appendAudio(Self.speech("hello there"))
        #expect(!Self.types(client.drain()).contains("input_audio_buffer.speech_started"))
        client.send(#"{"type":"input_audio_buffer.commit"}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        let events = client.drain()
        let committed = events.first { $0["type"] as? String == "conversation.item.added" }?["item"] as? [String: Any]
        let content = (committed?["content"] as? [[String: Any]])?.first
        #expect(content?["type"] as? String == "input_audio")
        #expect(content?["transcript"] as? String == "[audio: 1.50 s]")
        #expect(events.contains { $0["type"] as? String == "response.done" })
    }

    @Test func aToolCallRoundTrip() throws {
        let client = Client(try script("""
            rules:
              - match: {tool_result: {name: get_weather, content: sunny}}
                reply: "It is sunny in Paris."
              - match: {tools: true}
                reply:
                  tool_calls: [{name: get_weather, arguments: {city: Paris}}]
            """))
        client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"tools":[{"type":"function","name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}}"#)
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Weather in Paris?"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        let first = client.drain()
        #expect(!Self.types(first).contains("response.output_text.delta"))
        let args = try #require(first.first { $0["type"] as? String == "response.function_call_arguments.done" })
        #expect(args["name"] as? String == "get_weather")
        #expect(args["arguments"] as? String == #"{"city": "Paris"}"#)
        let callID = try #require(args["call_id"] as? String)
        client.send(#"{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"\#(callID)","output":"{\"weather\":\"sunny\"}"}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        let second = client.drain()
        let text = second.filter { $0["type"] as? String == "response.output_text.delta" }.compactMap { $0["delta"] as? String }.joined()
        #expect(text == "It is sunny in Paris.")
    }

    @Test func speechDuringAResponseInterruptsItAndTheClientTruncates() throws {
        let client = Client(try script("""
            pacing: {ttft_ms: 50}
            rules:
              - match: {turn: 1}
                reply: "This is a long answer that keeps going for quite a while longer."
              - reply: "Sure."
            """))
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Talk"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run(until: client.now + 1_050 * Self.ms)  // 1 s of audio out
        let playing = client.drain()
        let itemID = try #require((playing.first { $0["type"] as? String == "response.output_item.added" }?["item"] as? [String: Any])?["id"] as? String)
        client.appendAudio(Self.speech("wait", silenceMilliseconds: 0))
        let interrupted = client.drain()
        #expect(Array(Self.types(interrupted).prefix(1)) == ["input_audio_buffer.speech_started"])
        let done = try #require(interrupted.first { $0["type"] as? String == "response.done" }?["response"] as? [String: Any])
        #expect(done["status"] as? String == "cancelled")
        #expect((done["status_details"] as? [String: Any])?["reason"] as? String == "turn_detected")
        client.send(#"{"type":"conversation.item.truncate","item_id":"\#(itemID)","content_index":0,"audio_end_ms":900}"#)
        let truncated = try #require(client.drain().first)
        #expect(truncated["type"] as? String == "conversation.item.truncated")
        #expect(truncated["audio_end_ms"] as? Int == 900)
        client.send(#"{"type":"conversation.item.retrieve","item_id":"\#(itemID)"}"#)
        let item = client.drain().first?["item"] as? [String: Any]
        // 0.4 s a word: the words started before 0.9 s.
        #expect((item?["content"] as? [[String: Any]])?.first?["transcript"] as? String == "This is a")
    }

    @Test func theClientCancels() throws {
        let client = Client(try script("pacing: {ttft_ms: 500}\nrules: [{reply: later}]"))
        client.send(#"{"type":"response.cancel"}"#)
        #expect((client.drain().last?["error"] as? [String: Any])?["code"] as? String == "response_cancel_not_active")
        client.send(#"{"type":"response.create","response":{"output_modalities":["text"]}}"#)
        client.send(#"{"type":"response.create"}"#)
        #expect((client.drain().last?["error"] as? [String: Any])?["code"] as? String == "conversation_already_has_active_response")
        client.send(#"{"type":"response.cancel"}"#)
        let done = client.drain().first { $0["type"] as? String == "response.done" }?["response"] as? [String: Any]
        #expect(done?["status"] as? String == "cancelled")
        #expect((done?["status_details"] as? [String: Any])?["reason"] as? String == "client_cancelled")
        #expect(client.session.nextDeadline == nil)
    }

    @Test(arguments: [
        ("not json", "invalid_json", nil),
        (#"{"event_id":"e1"}"#, "missing_required_parameter", "type"),
        (#"{"type":"response.explode"}"#, "invalid_value", "type"),
        (#"{"type":"input_audio_buffer.append","audio":"@@@"}"#, "invalid_value", "audio"),
        (#"{"type":"input_audio_buffer.append"}"#, "missing_required_parameter", "audio"),
        (#"{"type":"session.update","session":{"type":"realtime","audio":{"output":{"format":{"type":"audio/mp3"}}}}}"#, "invalid_value", "session.audio.output.format.type"),
        (#"{"type":"conversation.item.delete","item_id":"nope"}"#, "item_not_found", "item_id"),
        (#"{"type":"conversation.item.create","item":{"type":"message","role":"robot","content":[]}}"#, "invalid_value", "item.role"),
        (#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":"hi"}}"#, "invalid_type", "item.content"),
        (#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_audio","audio":"abc"}]}}"#,
         "invalid_value", "item.content[0].audio"),
        (#"{"type":"conversation.item.create","item":{"type":"function_call_output","output":"x"}}"#, "missing_required_parameter", "item.call_id"),
        (#"{"type":"conversation.item.truncate","item_id":"x"}"#, "missing_required_parameter", "audio_end_ms"),
        (#"{"type":"session.update","session":"x"}"#, "invalid_type", "session"),
        (#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text","audio"]}}"#, "invalid_value", "session.output_modalities"),
        (#"{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":{"type":"server_vad","threshold":3}}}}}"#,
         "invalid_value", "session.audio.input.turn_detection.threshold"),
        (#"{"type":"session.update","session":{"type":"realtime","tools":[{"type":"function"}]}}"#, "missing_required_parameter", "tools[0].name"),
        (#"{"type":"input_audio_buffer.append","audio":null}"#, "invalid_type", "audio"),
        (#"{"type":"response.create","response":{"conversation":"elsewhere"}}"#, "invalid_value", "response.conversation"),
        (#"[1,2]"#, "invalid_json", nil),
    ] as [(String, String, String?)])
    func clientMistakesAreErrorEvents(event: String, code: String, param: String?) throws {
        let client = Client(try script("rules: []"))
        _ = client.drain()
        client.send(event)
        let events = client.drain()
        #expect(Self.types(events) == ["error"])
        let error = try #require(events.first?["error"] as? [String: Any])
        #expect(error["type"] as? String == "invalid_request_error")
        #expect(error["code"] as? String == code)
        #expect(error["param"] as? String == param)
        #expect(!(error["message"] as? String ?? "").isEmpty)
    }

    /// Valid events cut and spliced at random, thousands of them with the clock moving between:
    /// every one is answered or refused with an error event, none stops the session.
    @Test func mangledEventsNeverBreakTheSession() throws {
        let client = Client(try script("""
            pacing: {ttft_ms: 5, itl_ms: 1, chunking: word}
            rules:
              - match: {tools: true}
                reply: {text: "Calling.", tool_calls: [{name: f, arguments: {a: 1}}]}
              - reply: "A reply of some words."
            """))
        let speech = Self.speech("a few words", silenceMilliseconds: 600)
        var raw = ByteBuffer()
        speech.prefix(9_600).withUnsafeBytes { raw.append(base64Of: $0) }
        let valid = [
            #"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"tools":[{"type":"function","name":"f"}]}}"#,
            #"{"type":"session.update","session":{"type":"realtime","audio":{"input":{"format":{"type":"audio/pcmu"},"turn_detection":null}}}}"#,
            #"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"hi"}]}}"#,
            #"{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"c1","output":"{}"}}"#,
            #"{"type":"input_audio_buffer.append","audio":"\#(raw.description)"}"#,
            #"{"type":"input_audio_buffer.commit"}"#, #"{"type":"input_audio_buffer.clear"}"#,
            #"{"type":"response.create","response":{"output_modalities":["audio"]}}"#, #"{"type":"response.cancel"}"#,
            #"{"type":"conversation.item.truncate","item_id":"item_x","content_index":0,"audio_end_ms":10}"#,
            #"{"type":"conversation.item.delete","item_id":"item_x"}"#,
        ]
        var random = SeededRandom(seed: 11)
        for round in 0..<3_000 {
            var bytes = Array(valid[Int(random.next() % UInt64(valid.count))].utf8)
            switch random.next() % 4 {
            case 0: break
            case 1: bytes.removeSubrange(Int(random.next() % UInt64(bytes.count))..<bytes.count)
            case 2: bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next() % 128)
            default:
                let other = Array(valid[Int(random.next() % UInt64(valid.count))].utf8)
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count)))) + other.suffix(Int(random.next() % UInt64(other.count)))
            }
            client.send(String(decoding: bytes, as: UTF8.self))
            if round % 7 == 0 { client.run(until: client.now + 20 * Self.ms) }
            #expect(client.closed == nil)
            if client.events.count > 10_000 { _ = client.drain() }
        }
        // Still answering.
        client.send(#"{"type":"response.cancel"}"#)
        client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"tools":[]}}"#)
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"last"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        #expect(client.types.contains("response.done"))
    }

    @Test func binaryMessagesAreRefused() throws {
        let client = Client(try script("rules: []"))
        var out: [WebSocketOutput] = []
        client.session.received(.binary(ByteBuffer()), now: client.now, into: &out)
        client.take(out)
        #expect(client.types.last == "error")
    }

    @Test func scriptedFaultsFailTheResponseOrCloseTheSession() throws {
        let client = Client(try script("""
            pacing: {chunking: word}
            rules:
              - match: {prompt: err}
                reply: "one two three"
                fault: {stream: {after: 1, error: {message: "Boom"}}}
              - match: {prompt: cut}
                reply: "one two three"
                fault: {stream: {after: 2, disconnect: fin}}
              - match: {prompt: quota}
                error: {status: 429, message: "Slow down"}
            """))
        client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"err"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        var events = client.drain()
        #expect(events.filter { $0["type"] as? String == "response.output_text.delta" }.count == 1)
        var done = events.first { $0["type"] as? String == "response.done" }?["response"] as? [String: Any]
        #expect(done?["status"] as? String == "failed")
        #expect(((done?["status_details"] as? [String: Any])?["error"] as? [String: Any])?["message"] as? String == "Boom")
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"quota"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        events = client.drain()
        done = events.first { $0["type"] as? String == "response.done" }?["response"] as? [String: Any]
        #expect(done?["status"] as? String == "failed")
        #expect(((done?["status_details"] as? [String: Any])?["error"] as? [String: Any])?["type"] as? String == "rate_limit_exceeded")
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"cut"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        #expect(client.closed?.code == 1011)
    }

    /// `settings.session_limit_ms`: what was due before the end goes out, then OpenAI's
    /// `session_expired` error and a 1001 close with the same words; nothing after.
    @Test func aSessionEndsAtItsLimitAsOpenAIEndsOne() throws {
        let limited = try script("""
            pacing: {chunking: word, ttft_ms: 100, itl_ms: 100}
            responses: {long: "one two three four five six seven eight nine ten"}
            settings: {session_limit_ms: 1500}
            """)
        let lifetime = try #require(try SessionLifetime.resolve(RequestHeaders(), script: limited))
        #expect(lifetime.spoken == "1.5 seconds")
        let client = Client(limited, lifetime: lifetime)
        client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
        // 1 s in: the reply's words at 1.1, 1.2, ... s; the session ends at 1.5 s.
        client.now += 1_000 * Self.ms
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"long"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        let events = client.drain()
        let deltas = events.filter { $0["type"] as? String == "response.output_text.delta" }.count
        #expect(deltas >= 4 && deltas <= 5, "the words due by 1.5 s: \(deltas)")
        let last = try #require(events.last)
        #expect(last["type"] as? String == "error")
        let error = last["error"] as? [String: Any]
        #expect(error?["type"] as? String == "invalid_request_error")
        #expect(error?["code"] as? String == "session_expired")
        #expect(error?["message"] as? String == "Your session hit the maximum duration of 1.5 seconds.")
        #expect(client.closed?.code == 1001)
        #expect(client.closed?.reason == "Your session hit the maximum duration of 1.5 seconds.")
        #expect(client.session.nextDeadline == nil)
        client.send(#"{"type":"response.create"}"#)
        #expect(client.drain().isEmpty, "nothing after the close")
        let hour = SessionLifetime(limit: 3_600_000 * Self.ms, warning: 0)
        #expect(hour.spoken == "60 minutes")
        #expect(SessionLifetime(limit: 60_000 * Self.ms, warning: 0).spoken == "1 minute")
        #expect(SessionLifetime(limit: 90_000 * Self.ms, warning: 0).spoken == "90 seconds")
    }

    @Test func anOutOfBandResponseHasItsOwnInputAndStaysOutOfTheConversation() throws {
        let client = Client(try script("""
            rules:
              - match: {prompt: "Summarize", turn: 2}
                reply: "Summary."
              - reply: "In band."
            """))
        client.send(#"{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}"#)
        client.send(#"{"type":"conversation.item.create","item":{"id":"item_first","type":"message","role":"user","content":[{"type":"input_text","text":"A question"}]}}"#)
        _ = client.drain()
        client.send(#"""
            {"type":"response.create","response":{"conversation":"none","metadata":{"topic":"summary"},"input":[
              {"type":"item_reference","id":"item_first"},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Summarize"}]}]}}
            """#)
        client.run()
        let events = client.drain()
        #expect(!Self.types(events).contains("conversation.item.added"))
        let done = try #require(events.first { $0["type"] as? String == "response.done" }?["response"] as? [String: Any])
        #expect(done["conversation_id"] is NSNull)
        #expect((done["metadata"] as? [String: Any])?["topic"] as? String == "summary")
        let text = events.filter { $0["type"] as? String == "response.output_text.delta" }.compactMap { $0["delta"] as? String }.joined()
        #expect(text == "Summary.")
        client.send(#"{"type":"response.create","response":{"input":[{"type":"item_reference","id":"item_nope"}]}}"#)
        #expect((client.drain().last?["error"] as? [String: Any])?["code"] as? String == "item_not_found")
    }

    @Test func rateLimitsFollowTheScriptsQuota() throws {
        let client = Client(try script("""
            quotas: {requests_per_minute: 5, tokens_per_minute: 1000}
            rules: [{reply: "Fine."}]
            """))
        client.send(#"{"type":"response.create","response":{"output_modalities":["text"]}}"#)
        client.run()
        let limits = try #require(client.drain().last { $0["type"] as? String == "rate_limits.updated" }?["rate_limits"] as? [[String: Any]])
        #expect(limits.first?["name"] as? String == "requests")
        #expect(limits.first?["limit"] as? Int == 5)
        #expect(limits.first?["remaining"] as? Int == 4)
        #expect(limits.last?["limit"] as? Int == 1_000)
        #expect((limits.last?["remaining"] as? Int ?? 1_000) < 1_000)
    }

    @Test func betaSessionsUseTheBetaNames() throws {
        let client = Client(try script("rules: [{reply: Hi}]"), beta: true)
        let session = client.events.first?["session"] as? [String: Any]
        #expect(session?["modalities"] as? [String] == ["text", "audio"])
        #expect(session?["input_audio_format"] as? String == "pcm16")
        client.send(#"{"type":"session.update","session":{"modalities":["text"],"output_audio_format":"g711_ulaw"}}"#)
        client.send(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"x"}]}}"#)
        client.send(#"{"type":"response.create"}"#)
        client.run()
        let types = client.types
        #expect(types.contains("conversation.item.created"))
        #expect(types.contains("response.text.delta"))
        #expect(!types.contains("conversation.item.added"))
    }

    // MARK: - The handshake

    func handshake(_ target: String, headers: [(String, String)], script: Script) -> (status: Int, headers: HTTPFields) {
        var fields = HTTPFields()
        for (name, value) in headers { fields.append(name: name, value: value) }
        var context = ProviderContext(script: script, now: 0, random: SeededRandom(seed: 1))
        let request = HTTPRequest(method: "GET", target: target, headers: fields)
        do {
            let reply = try OpenAIRealtime.realtime(request, &context)
            return (reply.status, reply.headers)
        } catch {
            return (error.status, error.headers)
        }
    }

    static let upgrade = [("upgrade", "websocket"), ("connection", "Upgrade"), ("sec-websocket-version", "13"),
                          ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")]

    @Test func theHandshakeUpgradesOrRefusesInOpenAIsShape() throws {
        let plain = try script("rules: []")
        let ok = handshake("/v1/realtime?model=gpt-realtime", headers: Self.upgrade, script: plain)
        #expect(ok.status == 101)
        #expect(ok.headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        let noModel = handshake("/v1/realtime", headers: Self.upgrade, script: plain)
        #expect(noModel.status == 400)
        let notUpgrade = handshake("/v1/realtime?model=gpt-realtime", headers: [], script: plain)
        #expect(notUpgrade.status == 426)
        let strict = try script("settings: {strict_models: true}\nrules: []")
        #expect(handshake("/v1/realtime?model=nope", headers: Self.upgrade, script: strict).status == 404)
        #expect(handshake("/v1/realtime?model=gpt-realtime", headers: Self.upgrade, script: strict).status == 101)
        let limited = Self.upgrade + [("x-mockllm-session-limit-ms", "2000")]
        #expect(handshake("/v1/realtime?model=gpt-realtime", headers: limited, script: plain).status == 101)
        let badLimit = Self.upgrade + [("x-mockllm-session-limit-ms", "never")]
        #expect(handshake("/v1/realtime?model=gpt-realtime", headers: badLimit, script: plain).status == 400)
    }
}
