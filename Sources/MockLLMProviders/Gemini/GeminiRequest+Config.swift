import MockLLMCore
import MockLLMScript

/// `generationConfig`, `tools` and `toolConfig` of a Gemini request.
extension GeminiRequest {
    mutating func readGenerationConfig(_ config: RequestFields) throws(FieldProblem) {
        // 0 is the proto's "unset": the model's default.
        if let tokens = try config.integer(config.googleKey("maxOutputTokens", "max_output_tokens")), tokens != 0 {
            guard tokens > 0 else {
                throw .invalidValue(
                    path: "generation_config.max_output_tokens",
                    message: "* GenerateContentRequest.generation_config.max_output_tokens: max_output_tokens must be positive.\n", code: "")
            }
            maxOutputTokens = tokens
        }
        let stopKey = config.googleKey("stopSequences", "stop_sequences")
        for (i, stop) in (try config.array(stopKey) ?? []).enumerated() {
            guard let text = stop.string else {
                throw .wrongType(path: "\(config.childPath(stopKey))[\(i)]", expected: "a string", found: stop.kindDescription)
            }
            stopSequences.append(text)
        }
        if let count = try config.integer(config.googleKey("candidateCount", "candidate_count")), count != 0 {
            guard (1...8).contains(count) else {
                throw .invalidValue(
                    path: "generation_config.candidate_count",
                    message: "Unable to submit request because candidateCount must be between 1 and 8 but the entered value was \(count). "
                        + "Update the candidateCount value and try again.", code: "")
            }
            candidateCount = count
        }
        _ = try config.number("temperature")
        _ = try config.number(config.googleKey("topP", "top_p"))
        _ = try config.integer(config.googleKey("topK", "top_k"))
        _ = try config.integer("seed")
        let mimeType = try config.string(config.googleKey("responseMimeType", "response_mime_type"))
        let jsonSchema = config.value(config.googleKey("responseJsonSchema", "response_json_schema"))
        let schema = try config.object(config.googleKey("responseSchema", "response_schema"))
        if jsonSchema != nil && schema != nil {
            throw .invalidValue(
                path: "generation_config",
                message: "* GenerateContentRequest.generation_config: response_schema and response_json_schema cannot both be set.\n", code: "")
        }
        if let jsonSchema {
            responseFormat = .jsonSchema(jsonSchema.materialize())
        } else if let schema {
            responseFormat = .jsonSchema(GeminiSchema.jsonSchema(schema.node.materialize()))
        } else if mimeType == "application/json" {
            responseFormat = .jsonObject
        }
    }

    /// `tools`: each a `functionDeclarations` list (or a built-in tool such as `googleSearch`,
    /// accepted and not offered to automatic calls); `toolConfig.functionCallingConfig` decides
    /// what may be called (`ANY` with one allowed name: that function).
    mutating func readTools(_ body: RequestFields) throws(FieldProblem) {
        let list = try body.array("tools") ?? []
        hasTools = !list.isEmpty
        var declared: [ToolOffer.Tool] = []
        for (i, item) in list.enumerated() {
            let tool = RequestFields(item, path: "tools", index: i)
            guard item.isObject else { throw .wrongType(path: tool.path, expected: "an object", found: item.kindDescription) }
            let key = tool.googleKey("functionDeclarations", "function_declarations")
            for (j, raw) in (try tool.array(key) ?? []).enumerated() {
                let function = RequestFields(raw, path: tool.childPath(key), index: j)
                guard raw.isObject else { throw .wrongType(path: function.path, expected: "an object", found: raw.kindDescription) }
                let name = try function.string("name", required: true)!
                let schema: JSONValue
                if let json = function.value(function.googleKey("parametersJsonSchema", "parameters_json_schema")) {
                    schema = json.materialize()
                } else if let openAPI = try function.object("parameters") {
                    schema = GeminiSchema.jsonSchema(openAPI.node.materialize())
                } else {
                    schema = .object(JSONObject())
                }
                declared.append(ToolOffer.Tool(name: name, description: try function.string("description") ?? "", schema: schema))
            }
        }
        var choice = ToolOffer.Choice.auto
        if let config = try body.object(body.googleKey("toolConfig", "tool_config")),
           let calling = try config.object(config.googleKey("functionCallingConfig", "function_calling_config")) {
            let allowedKey = calling.googleKey("allowedFunctionNames", "allowed_function_names")
            var allowed: [String] = []
            for (i, name) in (try calling.array(allowedKey) ?? []).enumerated() {
                guard let text = name.string else {
                    throw .wrongType(path: "\(calling.childPath(allowedKey))[\(i)]", expected: "a string", found: name.kindDescription)
                }
                allowed.append(text)
            }
            switch try calling.string("mode") ?? "MODE_UNSPECIFIED" {
            case "MODE_UNSPECIFIED", "AUTO", "VALIDATED": choice = .auto
            case "NONE": choice = .none
            case "ANY":
                if !allowed.isEmpty { declared.removeAll { !allowed.contains($0.name) } }
                choice = allowed.count == 1 && !declared.isEmpty ? .named(allowed[0]) : .required
            case let mode:
                let path = GeminiErrors.protoPath(calling.childPath("mode"))
                throw .invalidValue(
                    path: path,
                    message: "Invalid value at '\(path)' (type.googleapis.com/google.ai.generativelanguage.v1beta.FunctionCallingConfig.Mode), \"\(mode)\"",
                    code: "")
            }
        }
        toolOffer = declared.isEmpty ? nil : ToolOffer(tools: declared, choice: choice)
    }
}

