import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// A live turn's reply as a timeline, independent of the wire: what goes out when, counted from
/// the moment the reply starts. Each session protocol turns the steps into its own events.
///
/// - Written replies: the text in the pacing's chunks, each after its stream delay (time to
///   first token and prefill, then the inter-chunk interval, with jitter), as a stream's are.
/// - Spoken replies: the text as `SpeechAudio` at the pacing's `speech_wpm`, in chunks of a
///   fixed length. The first chunk goes out when a stream's first chunk would; each later one
///   when the voice reaches it (chunk k at start + k x chunk length), so the audio plays in real
///   time. Each chunk carries the transcript of the words that start in it (the pieces
///   concatenate to the reply's text exactly).
/// - Tool calls follow the text, each one chunk interval after what came before.
struct LivePlan: Sendable {
    enum Step: Sendable, Equatable {
        /// A piece of written text.
        case text(Substring)
        /// Audio samples (a range of `audio`) and the transcript of the words starting in them
        /// (may be empty).
        case audio(samples: Range<Int>, transcript: Substring)
        /// `toolCalls[index]`.
        case toolCall(Int)
    }

    /// The steps, in order, each with its offset from the reply's start (ns, non-decreasing).
    var steps: [(at: UInt64, step: Step)]
    /// The reply's audio, when it is spoken.
    var audio: SpeechAudio?
    /// The script's answer: text, tool calls, rule, fault, token counts, transcript.
    var chat: ChatPlan

    var text: String { chat.text }
    var toolCalls: [ToolCall] { chat.toolCalls }
    /// The offset of the last step (0 when there is none): how long the reply takes to give.
    var duration: UInt64 { steps.last?.at ?? 0 }

    init(_ chat: ChatPlan, speech: AudioFormat?, chunkMilliseconds: Int) {
        self.chat = chat
        var schedule = chat.schedule
        var steps: [(at: UInt64, step: Step)] = []
        var clock: UInt64 = 0
        let text = chat.text
        if let speech {
            let audio = SpeechAudio(text: text, wordsPerMinute: chat.pacing.speechWordsPerMinute, format: speech)
            self.audio = audio
            let pieces = LivePlan.wordPieces(of: text)
            if let first = pieces.first {
                clock = schedule.delay(before: text[first])
                let start = clock
                var word = 0
                for samples in audio.chunks(milliseconds: chunkMilliseconds) {
                    let from = word
                    while word < pieces.count && word * audio.samplesPerWord < samples.upperBound { word += 1 }
                    let transcript = from < word ? text[pieces[from].lowerBound..<pieces[word - 1].upperBound] : text[text.endIndex...]
                    clock = start + UInt64(samples.lowerBound) * 1_000_000_000 / UInt64(speech.sampleRate)
                    steps.append((clock, .audio(samples: samples, transcript: transcript)))
                }
            }
        } else {
            audio = nil
            var chunks = TextChunks(text, chunking: chat.pacing.chunking)
            while let chunk = chunks.next() {
                clock &+= schedule.delay(before: chunk)
                steps.append((clock, .text(chunk)))
            }
        }
        for (index, call) in chat.toolCalls.enumerated() {
            clock &+= schedule.delay(before: Substring(call.name))
            steps.append((clock, .toolCall(index)))
        }
        self.steps = steps
    }

    /// The text cut before each word (a run of non-whitespace): piece i is word i with the
    /// whitespace before it; the first piece also holds leading whitespace, the last the
    /// trailing. The pieces cover the text exactly; none for a text without words.
    static func wordPieces(of text: String) -> [Range<String.Index>] {
        var starts: [String.Index] = []
        var previousWasSpace = true
        var index = text.startIndex
        while index < text.endIndex {
            let isSpace = text[index].isWhitespace
            if previousWasSpace && !isSpace { starts.append(index) }
            previousWasSpace = isSpace
            index = text.index(after: index)
        }
        guard !starts.isEmpty else { return [] }
        var pieces: [Range<String.Index>] = []
        for i in starts.indices {
            // Each piece begins where the whitespace before its word begins.
            var lower = starts[i]
            if i == 0 {
                lower = text.startIndex
            } else {
                while lower > starts[i - 1], text[text.index(before: lower)].isWhitespace { lower = text.index(before: lower) }
            }
            pieces.append(lower..<text.endIndex)
            if i > 0 { pieces[i - 1] = pieces[i - 1].lowerBound..<lower }
        }
        return pieces
    }
}

extension ChatPlan {
    /// A reply with nothing in it: what a live turn the script refused is given as its plan.
    static var nothing: ChatPlan {
        ChatPlan(text: "", blocks: [], tokens: 0, finish: .endTurn, pacing: .immediate, random: SeededRandom(seed: 0), promptTokens: 0,
                 rule: "", miss: nil)
    }
}
