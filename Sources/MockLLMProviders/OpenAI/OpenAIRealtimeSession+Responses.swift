import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// A realtime session's responses: the turn asked of the script, then its plan's steps as
/// server events (output items, content parts, deltas), and the response's end.
extension OpenAIRealtimeSession {
    /// The conversation as a live turn.
    func turn(messagesFrom items: [Item]) -> LiveTurn {
        var messages: [ChatMessage] = []
        for item in items {
            switch item.kind {
            case .message(let role, _):
                messages.append(ChatMessage(role: role, text: item.text))
            case .functionCall(let callID, let name, _):
                if let last = messages.last, last.role == "assistant" {
                    messages[messages.count - 1].toolCalls.append((callID, name))
                } else {
                    messages.append(ChatMessage(role: "assistant", text: "", toolCalls: [(callID, name)]))
                }
            case .functionCallOutput(let callID, let output):
                messages.append(ChatMessage(role: "tool", text: output, toolResults: [ChatMessage.ToolResult(callID: callID, text: output)]))
            }
        }
        let lastUser = items.last { if case .message("user", _) = $0.kind { true } else { false } }
        return LiveTurn(model: config.model, instructions: config.instructions, messages: messages,
                        audioMilliseconds: lastUser?.audioMilliseconds, tools: config.toolOffer, headers: headers,
                        endpoint: endpoint, provider: OpenAIChat.metadata.name, maxTokens: config.maxOutputTokens)
    }

    /// `response.create` (its `response` object, or nil), or a turn server VAD detected.
    func startResponse(_ params: RequestFields?, now: UInt64, into out: inout [WebSocketOutput]) throws(FieldProblem) {
        var liveTurn = turn(messagesFrom: items)
        var modalities = config.outputModalities
        var inConversation = true
        var metadata: JSONValue?
        if let params {
            var overrides = config
            try overrides.update(from: params, beta: beta)
            if let list = try params.array(beta ? "modalities" : "output_modalities") {
                modalities = try OpenAIRealtimeConfig.modalities(list, params.childPath(beta ? "modalities" : "output_modalities"), allowBoth: beta)
            }
            liveTurn.instructions = overrides.instructions
            liveTurn.tools = overrides.toolOffer
            liveTurn.maxTokens = overrides.maxOutputTokens
            if let conversation = try params.string("conversation") {
                guard conversation == "auto" || conversation == "none" else {
                    throw .invalidValue(path: params.childPath("conversation"),
                                        message: "Invalid value: '\(conversation)'. Supported values are: 'auto' and 'none'.", code: "invalid_value")
                }
                inConversation = conversation == "auto"
            }
            metadata = params.value("metadata").map { $0.materialize() }
            if let input = try params.array("input") {
                // An out-of-band response's own context: items, or references to the conversation's.
                var context: [Item] = []
                for (i, node) in input.enumerated() {
                    let fields = RequestFields(node, path: params.childPath("input"), index: i)
                    guard node.isObject else { throw .wrongType(path: fields.path, expected: "an object", found: node.kindDescription) }
                    if try fields.string("type") == "item_reference" {
                        let id = try fields.string("id", required: true)!
                        guard let item = items.first(where: { $0.id == id }) else {
                            throw .invalidValue(path: fields.childPath("id"), message: "Item with item_id '\(id)' not found.", code: "item_not_found")
                        }
                        context.append(item)
                    } else {
                        context.append(try item(from: fields, before: context))
                    }
                }
                let base = liveTurn
                liveTurn = turn(messagesFrom: context)
                (liveTurn.instructions, liveTurn.tools, liveTurn.maxTokens) = (base.instructions, base.tools, base.maxTokens)
            }
        }
        idleDeadline = nil
        let speaks = modalities.contains("audio")
        liveTurn.speech = speaks ? config.outputFormat : nil
        context.monotonic = now
        var r: Response
        do {
            let plan = try liveTurn.plan(context: &context, chunkMilliseconds: Self.chunkMilliseconds)
            r = Response(id: newID("resp_"), plan: plan, start: now, inConversation: inConversation, modalities: modalities,
                         maxTokens: liveTurn.maxTokens, metadata: metadata)
            r.fault = plan.chat.streamFault
        } catch {
            let api = error.apiError(quotaRefusal: { OpenAIChat.quotaRefusal($0, now: context.now) },
                                     contextLength: OpenAIChat.contextLengthError(tokens:limit:))
            let failed = Response(
                id: newID("resp_"), plan: LivePlan(ChatPlan.nothing, speech: nil, chunkMilliseconds: Self.chunkMilliseconds), start: now,
                inConversation: inConversation, modalities: modalities, maxTokens: liveTurn.maxTokens, metadata: metadata)
            response = failed
            send("response.created", into: &out) { body in writeResponse(failed, status: "in_progress", into: &body) }
            return finish(status: "failed", reason: nil, error: api, into: &out)
        }
        response = r
        send("response.created", into: &out) { body in writeResponse(r, status: "in_progress", into: &body) }
        if !r.plan.text.isEmpty || r.plan.toolCalls.isEmpty { openMessage(&r, into: &out) }
        response = r
        if r.plan.steps.isEmpty || r.plan.steps[0].at == 0 { due(now: now, into: &out) }
    }

