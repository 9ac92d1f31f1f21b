import MockLLMCore
import MockLLMSimulation

/// What a chat request looks like to the script's rules, whatever protocol it came in.
package struct MatchInput: Sendable {
    /// The last user message's text.
    package var prompt: String
    /// The model as the client sent it.
    package var model: String
    /// The conversation, system messages included (Anthropic's `system` as a first message).
    package var messages: [ChatMessage]
    package var hasTools: Bool
    package var headers: RequestHeaders
    package var endpoint: String
    package var provider: String
    /// The tools offered and `tool_choice`, for automatic tool calls.
    package var tools: ToolOffer?
    /// What the request asks the reply's text to be.
    package var responseFormat: ResponseFormat?
    /// A realtime turn the user spoke: the length of its audio in milliseconds (nil: typed).
    package var audioMilliseconds: Int?

    package init(prompt: String, model: String, messages: [ChatMessage] = [], hasTools: Bool = false,
                headers: RequestHeaders = RequestHeaders(), endpoint: String = "", provider: String = "",
                tools: ToolOffer? = nil, responseFormat: ResponseFormat? = nil) {
        self.prompt = prompt
        self.model = model
        self.messages = messages
        self.hasTools = hasTools || !(tools?.tools.isEmpty ?? true)
        self.headers = headers
        self.endpoint = endpoint
        self.provider = provider
        self.tools = tools
        self.responseFormat = responseFormat
    }

    /// The system prompt ("" when there is none); worked out only when a rule asks.
    package var system: String { messages.systemText }

    /// User messages in the conversation (at least 1).
    package var turn: Int { max(1, messages.userTurns) }

    /// What a realtime user's audio is taken to say when the answering rule gives no
    /// `transcript:`: its length, plainly (`[audio: 1.25 s]`). It is also the prompt rules see for
    /// an audio turn, so `prompt:` can match it.
    package static func audioDescription(milliseconds: Int) -> String {
        let tenths = (milliseconds + 5) / 10
        let fraction = tenths % 100
        return "[audio: \(tenths / 100).\(fraction < 10 ? "0" : "")\(fraction) s]"
    }
}

/// The script's answer to one request.
package struct ScriptAnswer: Sendable {
    package enum Outcome: Sendable {
        case reply(ScriptReply)
        case error(RuleError)
    }

    package var outcome: Outcome
    /// What answered: `rule <name>`, `responses` (the original's exact-match map) or `default`.
    package var source: String
    /// The answering rule's pacing, if it has one.
    package var pacing: PacingSpec?
    /// The answering rule's fault, if it has one.
    package var fault: Fault?
    /// The answering rule's `transcript:` (what the user's audio said), if it has one.
    package var transcript: String?
    /// When nothing matched: the closest rule and why it missed.
    package var miss: String?
}

/// `settings.on_miss`: what a request that no rule and no response matches gets.
package enum MissPolicy: String, Sendable {
    /// `defaults.unknown_response` (the original's behaviour).
    case `default`
    /// A 404-style error in the provider's shape, for tests that must fail loudly.
    case error
    /// As `error`, and the fallbacks (automatic tool calls, structured output) do not answer
    /// either: only fixtures, rules and `responses:` do (`settings.strict`, `serve --strict`).
    case strict
}

/// Whether a reply came from something the script states (a fixture, a rule, a `responses:`
/// entry) or from a fallback (the default reply, automatic tool calls, structured output),
/// judged by its `x-mockllm-rule` header. In record mode only the first kind counts as an answer.
package enum AnswerSource {
    /// `fixture <name>`, `rule <name>` or `responses`.
    package static func isExplicit(_ rule: String?) -> Bool {
        guard let rule else { return false }
        return rule.hasPrefix("fixture ") || rule.hasPrefix("rule ") || rule == "responses"
    }
}

