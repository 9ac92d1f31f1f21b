import MockLLMCore
import MockLLMScript

/// Azure's content filtering as its replies show it. Every reply carries the verdicts: the
/// prompt's (`prompt_filter_results`, one per prompt, with `jailbreak`) and each choice's
/// (`content_filter_results`, with the protected-material checks); a stream first sends a chunk
/// with empty `choices` and the prompt's verdicts, then every chunk with text carries its
/// choice's, and the role and finish chunks an empty object.
///
/// The output is filtered mid-stream with a stream fault, `stream: {after: K, content_filter:
/// violence}`: after K events, the finish chunk with `finish_reason: content_filter` and the
/// choice's `content_filter_results` flagging the category (`filteredChoice(category:)`).
///
/// A rule asks for a refusal with its error's code: `error: {status: 400, code: content_filter,
/// type: violence}` is Azure's 400 for a filtered prompt, the category named by `type` (hate,
/// sexual, violence, self_harm, jailbreak; hate when it names none) filtered at high severity.
enum AzureContentFilter {
    static let code = "content_filter"

    /// The harm categories, graded by severity, in Azure's order.
    static let categories = ["hate", "self_harm", "sexual", "violence"]

    /// What a prompt's refusal says.
    static let promptMessage =
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry. "
        + "To learn more about our content filtering policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766"

    /// The verdicts with `filtered` (one of `categories` or `jailbreak`) flagged, the rest safe;
    /// `prompt`: with `jailbreak`; `protectedMaterial`: with the protected-material checks.
    static func results(filtered: String? = nil, prompt: Bool, protectedMaterial: Bool) -> [UInt8] {
        var out = ByteBuffer()
        out.append(UInt8(ascii: "{"))
        var names = categories
        if prompt { names.append("jailbreak") }
        if protectedMaterial { names += ["protected_material_code", "protected_material_text"] }
        for (i, name) in names.sorted().enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(jsonString: name)
            let hit = name == filtered
            if categories.contains(name) {
                out.append(ascii: hit ? ":{\"filtered\":true,\"severity\":\"high\"}" : ":{\"filtered\":false,\"severity\":\"safe\"}")
            } else {
                out.append(ascii: hit ? ":{\"filtered\":true,\"detected\":true}" : ":{\"filtered\":false,\"detected\":false}")
            }
        }
        out.append(UInt8(ascii: "}"))
        return out.bytes
    }

    /// `"prompt_filter_results":[{"prompt_index":0,"content_filter_results":{...}}]`
    static let promptResults: [UInt8] = Array("\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":".utf8)
        + results(prompt: true, protectedMaterial: false) + Array("}]".utf8)

    /// The annotations of every Azure chat reply: nothing filtered.
    static let annotations = OpenAIAnnotations(
        object: promptResults + Array(",".utf8),
        choice: Array("\"content_filter_results\":".utf8) + results(prompt: false, protectedMaterial: true) + Array(",".utf8),
        emptyChoice: Array("\"content_filter_results\":{},".utf8),
        streamPreamble: Array("data: {\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",".utf8)
            + promptResults + Array("}\n\n".utf8))

    /// `"content_filter_results":{...},` with `category` filtered (a harm category at high
    /// severity, a protected-material check detected), the rest safe.
    static func filteredChoice(category: String) -> [UInt8] {
        Array("\"content_filter_results\":".utf8) + results(filtered: category, prompt: false, protectedMaterial: true) + Array(",".utf8)
    }

    /// The body of a content-filter refusal: OpenAI's envelope with `param: prompt`, `status`
    /// and Azure's `innererror` (`ResponsibleAIPolicyViolation` and the verdicts).
    static func refusalBody(_ error: APIError) -> ByteBuffer {
        let category = error.typeOverride.flatMap { (categories + ["jailbreak"]).contains($0) ? $0 : nil } ?? "hate"
        var out = ByteBuffer()
        out.append(ascii: "{\"error\":{\"message\":")
        out.append(jsonString: error.statusOnly || error.message == HTTPStatus.reason(error.status) ? promptMessage : error.message)
        out.append(ascii: ",\"type\":null,\"param\":\"prompt\",\"code\":\"content_filter\",\"status\":")
        out.append(decimal: error.status)
        out.append(ascii: ",\"innererror\":{\"code\":\"ResponsibleAIPolicyViolation\",\"content_filter_result\":")
        out.append(contentsOf: results(filtered: category, prompt: true, protectedMaterial: false))
        out.append(ascii: "}}}")
        return out
    }
}
