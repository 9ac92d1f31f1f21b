import MockLLMCore

/// What every event of an OpenAI chunk stream (chat's `chat.completion.chunk`, legacy
/// completions' `text_completion`) shares: the `data: {"id":..,"object":..,"created":..,
/// "model":..,"choices":[` head, the close that adds `"usage":null` when
/// `stream_options.include_usage` asked for usage, the usage event and `data: [DONE]`.
struct OpenAIChunkFraming {
    /// `data: {"id":"...","object":"...","created":N,"model":"...","choices":[`
    private let prefix: ByteBuffer
    let includeUsage: Bool
    private let usage: OpenAIUsage

    /// - Parameter id: the stream's id, plain ASCII, the same on every event.
    init(id: ByteBuffer, object: StaticString, created: Int, model: String, usage: OpenAIUsage, includeUsage: Bool) {
        var prefix = ByteBuffer()
        prefix.append(ascii: "data: {\"id\":\"")
        prefix.append(id)
        prefix.append(ascii: "\",\"object\":\"")
        prefix.append(ascii: object)
        prefix.append(ascii: "\",\"created\":")
        prefix.append(decimal: created)
        prefix.append(ascii: ",\"model\":")
        prefix.append(jsonString: model)
        prefix.append(ascii: ",\"choices\":[")
        self.prefix = prefix
        self.usage = usage
        self.includeUsage = includeUsage
    }

    /// Starts an event, up to its first choice.
    func open(_ out: inout ByteBuffer) {
        out.append(prefix)
    }

    /// Ends an event after its `choices` array; with include_usage every event before the last
    /// carries `"usage":null`.
    func close(_ out: inout ByteBuffer) {
        if includeUsage { out.append(ascii: ",\"usage\":null") }
        out.append(ascii: "}\n\n")
    }

    /// The usage event: empty `choices`, then the usage.
    func writeUsage(into out: inout ByteBuffer) {
        out.append(prefix)
        out.append(ascii: "],\"usage\":")
        usage.write(into: &out)
        out.append(ascii: "}\n\n")
    }

    static func writeDone(into out: inout ByteBuffer) {
        out.append(ascii: "data: [DONE]\n\n")
    }
}