    func openMessage(_ r: inout Response, into out: inout [WebSocketOutput]) {
        let spoken = r.plan.audio != nil
        var item = Item(id: newID("item_"), kind: .message(role: "assistant", content: spoken ? "output_audio" : "output_text"))
        item.status = "in_progress"
        item.speech = r.plan.audio
        r.output.append(item)
        r.openMessage = r.output.count - 1
        outputItemAdded(item, r, into: &out)
        send("response.content_part.added", into: &out) { body in
            writeContentRef(r, item.id, into: &body)
            body.append(ascii: spoken ? ",\"part\":{\"type\":\"audio\",\"transcript\":\"\"}" : ",\"part\":{\"type\":\"text\",\"text\":\"\"}")
        }
    }

    func outputItemAdded(_ item: Item, _ r: Response, into out: inout [WebSocketOutput]) {
        send("response.output_item.added", into: &out) { body in
            writeResponseRef(r, outputIndex: r.output.count - 1, into: &body)
            body.append(ascii: ",\"item\":")
            write(item, into: &body)
        }
        if r.inConversation {
            let previous = items.last?.id
            items.append(item)
            itemEvent(beta ? "conversation.item.created" : "conversation.item.added", item, previous: previous, into: &out)
        }
    }

    func emit(_ step: LivePlan.Step, _ r: inout Response, into out: inout [WebSocketOutput]) {
        switch step {
        case .text(let piece):
            guard let index = r.openMessage else { return }
            r.output[index].text += piece
            let id = r.output[index].id
            send(beta ? "response.text.delta" : "response.output_text.delta", into: &out) { body in
                writeContentRef(r, id, into: &body)
                body.append(ascii: ",\"delta\":")
                body.append(jsonString: piece)
            }
        case .audio(let samples, let piece):
            guard let index = r.openMessage, let audio = r.plan.audio else { return }
            let id = r.output[index].id
            send(beta ? "response.audio.delta" : "response.output_audio.delta", into: &out) { body in
                writeContentRef(r, id, into: &body)
                body.append(ascii: ",\"delta\":\"")
                audio.appendBase64(samples: samples, to: &body)
                body.append(ascii: "\"")
            }
            guard !piece.isEmpty else { return }
            r.output[index].text += piece
            send(beta ? "response.audio_transcript.delta" : "response.output_audio_transcript.delta", into: &out) { body in
                writeContentRef(r, id, into: &body)
                body.append(ascii: ",\"delta\":")
                body.append(jsonString: piece)
            }
        case .toolCall(let index):
            closeMessage(&r, status: "completed", into: &out)
            let call = r.plan.toolCalls[index]
            let callID = call.id ?? newID("call_")
            var item = Item(id: newID("item_"), kind: .functionCall(callID: callID, name: call.name, arguments: ""))
            item.status = "in_progress"
            r.output.append(item)
            outputItemAdded(item, r, into: &out)
            func writeCallRef(_ body: inout ByteBuffer) {
                writeResponseRef(r, outputIndex: r.output.count - 1, into: &body)
                body.append(ascii: ",\"item_id\":")
                body.append(jsonString: item.id)
                body.append(ascii: ",\"call_id\":")
                body.append(jsonString: callID)
            }
            send("response.function_call_arguments.delta", into: &out) { body in
                writeCallRef(&body)
                body.append(ascii: ",\"delta\":")
                body.append(jsonString: call.arguments)
            }
            send("response.function_call_arguments.done", into: &out) { body in
                writeCallRef(&body)
                body.append(ascii: ",\"name\":")
                body.append(jsonString: call.name)
                body.append(ascii: ",\"arguments\":")
                body.append(jsonString: call.arguments)
            }
            item.kind = .functionCall(callID: callID, name: call.name, arguments: call.arguments)
            item.status = "completed"
            r.output[r.output.count - 1] = item
            itemDone(item, outputIndex: r.output.count - 1, r, into: &out)
        }
    }