/// Gemini's `Schema` (an OpenAPI 3.0 subset: `type: "OBJECT"`, `nullable`, `propertyOrdering`,
/// proto field names such as `any_of`) as the JSON Schema that `SchemaInstance` reads.
enum GeminiSchema {
    static func jsonSchema(_ schema: JSONValue) -> JSONValue {
        guard case .object(let object) = schema else { return schema }
        var members: [JSONObject.Member] = []
        var ordering: [String] = []
        var nullable = false
        for member in object.members {
            let key = camelCase(member.key)
            switch key {
            case "type":
                guard let type = member.value.stringValue else { members.append(.init(key: key, value: member.value)); continue }
                if type != "TYPE_UNSPECIFIED" { members.append(.init(key: key, value: .string(type.lowercased()))) }
            case "properties":
                let properties = member.value.objectValue?.members.map { JSONObject.Member(key: $0.key, value: jsonSchema($0.value)) }
                members.append(.init(key: key, value: properties.map { .object(JSONObject($0)) } ?? member.value))
            case "items":
                members.append(.init(key: key, value: jsonSchema(member.value)))
            case "anyOf":
                members.append(.init(key: key, value: member.value.arrayValue.map { .array($0.map(jsonSchema)) } ?? member.value))
            case "propertyOrdering":
                ordering = member.value.arrayValue?.compactMap(\.stringValue) ?? []
            case "nullable":
                nullable = member.value == .bool(true)
            default:
                members.append(.init(key: key, value: member.value))
            }
        }
        if !ordering.isEmpty, let i = members.firstIndex(where: { $0.key == "properties" }), var properties = members[i].value.objectValue {
            var ordered: [JSONObject.Member] = []
            for name in ordering where !ordered.contains(where: { $0.key == name }) {
                if let member = properties.members.first(where: { $0.key == name }) { ordered.append(member) }
            }
            properties.members = ordered + properties.members.filter { member in !ordered.contains { $0.key == member.key } }
            members[i].value = .object(properties)
        }
        if nullable, let i = members.firstIndex(where: { $0.key == "type" }), let type = members[i].value.stringValue {
            members[i].value = .array([.string(type), .string("null")])
        }
        return .object(JSONObject(members))
    }

    /// `min_items` → `minItems`; a camelCase key is returned as it is.
    static func camelCase(_ key: String) -> String {
        guard key.contains("_") else { return key }
        var out = ""
        var upper = false
        for c in key {
            if c == "_" {
                upper = !out.isEmpty
            } else {
                out.append(upper ? Character(c.uppercased()) : c)
                upper = false
            }
        }
        return out
    }
}
