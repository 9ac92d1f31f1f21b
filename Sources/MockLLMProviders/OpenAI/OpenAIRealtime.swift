import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// OpenAI's Realtime API over WebSocket: `GET /v1/realtime?model=...` upgraded to a WebSocket
/// whose messages are JSON events (`OpenAIRealtimeSession`). The openai SDKs' `realtime.connect`
/// sends the model in the query and the key as a bearer token, which the server checks like
/// any request's (`--api-key`); `OpenAI-Beta: realtime=v1` (the SDKs' `beta.realtime`) gets the
/// beta's event names and session shape.
enum OpenAIRealtime {
    static let endpoints = [
        Endpoint(method: "GET", path: "/v1/realtime", handlerName: "realtime_session", handler: realtime)
    ]

    static func realtime(_ http: HTTPRequest, _ context: inout ProviderContext) throws(Refusal) -> Reply {
        let query = QueryParameters(http.query)
        guard let model = query["model"], !model.isEmpty else {
            throw OpenAIChat.refusal(.invalidRequest("Missing required parameter: 'model'.", param: "model", code: "missing_required_parameter"),
                                     requestID: context.requestID)
        }
        try OpenAIChat.checkModel(model: model, maxTokens: nil, context: context)
        let beta = http.headers.values(of: "openai-beta").contains { $0.contains("realtime=v1") }
        // Browsers cannot set headers: they offer `realtime` (and the key) as subprotocols.
        let offered = http.headers.values(of: "sec-websocket-protocol").flatMap { $0.split(separator: ",") }
        let subprotocol = offered.contains { $0.trimmingCharacters(in: " \t") == "realtime" } ? "realtime" : nil
        let lifetime: SessionLifetime?
        do {
            lifetime = try SessionLifetime.resolve(http.headers, script: context.script)
        } catch {
            throw OpenAIChat.refusal(.invalidRequest(error.message), requestID: context.requestID)
        }
        let session = OpenAIRealtimeSession(model: model, beta: beta, context: context, headers: http.headers, endpoint: http.path,
                                            lifetime: lifetime)
        var headers = HTTPFields()
        headers.append(name: OpenAIErrors.requestIDHeader, value: context.requestID)
        switch WebSocketHandshake.reply(to: http, subprotocol: subprotocol, headers: headers, session: { session }) {
        case .success(let reply):
            return reply
        case .failure(let refusal):
            var error = APIError(status: refusal.status, kind: .invalidRequest, message: refusal.message)
            if refusal == .version { error.headers.append(name: "sec-websocket-version", value: "13") }
            if refusal == .notUpgrade { error.headers.append(name: "upgrade", value: "websocket") }
            throw OpenAIChat.refusal(error, requestID: context.requestID)
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return s
    }
}