extension Script {
    /// Rules in order, then the exact `responses:` map, then the miss policy.
    /// - Parameter scope: the request's test scope, whose counts rules use (nil: the script's own).
    package func answer(for input: MatchInput, scope: TestScope? = nil) -> ScriptAnswer {
        var closest: (rule: Rule, satisfied: Int, reason: String)?
        for rule in rules {
            let evaluation = evaluate(rule.conditions, input)
            if let reason = evaluation.failure {
                let score = Double(evaluation.satisfied) / Double(max(rule.conditions.count, 1))
                let best = closest.map { Double($0.satisfied) / Double(max($0.rule.conditions.count, 1)) } ?? -1
                if score > best { closest = (rule, evaluation.satisfied, reason) }
                continue
            }
            let count = scope?.nextCount(of: rule, in: self) ?? rule.counter.next()
            if let times = rule.times, count > times {
                closest = (rule, rule.conditions.count, "it has already answered its \(times) time\(times == 1 ? "" : "s")")
                continue
            }
            return answer(from: rule, count: count, input, captures: evaluation.captures)
        }
        if let reply = reply(exactly: input.prompt) {
            return ScriptAnswer(outcome: .reply(reply), source: "responses")
        }
        if onMiss != .strict, let automatic = automaticAnswer(for: input, callsTools: autoToolsEnabled(for: input)) {
            return ScriptAnswer(outcome: .reply(automatic.reply), source: automatic.source)
        }
        var miss = "prompt \(Self.quote(input.prompt)) is not a key of 'responses'"
        if let closest {
            miss = "closest rule '\(closest.rule.name)' (line \(closest.rule.line), \(closest.satisfied) of "
                + "\(closest.rule.conditions.count) conditions met): \(closest.reason); \(miss)"
        }
        if onMiss != .default {
            return ScriptAnswer(
                outcome: .error(RuleError(status: 404, message: "No rule or response matches this request: \(miss).", code: "no_match")),
                source: "default", miss: miss)
        }
        return ScriptAnswer(outcome: .reply(defaultScriptReply), source: "default", miss: miss)
    }

    /// What the user's audio in a realtime turn says: the `transcript:` of the first rule whose
    /// conditions hold for `input` (a turn whose prompt is `MatchInput.audioDescription`, with
    /// `audioMilliseconds` set), else the description itself. It only looks: no rule's count
    /// moves, so the rule that then answers the turn (seeing the transcript as the prompt) counts
    /// once. A rule that has used up its `times:` is passed over, as when answering.
    package func transcript(for input: MatchInput, scope: TestScope? = nil) -> String {
        for rule in rules where evaluate(rule.conditions, input).failure == nil {
            if let times = rule.times, scope == nil, rule.matched >= times { continue }
            return rule.transcript ?? input.prompt
        }
        return input.prompt
    }

    private func answer(from rule: Rule, count: Int, _ input: MatchInput, captures: [String]) -> ScriptAnswer {
        let values = Template.Values(prompt: input.prompt, model: input.model, count: count, turn: input.turn, captures: captures)
        let outcome: ScriptAnswer.Outcome
        switch rule.reply {
        case .reply(let template):
            outcome = .reply(withAutomaticTools(template.render(values), input))
        case .sequence(let templates, let cycle):
            let index = cycle ? (count - 1) % templates.count : min(count, templates.count) - 1
            outcome = .reply(withAutomaticTools(templates[index].render(values), input))
        case .error(let error):
            outcome = .error(error)
        }
        return ScriptAnswer(outcome: outcome, source: rule.source, pacing: rule.pacing, fault: rule.fault, transcript: rule.transcript)
    }

