import MockLLMCore

/// Which events of a stream carry text (token events), end it, or report an error, protocol by
/// protocol. Every check reads the bytes where they lie, in one pass that builds nothing
/// (`JSONWalk`): it goes to the few members that decide and checks the rest is well-formed. An
/// event whose data is not one well-formed JSON value (OpenAI's `[DONE]` aside) is malformed:
/// every SDK raises on it.
///
/// - openai, azure: a token is a chunk with a non-empty `choices[].delta.content`; the end is
///   `data: [DONE]`; an error is `{"error": ...}` (Azure's first chunk, with empty `choices`,
///   is an event without a token).
/// - anthropic, vertex-anthropic: by the `event:` name (or the data's leading `type` without one): tokens are
///   `content_block_delta`, the end `message_stop`, an error `error`.
/// - responses: by the data's `type`: a token is `response.output_text.delta` with a non-empty
///   `delta`; the end `response.completed` or `response.incomplete`; an error `error` or
///   `response.failed` (also when the `event:` line names them).
/// - gemini, vertex: a token is a chunk whose `candidates[0].content.parts` has a part with non-empty
///   `text`; the end a chunk whose `candidates[0]` has a `finishReason`; an error `{"error": ...}`.
/// - ollama (a line): a token is `"done":false` with a non-empty `message.content`; the end
///   `"done":true`; an error `{"error": ...}`.
/// - bedrock (an event stream message, `EventStreamScanner`): a token is a `contentBlockDelta`
///   event; the end `messageStop`; an error a message of `:message-type` `exception`.
extension BenchProvider {
    /// What an SSE event's `event:` name decides on its own (nil: the data decides).
    func meaning(ofEventNamed name: UnsafeRawBufferPointer) -> EventMeaning? {
        switch self {
        case .anthropic, .vertexAnthropic:
            if name.equals("content_block_delta") { return .token }
            if name.equals("message_stop") { return .end }
            return name.equals("error") ? .error : []
        case .responses:
            return name.equals("error") || name.equals("response.failed") ? .error : nil
        case .openai, .gemini, .vertex, .ollama, .azure, .bedrock, .realtime:
            return nil
        }
    }

    /// What an SSE event means, from its name's verdict and its data (its `data:` lines joined by LF).
    func meaning(named: EventMeaning?, data: UnsafeRawBufferPointer) -> EventMeaning {
        switch self {
        case .openai, .azure:
            return Self.openAIChunk(data)
        case .anthropic, .vertexAnthropic:
            guard JSONWalk.isWellFormed(data) else { return Self.malformed(keeping: named ?? []) }
            return named ?? Self.anthropicData(data)
        case .responses:
            return Self.responsesEvent(data).union(named ?? [])
        case .gemini, .vertex:
            return Self.geminiChunk(data)
        case .ollama, .bedrock:
            return Self.ollamaLine(data)
        case .realtime:
            return Self.realtimeEvent(data)
        }
    }

    /// What one line of an NDJSON stream means (Ollama's).
    func meaning(ofLine line: UnsafeRawBufferPointer) -> EventMeaning {
        Self.ollamaLine(line)
    }

    // MARK: - Per protocol

    private static func openAIChunk(_ data: UnsafeRawBufferPointer) -> EventMeaning {
        if data.equals("[DONE]") { return .end }
        var meaning: EventMeaning = []
        var walk = JSONWalk(data)
        walk.members { walk, key in
            if key.equals("error") {
                meaning.insert(.error)
                walk.skipValue()
            } else if key.equals("choices") {
                walk.elements { walk, _ in  // one choice per chunk; several with n > 1
                    walk.members { walk, key in
                        guard key.equals("delta") else { return walk.skipValue() }
                        walk.members { walk, key in
                            if !key.equals("content") {
                                walk.skipValue()
                            } else if walk.nonEmptyString() {
                                meaning.insert(.token)
                            }
                        }
                    }
                }
            } else {
                walk.skipValue()
            }
        }
        return walk.finish() ? meaning : malformed(keeping: meaning)
    }

    private static func anthropicData(_ data: UnsafeRawBufferPointer) -> EventMeaning {
        if data.hasPrefix("{\"type\":\"content_block_delta\"") { return .token }
        if data.hasPrefix("{\"type\":\"message_stop\"") { return .end }
        return data.hasPrefix("{\"type\":\"error\"") ? .error : []
    }

