import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// A planned chat completion as OpenAI sends it, whichever way it goes out: the plan's tool
/// calls in the request's shape, each with an id, the usage, and why the reply finished.
struct OpenAIChatCompletion {
    var calls: [ToolCall]
    var usage: OpenAIUsage
    var finishReason: String

    /// - Parameter random: draws the ids of calls the script gave none.
    init(_ plan: ChatPlan, _ request: OpenAIChatRequest, random: inout SeededRandom) {
        calls = plan.toolCalls
        var completionTokens = plan.tokens
        if request.legacyFunctions && calls.count > 1 {
            // The legacy shape carries one call: the others are not sent, nor counted.
            for dropped in calls.dropFirst() {
                completionTokens -= TokenEstimator.count(dropped.name) + TokenEstimator.count(dropped.arguments)
            }
            calls = Array(calls.prefix(1))
        }
        for i in calls.indices where calls[i].id == nil {
            calls[i].id = random.alphanumericString(prefix: "call_", count: 24)
        }
        finishReason = switch plan.finish {
        case .maxTokens: "length"
        // A call forced by name ends with "stop", as the real API ends it.
        case .toolUse: request.legacyFunctions ? "function_call" : (request.toolOffer?.choice.isNamed == true ? "stop" : "tool_calls")
        default: "stop"
        }
        usage = OpenAIUsage(promptTokens: plan.promptTokens, completionTokens: completionTokens)
    }

    /// The `chat.completion.chunk` events, with the id `mock-<uuid>`, annotated by the front door.
    func stream(id uuid: RandomUUID, created: Int, _ plan: ChatPlan, _ request: OpenAIChatRequest,
                annotations: OpenAIAnnotations = .none, contentFilter: OpenAIContentFilterCut? = nil) -> OpenAIChatStream {
        var id = ByteBuffer(capacity: 41)
        id.append(ascii: "mock-")
        uuid.append(to: &id)
        return OpenAIChatStream(
            id: id, created: created, model: request.model, text: plan.text, calls: calls,
            legacyFunctions: request.legacyFunctions, chunking: plan.pacing.chunking,
            finishReason: finishReason, usage: usage, includeUsage: request.includeUsage, schedule: plan.schedule,
            annotations: annotations, contentFilter: contentFilter)
    }

    /// The `chat.completion` object: `{"id":"mock-<uuid>","object":"chat.completion","created":..,`
    /// `"model":..,"choices":[{"index":0,"message":{..},"finish_reason":..}],"usage":{..}}`, with
    /// the front door's annotations first in the object and in the choice.
    func json(id uuid: RandomUUID, created: Int, _ plan: ChatPlan, _ request: OpenAIChatRequest,
              annotations: OpenAIAnnotations = .none) -> ByteBuffer {
        var out = ByteBuffer(capacity: 320 + request.model.utf8.count + plan.text.utf8.count * 2
                             + annotations.object.count + annotations.choice.count)
        out.append(UInt8(ascii: "{"))
        out.append(contentsOf: annotations.object)
        out.append(ascii: "\"id\":\"mock-")
        uuid.append(to: &out)
        out.append(ascii: "\",\"object\":\"chat.completion\",\"created\":")
        out.append(decimal: created)
        out.append(ascii: ",\"model\":")
        out.append(jsonString: request.model)
        out.append(ascii: ",\"choices\":[{")
        out.append(contentsOf: annotations.choice)
        out.append(ascii: "\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":")
        if calls.isEmpty {
            out.append(jsonString: plan.text)
        } else {
            out.append(jsonStringOrNull: plan.text.isEmpty ? nil : plan.text)
            OpenAIToolCalls.write(calls, legacy: request.legacyFunctions, into: &out)
            out.append(ascii: ",\"refusal\":null")
        }
        out.append(ascii: "},\"finish_reason\":")
        out.append(jsonString: finishReason)
        out.append(ascii: "}],\"usage\":")
        usage.write(into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
