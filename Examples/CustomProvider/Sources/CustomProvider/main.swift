import MockLLM
import MockLLMCommandLine

/// The original mockllm's example provider: `POST /v1/mycompany/chat` with `{"prompt": ...}`
/// (or chat `messages`) answers `{"response": ...}` from the script, and streams
/// `data: {"delta": ...}` events when the request says `"stream": true`.
struct MyCompany: CustomProvider {
    static let name = "mycompany"
    static let description = "MyCompany LLM Provider"
    static let models = ["mycompany-model-1", "mycompany-model-2"]
    static let endpoints = [CustomEndpoint("POST", "/v1/mycompany/chat", handlerName: "handle_chat_completion", handler: chat)]

    static func chat(_ request: CustomRequest, _ session: inout CustomSession) throws(CustomError) -> Reply {
        let body = try request.json()
        let prompt = body.objectValue?["prompt"]?.stringValue
            ?? body.objectValue?["messages"]?.arrayValue?.last?.objectValue?["content"]?.stringValue
        guard let prompt else { throw CustomError(status: 400, message: "Send a 'prompt' or 'messages'.") }
        let answer = try session.answer(prompt: prompt, model: body.objectValue?["model"]?.stringValue ?? "mycompany-model-1",
                                        headers: request)
        if body.objectValue?["stream"] == .bool(true) {
            return answer.stream(event: { chunk, _ in
                var out = ByteBuffer("data: ")
                out.append(json: .object(["delta": .string(chunk)]))
                out.append(ascii: "\n\n")
                return out.description
            }, end: "data: [DONE]\n\n")
        }
        return answer.reply(json: .object(["response": .string(answer.text)]))
    }
}

MockLLMCommandLine.main(adding: [MyCompany.self])
