import MockLLMCore
import MockLLMLoop
import MockLLMProviders
import MockLLMScript
import MockLLMSimulation

extension Application {
    /// The reply of a model that runs on a serving engine: the provider's reply, deferred
    /// until the engine admits the request (a stream's head then goes out, and each event with
    /// the token it carries) or finishes it (a complete reply); refused in the provider's words
    /// when the engine's waiting queue is full. A reply that is not a success (a scripted
    /// error, a fault's status) is not run on the engine.
    /// `answered` hears the status that goes out: the reply's once admitted, else the refusal's.
    func engineReply(_ reply: Reply, _ demand: EngineDemand, host: EngineHost, client: EngineClient, provider: ServedProvider,
                     requestID: String, answered: @escaping (Int) -> Void) -> Reply {
        let id = EngineHost.nextID()
        let link = ReplyLink()
        var events: EngineStreamEvents?
        var kept = reply
        var outputTokens = demand.outputTokens
        switch reply.body {
        case .stream(var source):
            let rendered = EngineStreamEvents(draining: &source)
            outputTokens = rendered.tokens
            events = rendered
            kept.body = .bytes(ByteBuffer(), delay: 0)
        case .bytes(let body, _):
            kept.body = .bytes(body, delay: 0)
        case .pushed, .deferred, .webSocket:
            answered(reply.status)
            return reply
        }
        let profile = host.profile
        // The prompt's token ids, hashed in blocks as vLLM hashes them (the adapter's name among
        // the keys), and carried to the engine when it publishes them in its KV-cache events.
        let tokens = !profile.prefixCaching ? []
            : demand.chatTemplate
            ? Tokenizer.encodeChat(demand.messages.map { ($0.role, $0.text) }, addGenerationPrompt: true, remembering: false)
            : Tokenizer.encode(demand.messages.map(\.text).joined(), remembering: false)
        let ticket = EngineTicket(
            id: id, link: link, events: events, reply: kept, answered: answered,
            refusal: provider.errorReply(provider.overloadRefusal(retryAfter: 1), requestID: requestID),
            tooLong: provider.errorReply(provider.contextLengthError(tokens: demand.promptTokens + outputTokens, limit: profile.kvCacheTokens),
                                         requestID: requestID))
        client.register(ticket)
        link.onCut = { [unowned client] in client.cancel(id, on: host) }
        host.submit(EngineHost.Submission(
            request: EngineRequest(id: id, promptTokens: max(1, demand.promptTokens), outputTokens: outputTokens,
                                   prefixBlocks: BlockHashes.chain(tokens, blockSize: profile.blockSize, extraKey: demand.adapter),
                                   priority: demand.priority),
            client: client, arrival: EventLoop.hrtime, model: demand.model, finishReason: demand.finishReason,
            adapter: demand.adapter, tokens: host.publishesEvents ? tokens : []))
        var deferred = Reply(status: reply.status, headers: reply.headers, body: .deferred(link), closeConnection: reply.closeConnection)
        deferred.trace = reply.trace
        return deferred
    }
}
