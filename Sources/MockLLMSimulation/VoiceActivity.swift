/// Server-side voice activity detection, decided from the input audio's samples alone (no clock):
/// what a realtime session's `server_vad` / automatic activity detection reports.
///
/// The audio is read in 10 ms frames. A frame is voiced when its mean absolute amplitude is at
/// least `threshold` x 2,048 (of 32,767; threshold 0.5, OpenAI's default, is 1,024: the tone of
/// `SpeechAudio` is voiced, digital silence and quiet noise are not). Speech starts at the first
/// voiced frame and stops once `silenceMilliseconds` of unvoiced frames follow the last voiced
/// one, so a client that streams speech then silence (as a microphone does) gets both events,
/// at the same sample positions however the bytes were split into appends.
///
/// Positions are milliseconds of audio fed since the detector was made (the session's input
/// audio clock), not wall time.
public struct VoiceActivity: Sendable {
    public enum Event: Sendable, Equatable {
        /// Speech began at this position (ms).
        case started(milliseconds: Int)
        /// Speech ended at this position (ms): the end of its last voiced frame.
        case stopped(milliseconds: Int)
    }

    public let format: AudioFormat
    /// 0...1: how loud a frame must be to count as speech.
    public var threshold: Double
    /// Unvoiced audio after speech that ends it.
    public var silenceMilliseconds: Int

    /// Samples fed so far.
    public private(set) var samples = 0
    /// Whether speech is going on (started, not yet stopped).
    public private(set) var speaking = false
    private var frameSum = 0
    private var frameCount = 0
    /// The sample after the last voiced frame.
    private var voicedEnd = 0
    /// The low byte of a PCM16 sample split between two appends.
    private var pendingLow: UInt8?

    public init(format: AudioFormat, threshold: Double = 0.5, silenceMilliseconds: Int = 500) {
        self.format = format
        self.threshold = threshold
        self.silenceMilliseconds = silenceMilliseconds
    }

    private var frameSize: Int { max(1, format.sampleRate / 100) }

    /// Milliseconds of audio at a sample position.
    public func milliseconds(atSample sample: Int) -> Int { sample * 1000 / format.sampleRate }

    /// Reads `bytes` (in `format`), appending what happened to `events`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into events: inout [Event]) {
        for byte in bytes {
            let value: Int16
            switch format {
            case .pcm16:
                guard let low = pendingLow else {
                    pendingLow = byte
                    continue
                }
                pendingLow = nil
                value = Int16(bitPattern: UInt16(low) | UInt16(byte) << 8)
            case .mulaw:
                value = G711.linear(mulaw: byte)
            case .alaw:
                value = G711.linear(alaw: byte)
            }
            add(value, into: &events)
        }
    }

    public mutating func feed(_ bytes: [UInt8], into events: inout [Event]) {
        bytes.withUnsafeBytes { feed($0, into: &events) }
    }

    /// Forgets the speech in progress (the buffer was cleared or committed); positions go on.
    public mutating func reset() {
        speaking = false
    }

    private mutating func add(_ value: Int16, into events: inout [Event]) {
        frameSum += Int(value.magnitude)
        frameCount += 1
        samples += 1
        guard frameCount == frameSize else { return }
        let voiced = Double(frameSum) / Double(frameCount) >= threshold * 2_048
        let frameStart = samples - frameCount
        frameSum = 0
        frameCount = 0
        if voiced {
            if !speaking {
                speaking = true
                events.append(.started(milliseconds: milliseconds(atSample: frameStart)))
            }
            voicedEnd = samples
        } else if speaking, milliseconds(atSample: samples - voicedEnd) >= silenceMilliseconds {
            speaking = false
            events.append(.stopped(milliseconds: milliseconds(atSample: voicedEnd)))
        }
    }
}
