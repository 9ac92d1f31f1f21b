import MockLLMCore
import MockLLMScript

/// The fault a reply gets (docs/FAULTS.md), and the context window every request is held to.
extension ChatPlan {
    /// Refuses the request when its fault is an HTTP error or a context-length refusal, or when
    /// its prompt is longer than the model's context window; returns its stream fault, if any.
    static func applyFault(
        _ answer: ScriptAnswer, miss: String?, promptTokens: Int, input: MatchInput, clientKey: String, script: Script,
        scope: TestScope? = nil
    ) throws(Obstacle) -> (fault: StreamFault, name: String)? {
        let applied: Script.AppliedFault?
        do {
            applied = try script.fault(for: input, key: clientKey, rule: answer.fault, scope: scope)
        } catch {
            throw .invalidOverride(error.message)
        }
        let window = script.models.resolve(input.model)?.contextWindow
        var headers = HTTPFields()
        appendDiagnostics(rule: answer.source, miss: miss, to: &headers)
        if let applied { headers.append(name: "x-mockllm-fault", value: applied.name.headerSafe) }
        switch applied?.action {
        case .error(let error)?:
            var api = APIError(error)
            for field in headers { api.headers.append(name: field.name, value: field.value) }
            throw .scripted(api)
        case .contextLength?:
            let limit = window ?? 128_000
            throw .contextLength(tokens: max(promptTokens, limit + 1), limit: limit, headers: headers)
        case .stream(let fault)?:
            if let window, promptTokens > window { throw .contextLength(tokens: promptTokens, limit: window, headers: headers) }
            return (fault, applied!.name)
        case nil:
            if let window, promptTokens > window { throw .contextLength(tokens: promptTokens, limit: window, headers: headers) }
            return nil
        }
    }

    /// The 200 reply streaming `stream`, wrapped in the plan's stream fault when it has one that
    /// cuts (`errorEvent` and `malformedEvent`: the provider's own bytes for those faults).
    /// - Parameter filtersContent: `stream` ends itself as the content filter stops it (OpenAI's
    ///   chat stream); otherwise a `content_filter` cut is the protocol's error event of that type.
    func streamReply(_ stream: some EventSource, headers: HTTPFields,
                     errorEvent: (StreamFault) -> ByteBuffer, malformedEvent: ByteBuffer, filtersContent: Bool = false) -> Reply {
        guard var fault = streamFault, let cut = fault.cut else { return Reply(status: 200, headers: headers, body: .stream(stream)) }
        if case .contentFilter(let category) = cut {
            if filtersContent { return Reply(status: 200, headers: headers, body: .stream(stream)) }
            fault.cut = .error(type: "content_filter", message: Self.contentFilterMessage(category))
        }
        let faulty = FaultyStream(stream, fault: fault, errorEvent: errorEvent(fault), malformedEvent: malformedEvent)
        return Reply(status: 200, headers: headers, body: .stream(faulty))
    }

    /// The output category a `content_filter` stream fault stops the stream for, if it has one.
    var contentFilterCut: (after: Int, category: String)? {
        guard let fault = streamFault, case .contentFilter(let category)? = fault.cut else { return nil }
        return (fault.after, category)
    }

    /// The error event's message where a protocol has no filtered ending of its own.
    static func contentFilterMessage(_ category: String) -> String {
        "The response was filtered due to the output triggering the content management policy (\(category))."
    }
}
