import MockLLMCore

/// How audio bytes are encoded on a realtime wire: mono, little-endian 16-bit PCM at a sample
/// rate (OpenAI Realtime's `pcm16` at 24 kHz; Gemini Live takes 16 kHz in and sends 24 kHz out),
/// or ITU-T G.711 mu-law / A-law at 8 kHz (one byte a sample: telephony's formats).
public enum AudioFormat: Sendable, Equatable {
    case pcm16(sampleRate: Int)
    case mulaw
    case alaw

    public var sampleRate: Int {
        switch self {
        case .pcm16(let rate): rate
        case .mulaw, .alaw: 8_000
        }
    }

    public var bytesPerSample: Int {
        if case .pcm16 = self { 2 } else { 1 }
    }

    /// How long `bytes` of audio in this format play, in nanoseconds (whole samples only).
    public func nanoseconds(ofBytes bytes: Int) -> UInt64 {
        let samples = UInt64(max(0, bytes) / bytesPerSample)
        return samples * 1_000_000_000 / UInt64(sampleRate)
    }

    /// The same, in whole milliseconds (rounded down).
    public func milliseconds(ofBytes bytes: Int) -> Int {
        Int(nanoseconds(ofBytes: bytes) / 1_000_000)
    }

    /// Samples in `milliseconds` of audio.
    public func samples(milliseconds: Int) -> Int {
        max(0, milliseconds) * sampleRate / 1000
    }
}

/// Deterministic speech-like audio for a reply's text: what a realtime voice would say, of the
/// length a speaker at `wordsPerMinute` takes, never recorded speech.
///
/// Each word gets the same share of time (60 / wpm seconds). Its first 85 % is a tone (a
/// triangle wave, 110 to 250 Hz picked by the word's bytes, faded in and out over 10 ms), the
/// rest silence: a pause a voice-activity detector sees between words. The samples are computed
/// from their index with integer arithmetic, so any range can be produced on demand (a session
/// renders each chunk when it is due, holding no audio) and every platform gets the same bytes.
public struct SpeechAudio: Sendable {
    public let format: AudioFormat
    /// The text's words, in order, each with its tone's phase step per sample.
    private let steps: [UInt32]
    /// Samples per word.
    public let samplesPerWord: Int
    /// Peak amplitude of the tone (of 32,767).
    public static let amplitude: Int32 = 8_000
    /// The voiced part of a word, in thousandths.
    static let voicedShare = 850

    public init(text: some StringProtocol, wordsPerMinute: Double, format: AudioFormat) {
        self.format = format
        let wpm = wordsPerMinute > 0 && wordsPerMinute.isFinite ? wordsPerMinute : 150
        samplesPerWord = max(1, Int((Double(format.sampleRate) * 60 / wpm).rounded()))
        steps = SpeechAudio.words(of: text).map { word in
            // FNV-1a of the word picks its pitch, so the same word always sounds the same.
            var hash: UInt32 = 2_166_136_261
            for byte in word.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
            let hertz = 110 + UInt64(hash % 141)
            return UInt32(truncatingIfNeeded: (hertz << 32) / UInt64(format.sampleRate))
        }
    }

    /// The words a text is spoken as: runs of non-whitespace.
    public static func words(of text: some StringProtocol) -> [Substring] {
        Substring(text).split(whereSeparator: { $0.isWhitespace })
    }

    /// Words in the text.
    public var wordCount: Int { steps.count }

    /// Samples of the whole text.
    public var sampleCount: Int { steps.count * samplesPerWord }

    /// Encoded bytes of the whole text.
    public var byteCount: Int { sampleCount * format.bytesPerSample }

    /// How long the text takes to say, in nanoseconds.
    public var duration: UInt64 { format.nanoseconds(ofBytes: byteCount) }

    /// When word `index` starts, in nanoseconds from the start.
    public func start(ofWord index: Int) -> UInt64 {
        UInt64(index * samplesPerWord) * 1_000_000_000 / UInt64(format.sampleRate)
    }

    /// The sample ranges of consecutive chunks of `milliseconds` each (the last may be shorter).
    public func chunks(milliseconds: Int) -> [Range<Int>] {
        let size = max(1, format.samples(milliseconds: milliseconds))
        return stride(from: 0, to: sampleCount, by: size).map { $0..<min($0 + size, sampleCount) }
    }

    /// One sample, linear 16-bit.
    public func sample(at index: Int) -> Int16 {
        guard index >= 0, index < sampleCount else { return 0 }
        return sample(word: index / samplesPerWord, offset: index % samplesPerWord)
    }

