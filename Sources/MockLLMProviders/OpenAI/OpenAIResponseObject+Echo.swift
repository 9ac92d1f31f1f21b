import MockLLMCore

/// The request fields a response object repeats, in the real API's order and defaults
/// (`temperature` and `top_p` 1.0, `truncation` "disabled", `tool_choice` "auto", ...).
extension OpenAIResponseObject.Echo {
    init(_ request: OpenAIResponsesRequest) {
        let echo = request.echo
        background = echo.background
        beforeOutput.append(ascii: "\"instructions\":")
        beforeOutput.append(jsonStringOrNull: request.instructions)
        beforeOutput.append(ascii: ",\"max_output_tokens\":")
        Self.append(request.maxOutputTokens, to: &beforeOutput)
        beforeOutput.append(ascii: ",\"max_tool_calls\":")
        Self.append(echo.maxToolCalls, to: &beforeOutput)
        beforeOutput.append(ascii: ",\"model\":")
        beforeOutput.append(jsonString: request.model)

        var out = ByteBuffer(capacity: 512)
        out.append(ascii: echo.parallelToolCalls ? "\"parallel_tool_calls\":true" : "\"parallel_tool_calls\":false")
        out.append(ascii: ",\"previous_response_id\":")
        out.append(jsonStringOrNull: request.previousResponseID)
        out.append(ascii: ",\"prompt_cache_key\":")
        out.append(jsonStringOrNull: echo.promptCacheKey)
        out.append(ascii: ",\"prompt_cache_retention\":")
        out.append(jsonStringOrNull: echo.promptCacheRetention)
        out.append(ascii: ",\"reasoning\":{\"effort\":")
        out.append(jsonStringOrNull: echo.reasoningEffort)
        out.append(ascii: ",\"summary\":")
        out.append(jsonStringOrNull: echo.reasoningSummary)
        out.append(ascii: "},\"safety_identifier\":")
        out.append(jsonStringOrNull: echo.safetyIdentifier)
        out.append(ascii: ",\"service_tier\":")
        out.append(jsonString: echo.serviceTier)
        out.append(ascii: request.store ? ",\"store\":true" : ",\"store\":false")
        out.append(ascii: ",\"temperature\":")
        OpenAIResponsesWriter.writeDecimal(echo.temperature, into: &out)
        out.append(ascii: ",\"text\":{\"format\":")
        Self.append(request.format, to: &out)
        out.append(ascii: ",\"verbosity\":")
        out.append(jsonString: request.verbosity)
        out.append(ascii: "},\"tool_choice\":")
        out.append(json: request.toolChoiceEcho)
        out.append(ascii: ",\"tools\":")
        out.append(json: .array(request.tools))
        out.append(ascii: ",\"top_logprobs\":")
        out.append(decimal: echo.topLogprobs)
        out.append(ascii: ",\"top_p\":")
        OpenAIResponsesWriter.writeDecimal(echo.topP, into: &out)
        out.append(ascii: ",\"truncation\":")
        out.append(jsonString: echo.truncation)
        afterOutput = out

        afterUsage.append(ascii: "\"user\":")
        afterUsage.append(jsonStringOrNull: echo.user)
        afterUsage.append(ascii: ",\"metadata\":")
        afterUsage.append(json: echo.metadata)
    }

    private static func append(_ n: Int?, to out: inout ByteBuffer) {
        if let n { out.append(decimal: n) } else { out.append(ascii: "null") }
    }

    /// `{"type":"text"}`, `{"type":"json_object"}`, or `{"type":"json_schema","description","name","schema","strict"}`.
    private static func append(_ format: OpenAIResponsesRequest.TextFormat, to out: inout ByteBuffer) {
        switch format {
        case .text:
            out.append(ascii: "{\"type\":\"text\"}")
        case .jsonObject:
            out.append(ascii: "{\"type\":\"json_object\"}")
        case .jsonSchema(let name, let schema, let description, let strict):
            out.append(ascii: "{\"type\":\"json_schema\",\"description\":")
            out.append(jsonStringOrNull: description)
            out.append(ascii: ",\"name\":")
            out.append(jsonString: name)
            out.append(ascii: ",\"schema\":")
            out.append(json: schema)
            out.append(ascii: ",\"strict\":")
            out.append(ascii: strict == nil ? "null" : strict! ? "true" : "false")
            out.append(UInt8(ascii: "}"))
        }
    }
}
