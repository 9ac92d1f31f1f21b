import MockLLMCore
import MockLLMScript

/// The members `/api/chat` and `/api/generate` share, checked as Ollama's server checks them:
/// `options` (typed per option, unknown ones ignored), `format`, `keep_alive`, `think`,
/// `top_logprobs`. Each problem is worded as the server words it.
struct OllamaOptions {
    /// `options.num_predict` when positive (-1 is "no limit", -2 "fill the context", 0 no limit).
    var maxTokens: Int?
    /// `options.stop`.
    var stop: [String] = []
    /// `options.num_ctx` when positive: the context window asked for (`/api/embed` truncates to it).
    var contextLength: Int?

    private enum Kind {
        case integer, float, boolean, strings
    }

    /// The typed options of Ollama's `api.Options` (`FromMap` refuses the wrong JSON type).
    private static let kinds: [String: Kind] = [
        "num_keep": .integer, "seed": .integer, "num_predict": .integer, "top_k": .integer, "repeat_last_n": .integer,
        "num_ctx": .integer, "num_batch": .integer, "num_gpu": .integer, "main_gpu": .integer, "num_thread": .integer,
        "draft_num_predict": .integer,
        "top_p": .float, "min_p": .float, "typical_p": .float, "temperature": .float, "repeat_penalty": .float,
        "presence_penalty": .float, "frequency_penalty": .float,
        "use_mmap": .boolean, "stop": .strings,
    ]

    /// `options`: an object (`map[string]interface {}` to Go).
    init(_ value: JSONNode, in structName: String) throws(FieldProblem) {
        if value.isNull { return }
        guard value.isObject else { throw OllamaErrors.unmarshal(value, structName, "options", "map[string]interface {}") }
        for (key, option) in value.members where !option.isNull {
            guard let kind = Self.kinds[key] else { continue }
            let refusal: String? = switch kind {
            case .integer: option.number == nil ? "must be of type integer" : nil
            case .float: option.number == nil ? "must be of type float32" : nil
            case .boolean: option.bool == nil ? "must be of type boolean" : nil
            case .strings: !option.isArray ? "must be of type array" : option.elements.allSatisfy { $0.string != nil } ? nil : "must be of an array of strings"
            }
            if let refusal { throw .invalidValue(path: "options.\(key)", message: "option \"\(key)\" \(refusal)", code: "") }
            switch key {
            case "num_predict":
                let n = Int(exactly: option.number!.rounded(.towardZero)) ?? 0
                maxTokens = n > 0 ? n : nil
            case "stop":
                stop = option.elements.compactMap(\.string)
            case "num_ctx":
                let n = Int(exactly: option.number!.rounded(.towardZero)) ?? 0
                contextLength = n > 0 ? n : nil
            default:
                break
            }
        }
    }

    init() {}

    /// `format`: absent, `""` or null (none), `"json"` (any JSON object), or a JSON Schema object.
    static func format(_ value: JSONNode) throws(FieldProblem) -> ResponseFormat? {
        if value.isNull || value.string == "" { return nil }
        if value.string == "json" { return .jsonObject }
        if value.isObject { return .jsonSchema(value.materialize()) }
        // Go quotes the raw JSON bytes with %q.
        var quoted = ByteBuffer()
        quoted.append(jsonString: value.materialize().jsonText)
        throw .invalidValue(
            path: "format", message: "invalid format: \(quoted.description); expected \"json\" or a valid JSON Schema object", code: "")
    }

    /// `keep_alive`: seconds as a number, or a Go duration (`"5m"`, `"0"`, `"-1h"`); true when it
    /// asks to unload now (zero).
    static func keepAliveIsZero(_ value: JSONNode) throws(FieldProblem) -> Bool {
        if value.isNull { return false }
        if let seconds = value.number { return seconds == 0 }
        guard let text = value.string else {
            let type = value.isArray ? "[]interface {}" : value.isObject ? "map[string]interface {}" : "bool"
            throw .invalidValue(path: "keep_alive", message: "Unsupported type: '\(type)'", code: "")
        }
        switch GoDuration.parse(text) {
        case .success(let nanoseconds): return nanoseconds == 0
        case .failure(let problem): throw .invalidValue(path: "keep_alive", message: problem.message, code: "")
        }
    }

    /// `think`: a boolean or `"high"`, `"medium"`, `"low"`, `"max"`; true when it asks for thinking.
    static func think(_ value: JSONNode) throws(FieldProblem) -> Bool {
        if value.isNull { return false }
        if let asked = value.bool { return asked }
        if let level = value.string {
            guard ["high", "medium", "low", "max"].contains(level) else {
                throw .invalidValue(
                    path: "think", message: "invalid think value: \"\(level)\" (must be \"high\", \"medium\", \"low\", \"max\", true, or false)",
                    code: "")
            }
            return true
        }
        throw .invalidValue(path: "think", message: "think must be a boolean or string (\"high\", \"medium\", \"low\", \"max\", true, or false)", code: "")
    }

    /// `top_logprobs`: 0 to 20.
    static func checkTopLogprobs(_ value: JSONNode, in structName: String) throws(FieldProblem) {
        if value.isNull { return }
        guard let n = value.number else { throw OllamaErrors.unmarshal(value, structName, "top_logprobs", "int") }
        if n < 0 || n > 20 { throw .invalidValue(path: "top_logprobs", message: "top_logprobs must be between 0 and 20", code: "") }
    }

    /// A member Go decodes into `T`: its value, or Go's refusal.
    static func typed<T>(_ value: JSONNode, _ structName: String, _ path: String, _ type: String, _ extract: (JSONNode) -> T?) throws(FieldProblem) -> T? {
        if value.isNull { return nil }
        guard let v = extract(value) else { throw OllamaErrors.unmarshal(value, structName, path, type) }
        return v
    }
}