    /// Sample `offset` of word `word`'s share of time.
    @inline(__always)
    private func sample(word: Int, offset: Int) -> Int16 {
        let voiced = samplesPerWord * SpeechAudio.voicedShare / 1000
        guard offset < voiced else { return 0 }
        let phase = steps[word] &* UInt32(truncatingIfNeeded: offset)
        // Triangle wave from the phase's top 16 bits: -32768 ... 32766.
        let p = Int32(phase >> 16)
        let triangle = p < 32_768 ? p * 2 - 32_768 : (65_535 - p) * 2 - 32_768
        let fade = max(1, format.sampleRate / 100)
        let edge = min(offset, voiced - 1 - offset)
        // Full level between the fades: no division for most samples.
        let level = edge >= fade ? SpeechAudio.amplitude : SpeechAudio.amplitude * Int32(edge) / Int32(fade)
        return Int16(triangle * level / 32_768)
    }

    /// Appends the encoded bytes of `samples` (a range within `sampleCount`) to `out`.
    public func append(samples range: Range<Int>, to out: inout ByteBuffer) {
        let range = range.clamped(to: 0..<sampleCount)
        guard !range.isEmpty else { return }
        let size = range.count * format.bytesPerSample
        // Rendered into scratch memory, then copied once: no capacity check per byte.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: size) { scratch in
            // Walked word by word: no division per sample.
            var word = range.lowerBound / samplesPerWord
            var offset = range.lowerBound % samplesPerWord
            var at = 0
            for _ in range {
                let value = sample(word: word, offset: offset)
                switch format {
                case .pcm16:
                    let bits = UInt16(bitPattern: value)
                    scratch[at] = UInt8(truncatingIfNeeded: bits)
                    scratch[at + 1] = UInt8(truncatingIfNeeded: bits >> 8)
                    at += 2
                case .mulaw:
                    scratch[at] = G711.mulaw(value)
                    at += 1
                case .alaw:
                    scratch[at] = G711.alaw(value)
                    at += 1
                }
                offset += 1
                if offset == samplesPerWord {
                    offset = 0
                    word += 1
                }
            }
            out.append(bytes: UnsafeBufferPointer(scratch))
        }
    }

    /// Appends `samples` encoded, as base64 text (the realtime protocols' audio fields), to `out`.
    public func appendBase64(samples range: Range<Int>, to out: inout ByteBuffer) {
        var raw = ByteBuffer()
        append(samples: range, to: &raw)
        raw.withUnsafeReadableBytes { out.append(base64Of: $0) }
    }

    /// `samples` encoded, as base64 text.
    public func base64(samples range: Range<Int>) -> ByteBuffer {
        var out = ByteBuffer()
        appendBase64(samples: range, to: &out)
        return out
    }
}

/// ITU-T G.711 companding, as in the reference code every telephony stack copies (Sun's
/// `g711.c`): 16-bit linear to and from 8-bit mu-law and A-law.
public enum G711 {
    public static func mulaw(_ sample: Int16) -> UInt8 {
        var pcm = Int32(sample) >> 2
        let mask: Int32
        if pcm < 0 { pcm = -pcm; mask = 0x7F } else { mask = 0xFF }
        pcm = min(pcm, 8_159) + (0x84 >> 2)
        var segment: Int32 = 0
        while segment < 8 && pcm > (Int32(0x40) << segment) - 1 { segment += 1 }
        if segment >= 8 { return UInt8(0x7F ^ mask) }
        let value = (segment << 4) | ((pcm >> (segment + 1)) & 0xF)
        return UInt8(truncatingIfNeeded: value ^ mask)
    }

    public static func linear(mulaw byte: UInt8) -> Int16 {
        let u = Int32(~byte)
        var t = ((u & 0x0F) << 3) + 0x84
        t <<= (u & 0x70) >> 4
        return Int16((u & 0x80) != 0 ? 0x84 - t : t - 0x84)
    }

    public static func alaw(_ sample: Int16) -> UInt8 {
        var pcm = Int32(sample) >> 3
        let mask: Int32
        if pcm >= 0 { mask = 0xD5 } else { mask = 0x55; pcm = -pcm - 1 }
        var segment: Int32 = 0
        while segment < 8 && pcm > (Int32(0x20) << segment) - 1 { segment += 1 }
        if segment >= 8 { return UInt8(0x7F ^ mask) }
        var value = segment << 4
        value |= segment < 2 ? (pcm >> 1) & 0xF : (pcm >> segment) & 0xF
        return UInt8(truncatingIfNeeded: value ^ mask)
    }

    public static func linear(alaw byte: UInt8) -> Int16 {
        let a = Int32(byte ^ 0x55)
        var t = (a & 0x0F) << 4
        let segment = (a & 0x70) >> 4
        switch segment {
        case 0: t += 8
        case 1: t += 0x108
        default: t = (t + 0x108) << (segment - 1)
        }
        return Int16((a & 0x80) != 0 ? t : -t)
    }
}