    /// A rule's `tool_calls: auto` filled in: its text, then the invented calls (or, once the
    /// tools have answered, only automatic mode's report or JSON); its text alone when no tool is
    /// offered or automatic mode has nothing to say.
    private func withAutomaticTools(_ reply: ScriptReply, _ input: MatchInput) -> ScriptReply {
        guard reply.autoTools else { return reply }
        let texts = reply.text.isEmpty ? [] : [ReplyBlock.text(reply.text)]
        guard input.tools?.tools.isEmpty == false, let automatic = automaticAnswer(for: input, callsTools: true)?.reply else {
            return ScriptReply(blocks: texts)
        }
        if automatic.blocks.isEmpty { return automatic }
        return ScriptReply(blocks: texts + automatic.blocks)
    }

    /// Checks every condition: how many hold, the first that fails (described), the prompt captures.
    func evaluate(_ conditions: [Condition], _ input: MatchInput) -> (satisfied: Int, failure: String?, captures: [String]) {
        var satisfied = 0
        var failure: String?
        var captures: [String] = []
        for condition in conditions {
            var reason: String?
            switch condition {
            case .prompt(let match):
                let result = match.match(input.prompt)
                if result.matched { captures = result.captures } else { reason = "prompt \(Self.quote(input.prompt)) is not \(match)" }
            case .model(let names):
                let wanted = models.resolve(input.model)?.id ?? input.model
                if !names.contains(where: { (models.resolve($0)?.id ?? $0) == wanted }) {
                    reason = "model '\(input.model)' is not one of \(names.joined(separator: ", "))"
                }
            case .system(let match):
                if !match.match(input.system).matched { reason = "system prompt \(Self.quote(input.system)) is not \(match)" }
            case .tools(let wanted):
                if input.hasTools != wanted { reason = wanted ? "the request offers no tools" : "the request offers tools" }
            case .turn(let range):
                if !range.contains(input.turn) { reason = "turn \(input.turn) is not in \(range.lowerBound)...\(range.upperBound)" }
            case .header(let name, let match):
                let value = input.headers[name]
                if !(value.map { match.match($0).matched } ?? false) {
                    reason = value.map { "header \(name) \(Self.quote($0)) is not \(match)" } ?? "header \(name) is missing"
                }
            case .endpoint(let path):
                if input.endpoint != path { reason = "endpoint \(input.endpoint) is not \(path)" }
            case .provider(let name):
                if input.provider != name { reason = "provider \(input.provider) is not \(name)" }
            case .toolResult(let wanted):
                reason = Self.check(wanted, input.messages.lastToolResults)
            case .audio(let range):
                if let ms = input.audioMilliseconds {
                    if !range.contains(ms) {
                        reason = "the audio's \(ms) ms is not in \(range.lowerBound)...\(range.upperBound == Int.max ? "" : String(range.upperBound)) ms"
                    }
                } else {
                    reason = "the turn is not audio"
                }
            }
            if let reason {
                if failure == nil { failure = reason }
            } else {
                satisfied += 1
            }
        }
        return (satisfied, failure, captures)
    }

    /// Why `results` (the conversation's last tool results) do not satisfy `wanted`, or nil.
    static func check(_ wanted: ToolResultMatch, _ results: [(name: String, text: String)]?) -> String? {
        switch wanted {
        case .any(let yes):
            if yes && results == nil { return "the last message is not a tool result" }
            if !yes && results != nil { return "the last message is a tool result" }
            return nil
        case .tool(let name, let content):
            guard let results else { return "the last message is not a tool result" }
            let candidates = results.filter { name == nil || $0.name == name }
            guard !candidates.isEmpty else {
                return "the last tool result is from \(results.map(\.name).joined(separator: ", ")), not \(name ?? "")"
            }
            if let content, !candidates.contains(where: { content.match($0.text).matched }) {
                return "the tool result \(quote(candidates[0].text)) is not \(content)"
            }
            return nil
        }
    }

    /// `"text"`, shortened to 60 characters for diagnostics.
    static func quote(_ text: String) -> String {
        let short = text.count > 60 ? String(text.prefix(57)) + "..." : text
        return "\"\(short)\""
    }
}
