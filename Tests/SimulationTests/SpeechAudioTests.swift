@testable import MockLLMCore
@testable import MockLLMSimulation
import Testing

@Suite("Speech audio, G.711 and voice activity")
struct SpeechAudioTests {
    @Test func theAudioLastsTheWordsAtTheSpeakingRate() {
        // 10 words at 150 wpm: 0.4 s each, 4 s in all, whatever the format.
        let text = "one two three four five six seven eight nine ten"
        for format in [AudioFormat.pcm16(sampleRate: 24_000), .mulaw, .alaw, .pcm16(sampleRate: 16_000)] {
            let audio = SpeechAudio(text: text, wordsPerMinute: 150, format: format)
            #expect(audio.wordCount == 10)
            #expect(audio.duration == 4_000_000_000)
            #expect(audio.byteCount == format.sampleRate * 4 * format.bytesPerSample)
        }
        #expect(SpeechAudio(text: text, wordsPerMinute: 300, format: .mulaw).duration == 2_000_000_000)
        #expect(SpeechAudio(text: "  \n ", wordsPerMinute: 150, format: .mulaw).sampleCount == 0)
    }

    @Test func byteDurationsFollowTheFormat() {
        #expect(AudioFormat.pcm16(sampleRate: 24_000).milliseconds(ofBytes: 48_000) == 1000)
        #expect(AudioFormat.pcm16(sampleRate: 24_000).milliseconds(ofBytes: 4_801) == 100)
        #expect(AudioFormat.mulaw.milliseconds(ofBytes: 8_000) == 1000)
        #expect(AudioFormat.alaw.nanoseconds(ofBytes: 80) == 10_000_000)
        #expect(AudioFormat.mulaw.samples(milliseconds: 20) == 160)
    }

    @Test func chunksCoverTheAudioInOrder() {
        let audio = SpeechAudio(text: "hello there world", wordsPerMinute: 150, format: .pcm16(sampleRate: 24_000))
        let chunks = audio.chunks(milliseconds: 100)
        #expect(chunks.first == 0..<2_400)
        #expect(chunks.last?.upperBound == audio.sampleCount)
        #expect(zip(chunks, chunks.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        #expect(chunks.count == 12)  // 1.2 s
    }

    @Test func theSamplesAreTheSameEveryTimeAndSilentBetweenWords() {
        let a = SpeechAudio(text: "same words", wordsPerMinute: 150, format: .pcm16(sampleRate: 24_000))
        let b = SpeechAudio(text: "same words", wordsPerMinute: 150, format: .pcm16(sampleRate: 24_000))
        #expect(a.base64(samples: 0..<a.sampleCount) == b.base64(samples: 0..<b.sampleCount))
        let loud = (0..<a.samplesPerWord * 8 / 10).map { Int(a.sample(at: $0).magnitude) }
        #expect(loud.max()! > 7_000 && loud.max()! <= Int(SpeechAudio.amplitude))
        let gap = (a.samplesPerWord * 86 / 100..<a.samplesPerWord).map { a.sample(at: $0) }
        #expect(gap.allSatisfy { $0 == 0 })
        // PCM16 is little-endian: the bytes of sample 100.
        var raw = ByteBuffer()
        a.append(samples: 100..<101, to: &raw)
        let value = UInt16(bitPattern: a.sample(at: 100))
        #expect(raw.bytes == [UInt8(value & 0xFF), UInt8(value >> 8)])
    }

    @Test func g711RoundTripsWithinItsQuantization() {
        for value in stride(from: -32_000, through: 32_000, by: 97) {
            let sample = Int16(value)
            let mu = Int(G711.linear(mulaw: G711.mulaw(sample)))
            let a = Int(G711.linear(alaw: G711.alaw(sample)))
            // The step grows with the level: about 1/16 of it, plus the smallest step.
            #expect(abs(mu - value) <= abs(value) / 16 + 8, "mu-law \(value) -> \(mu)")
            #expect(abs(a - value) <= abs(value) / 16 + 16, "A-law \(value) -> \(a)")
        }
        // The reference code's known values: silence.
        #expect(G711.mulaw(0) == 0xFF)
        #expect(G711.alaw(0) == 0xD5)
    }

    @Test func voiceActivityFindsSpeechAndTheSilenceAfterIt() {
        // 1.2 s of speech then 0.6 s of silence, fed in odd-sized appends.
        let format = AudioFormat.pcm16(sampleRate: 24_000)
        let speech = SpeechAudio(text: "three short words", wordsPerMinute: 150, format: format)
        var bytes = ByteBuffer()
        speech.append(samples: 0..<speech.sampleCount, to: &bytes)
        var all = bytes.bytes + [UInt8](repeating: 0, count: 24_000 * 2 * 6 / 10)
        var detector = VoiceActivity(format: format, threshold: 0.5, silenceMilliseconds: 500)
        var events: [VoiceActivity.Event] = []
        while !all.isEmpty {
            let n = min(777, all.count)
            detector.feed(Array(all.prefix(n)), into: &events)
            all.removeFirst(n)
        }
        // The last word's tone ends at 0.8 + 0.34 s.
        #expect(events == [.started(milliseconds: 0), .stopped(milliseconds: 1_140)])
        #expect(!detector.speaking)
    }

    @Test func voiceActivityInG711AndSilenceAlone() {
        let speech = SpeechAudio(text: "hello", wordsPerMinute: 150, format: .mulaw)
        var bytes = ByteBuffer()
        speech.append(samples: 0..<speech.sampleCount, to: &bytes)
        var detector = VoiceActivity(format: .mulaw, silenceMilliseconds: 200)
        var events: [VoiceActivity.Event] = []
        detector.feed([UInt8](repeating: 0xFF, count: 800), into: &events)  // 100 ms of mu-law silence
        #expect(events.isEmpty)
        detector.feed(bytes.bytes, into: &events)
        #expect(events == [.started(milliseconds: 100)])
        detector.feed([UInt8](repeating: 0xFF, count: 1_600), into: &events)
        #expect(events == [.started(milliseconds: 100), .stopped(milliseconds: 440)])
    }
}