    /// The open assistant message's closing events.
    func closeMessage(_ r: inout Response, status: String, into out: inout [WebSocketOutput]) {
        guard let index = r.openMessage else { return }
        r.openMessage = nil
        r.output[index].status = status
        let item = r.output[index]
        if status == "completed" {
            let spoken = item.speech != nil
            if spoken {
                send(beta ? "response.audio.done" : "response.output_audio.done", into: &out) { body in writeContentRef(r, item.id, into: &body) }
                send(beta ? "response.audio_transcript.done" : "response.output_audio_transcript.done", into: &out) { body in
                    writeContentRef(r, item.id, into: &body)
                    body.append(ascii: ",\"transcript\":")
                    body.append(jsonString: item.text)
                }
            } else {
                send(beta ? "response.text.done" : "response.output_text.done", into: &out) { body in
                    writeContentRef(r, item.id, into: &body)
                    body.append(ascii: ",\"text\":")
                    body.append(jsonString: item.text)
                }
            }
            send("response.content_part.done", into: &out) { body in
                writeContentRef(r, item.id, into: &body)
                body.append(ascii: spoken ? ",\"part\":{\"type\":\"audio\",\"transcript\":" : ",\"part\":{\"type\":\"text\",\"text\":")
                body.append(jsonString: item.text)
                body.append(ascii: "}")
            }
        }
        itemDone(item, outputIndex: index, r, into: &out)
    }

    func itemDone(_ item: Item, outputIndex: Int, _ r: Response, into out: inout [WebSocketOutput]) {
        send("response.output_item.done", into: &out) { body in
            writeResponseRef(r, outputIndex: outputIndex, into: &body)
            body.append(ascii: ",\"item\":")
            write(item, into: &body)
        }
        guard r.inConversation, let index = items.firstIndex(where: { $0.id == item.id }) else { return }
        items[index] = item
        if !beta {
            let previous = index > 0 ? items[index - 1].id : nil
            itemEvent("conversation.item.done", item, previous: previous, into: &out)
        }
    }

    /// Ends the response: its items closed, `response.done`, then `rate_limits.updated`.
    func finish(status: String, reason: String?, error: APIError?, into out: inout [WebSocketOutput]) {
        guard var r = response else { return }
        closeMessage(&r, status: status == "completed" ? "completed" : "incomplete", into: &out)
        response = nil
        // The idle wait starts once the reply's audio has played: its last chunk's start plus one.
        if let idle = config.turnDetection?.idleTimeoutMilliseconds, status == "completed" {
            let played = r.start &+ r.plan.duration &+ (r.plan.audio == nil ? 0 : UInt64(Self.chunkMilliseconds) * 1_000_000)
            idleDeadline = played &+ UInt64(idle) * 1_000_000
            idleFrom = vad.milliseconds(atSample: vad.samples)
        }
        let usage = r.plan.chat.tokens
        tokensUsed += r.plan.chat.promptTokens + usage
        send("response.done", into: &out) { body in
            writeResponse(r, status: status, reason: reason, error: error, into: &body)
        }
        // The script's quota where it counts this client; else generous limits, the tokens going
        // down with what the session used.
        let quota = r.plan.chat.quota
        let reset = quota.map { Double($0.resetNanoseconds) / 1e9 } ?? 60
        send("rate_limits.updated", into: &out) { body in
            body.append(ascii: ",\"rate_limits\":[{\"name\":\"requests\",\"limit\":")
            body.append(decimal: quota?.requestLimit ?? 10_000)
            body.append(ascii: ",\"remaining\":")
            body.append(decimal: quota.map { $0.requestLimit == nil ? 10_000 : $0.requestsRemaining } ?? 9_999)
            body.append(ascii: ",\"reset_seconds\":")
            body.append(json: .number(reset))
            body.append(ascii: "},{\"name\":\"tokens\",\"limit\":")
            body.append(decimal: quota?.tokenLimit ?? 2_000_000)
            body.append(ascii: ",\"remaining\":")
            if let quota, quota.tokenLimit != nil { body.append(decimal: quota.tokensRemaining) } else { body.append(decimal: max(0, 2_000_000 - tokensUsed)) }
            body.append(ascii: ",\"reset_seconds\":")
            body.append(json: .number(reset))
            body.append(ascii: "}]")
        }
    }
}