    private static func responsesEvent(_ data: UnsafeRawBufferPointer) -> EventMeaning {
        var type: UnsafeRawBufferPointer?
        var hasDelta = false
        var walk = JSONWalk(data)
        walk.members { walk, key in
            if key.equals("type") {
                type = walk.string()
            } else if key.equals("delta") {
                hasDelta = walk.nonEmptyString()
            } else {
                walk.skipValue()
            }
        }
        guard walk.finish() else { return .malformed }
        guard let type else { return [] }
        if type.equals("response.output_text.delta") { return hasDelta ? .token : [] }
        if type.equals("response.completed") || type.equals("response.incomplete") { return .end }
        return type.equals("error") || type.equals("response.failed") ? .error : []
    }

    private static func geminiChunk(_ data: UnsafeRawBufferPointer) -> EventMeaning {
        var meaning: EventMeaning = []
        var walk = JSONWalk(data)
        walk.members { walk, key in
            if key.equals("error") {
                meaning.insert(.error)
                walk.skipValue()
            } else if key.equals("candidates") {
                walk.elements { walk, position in
                    if position == 0 { meaning.formUnion(geminiCandidate(&walk)) } else { walk.skipValue() }
                }
            } else {
                walk.skipValue()
            }
        }
        return walk.finish() ? meaning : malformed(keeping: meaning)
    }

    /// The first candidate: text in a part of its content, a `finishReason`.
    private static func geminiCandidate(_ walk: inout JSONWalk) -> EventMeaning {
        var meaning: EventMeaning = []
        walk.members { walk, key in
            if key.equals("content") {
                walk.members { walk, key in
                    guard key.equals("parts") else { return walk.skipValue() }
                    walk.elements { walk, _ in
                        walk.members { walk, key in
                            if !key.equals("text") {
                                walk.skipValue()
                            } else if walk.nonEmptyString() {
                                meaning.insert(.token)
                            }
                        }
                    }
                }
            } else if key.equals("finishReason") {
                if walk.nonEmptyString() { meaning.insert(.end) }
            } else {
                walk.skipValue()
            }
        }
        return meaning
    }

    private static func ollamaLine(_ line: UnsafeRawBufferPointer) -> EventMeaning {
        var isError = false
        var done: Bool?
        var hasText = false
        var walk = JSONWalk(line)
        walk.members { walk, key in
            if key.equals("error") {
                isError = true
                walk.skipValue()
            } else if key.equals("done") {
                done = walk.boolean()
            } else if key.equals("message") {
                walk.members { walk, key in
                    if key.equals("content") { hasText = walk.nonEmptyString() } else { walk.skipValue() }
                }
            } else {
                walk.skipValue()
            }
        }
        guard walk.finish() else { return malformed(keeping: isError ? .error : []) }
        if isError { return .error }
        if done == true { return .end }
        return done == false && hasText ? .token : []
    }

    /// An OpenAI Realtime server event (one WebSocket text message): a token is
    /// `response.output_audio.delta` with a non-empty `delta`; the end `response.done` (an error
    /// too when its `response.status` is `failed`); an error `error`.
    static func realtimeEvent(_ data: UnsafeRawBufferPointer) -> EventMeaning {
        var type: UnsafeRawBufferPointer?
        var hasDelta = false
        var failed = false
        var walk = JSONWalk(data)
        walk.members { walk, key in
            if key.equals("type") {
                type = walk.string()
            } else if key.equals("delta") {
                hasDelta = walk.nonEmptyString()
            } else if key.equals("response") {
                walk.members { walk, key in
                    if key.equals("status"), let status = walk.string() { failed = status.equals("failed") } else { walk.skipValue() }
                }
            } else {
                walk.skipValue()
            }
        }
        guard walk.finish() else { return .malformed }
        guard let type else { return [] }
        if type.equals("response.output_audio.delta") { return hasDelta ? .token : [] }
        if type.equals("response.done") { return failed ? [.end, .error] : .end }
        return type.equals("error") ? .error : []
    }

    /// A malformed event: an error it announced still counts as one; text or an end does not.
    private static func malformed(keeping meaning: EventMeaning) -> EventMeaning {
        meaning.intersection(.error).union(.malformed)
    }
}
