import MockLLMCore
import MockLLMSimulation

/// Automatic mode's decision table: what a request that no rule and no `responses:` entry
/// answers gets, decided from plain values (the tools offered, the tool choice, whether calls
/// may run in parallel, where the conversation stands and the format asked for). Pure and
/// deterministic; `Script.automaticAnswer` turns the decision into a reply.
///
/// The table, in the order it is read (docs/CONFIG.md#automatic-mode says the same in prose):
///
/// | tool choice | conversation ends with | decision |
/// |---|---|---|
/// | any, no tool callable (none offered, `none`, calls off) | tool results | JSON in the format if one is asked, else text reporting the results (nothing when calls are off) |
/// | any, no tool callable | no tool result | JSON in the format if one is asked, else nothing (the script's default) |
/// | a named tool | anything | call that tool |
/// | `auto` / `required` | no tool result, or results only from tools not offered (a handoff) | call the tools the prompt asks for (several at once unless parallel calls are off, else the first); if it asks for none: the output tool if one is offered, else JSON if a format is asked and the choice is `auto`, else the first tool not called yet |
/// | `auto` / `required` | results of offered tools | call the tools the prompt asks for that are not called yet; then `auto`: JSON if a format is asked, else the output tool if one is offered and not called yet, else text reporting the results; `required`: a tool not called yet (the output tool first, then the ones closest to the prompt), else the output tool, else the closest tool again |
///
/// "The tools the prompt asks for": the prompt is cut into clauses (at `?`, `!`, `;`, `.`, `,`,
/// line breaks, "and", "then", "also", "plus"); each clause asks for the offered tool whose name
/// and description share the most words with it (words of three letters or more, common words
/// such as "the" or "what" left out; the first offered on a tie; none when no word is shared),
/// each tool once, in the order the clauses name them. "The output tool": a tool whose name or
/// description says `final` (pydantic-ai's `final_result`, "The final response which ends this
/// conversation"); it finishes the task, so it is never what a clause asks for.
package enum AutomaticDecision: Sendable, Equatable {
    /// Call these tools, in this order.
    case call([PlannedCall])
    /// Answer JSON text: an instance of the schema, or, without one, any JSON object.
    case json(schema: JSONValue?)
    /// Answer text reporting the tool results the conversation ends with.
    case report
    /// Nothing automatic: the script's default answers.
    case pass

    /// One call to make, and the text its arguments are read from: the clause of the prompt that
    /// asked for it when several tools are called at once, else the whole prompt.
    package struct PlannedCall: Sendable, Equatable {
        package var tool: String
        package var source: String

        package init(tool: String, source: String) {
            self.tool = tool
            self.source = source
        }
    }

    /// What the request asks the reply's text to be, as the table reads it.
    package enum Format: Sendable, Equatable {
        case none
        /// JSON wanted: `json_object`, a schema the conversation carries, or a `json_schema` format.
        case json(schema: JSONValue?)

        var isRequested: Bool { self != .none }
        var schema: JSONValue? { if case .json(let schema) = self { schema } else { nil } }
    }

    /// Where the conversation stands for the tools of this request.
    package struct Conversation: Sendable, Equatable {
        /// The tools whose results the conversation ends with (in order); nil when it does not end
        /// with tool results. A result whose call is not found has the name "".
        package var results: [String]?
        /// The tools called since the prompt (the last user message that is not only tool results).
        package var called: [String]

        package init(results: [String]? = nil, called: [String] = []) {
            self.results = results
            self.called = called
        }
    }

    /// The plain values the table reads.
    package struct Situation: Sendable {
        package var tools: [ToolOffer.Tool]
        package var choice: ToolOffer.Choice
        /// Several calls may go out in one reply (OpenAI `parallel_tool_calls`, Anthropic
        /// `disable_parallel_tool_use`).
        package var parallel: Bool
        package var prompt: String
        package var conversation: Conversation
        package var format: Format
        /// Automatic tool calls are on (`settings.auto_tools`, the header, a rule's `tool_calls: auto`).
        package var callsTools: Bool

        package init(tools: [ToolOffer.Tool], choice: ToolOffer.Choice = .auto, parallel: Bool = true, prompt: String,
                    conversation: Conversation = Conversation(), format: Format = .none, callsTools: Bool = true) {
            self.tools = tools
            self.choice = choice
            self.parallel = parallel
            self.prompt = prompt
            self.conversation = conversation
            self.format = format
            self.callsTools = callsTools
        }
    }

    /// The decision for `s`.
    package static func decide(_ s: Situation) -> AutomaticDecision {
        let callable = s.callsTools && s.choice != .none ? s.tools : []
        guard !callable.isEmpty else {
            if s.format.isRequested { return .json(schema: s.format.schema) }
            return s.conversation.results != nil && s.callsTools ? .report : .pass
        }
        if case .named(let name) = s.choice {
            return .call([PlannedCall(tool: name, source: s.prompt)])
        }
        // A tool whose result came back was called, whether or not its call is in the conversation.
        let called = Set(s.conversation.called + (s.conversation.results ?? []))
        let offered = Set(callable.map(\.name))
        let pending = askedFor(s.prompt, in: callable).filter { !called.contains($0.tool) }
        if !pending.isEmpty {
            if !s.parallel || pending.count == 1 { return .call([PlannedCall(tool: pending[0].tool, source: s.prompt)]) }
            return .call(pending)
        }
        let uncalled = callable.filter { !called.contains($0.name) }
        let ownResults = s.conversation.results?.contains { offered.contains($0) } ?? false
        if !ownResults {
            // A new question, or this agent's first turn after a handoff: nothing in the prompt fits a tool.
            if let output = uncalled.first(where: isOutputTool) { return call(output, s) }
            if s.format.isRequested && s.choice == .auto { return .json(schema: s.format.schema) }
            return call(uncalled.first ?? callable[0], s)
        }
        if s.choice == .required {
            let next = uncalled.enumerated().max { a, b in
                let (ra, rb) = (rank(a.element, s.prompt), rank(b.element, s.prompt))
                return ra != rb ? ra < rb : a.offset > b.offset  // the first offered on a tie
            }
            if let next { return call(next.element, s) }
            return call(callable.first(where: isOutputTool) ?? closest(to: s.prompt, in: callable), s)
        }
        if s.format.isRequested { return .json(schema: s.format.schema) }
        if let output = uncalled.first(where: isOutputTool) { return call(output, s) }
        return .report
    }

    private static func call(_ tool: ToolOffer.Tool, _ s: Situation) -> AutomaticDecision {
        .call([PlannedCall(tool: tool.name, source: s.prompt)])
    }

    /// Output tools first, then by the words shared with the prompt.
    private static func rank(_ tool: ToolOffer.Tool, _ prompt: String) -> Int {
        (isOutputTool(tool) ? 1_000_000 : 0) + relevance(of: tool, to: Set(keywords(prompt)))
    }

    /// The offered tools the prompt asks for, each once, in the order its clauses name them;
    /// each with the clause that asked for it. Output tools are never asked for.
    package static func askedFor(_ prompt: String, in tools: [ToolOffer.Tool]) -> [PlannedCall] {
        let candidates = tools.filter { !isOutputTool($0) }
        var asked: [PlannedCall] = []
        for clause in clauses(of: prompt) {
            let words = Set(keywords(clause))
            var best: (tool: ToolOffer.Tool, score: Int)?
            for tool in candidates {
                let score = relevance(of: tool, to: words)
                if score > (best?.score ?? 0) { best = (tool, score) }
            }
            if let best, !asked.contains(where: { $0.tool == best.tool.name }) {
                asked.append(PlannedCall(tool: best.tool.name, source: clause))
            }
        }
        return asked
    }

    /// The tool sharing the most words with `prompt`, the first offered on a tie.
    package static func closest(to prompt: String, in tools: [ToolOffer.Tool]) -> ToolOffer.Tool {
        let words = Set(keywords(prompt))
        var best = tools[0]
        var bestScore = 0
        for tool in tools {
            let score = relevance(of: tool, to: words)
            if score > bestScore { (best, bestScore) = (tool, score) }
        }
        return best
    }

    /// Whether `tool` ends the task: its name or description says `final`.
    package static func isOutputTool(_ tool: ToolOffer.Tool) -> Bool {
        Script.words(tool.name).contains("final") || Script.words(tool.description).contains("final")
    }

    /// How many of `words` the tool's name and description share.
    static func relevance(of tool: ToolOffer.Tool, to words: Set<String>) -> Int {
        words.intersection(keywords(tool.name) + keywords(tool.description)).count
    }

    /// `Script.words` without the common words that say nothing about a tool.
    static func keywords(_ text: String) -> [String] {
        Script.words(text).filter { !commonWords.contains($0) }
    }

    static let commonWords: Set<String> = [
        "the", "and", "for", "are", "but", "not", "you", "your", "yours", "can", "could", "would", "should", "will",
        "what", "which", "who", "whom", "whose", "when", "where", "why", "how", "this", "that", "these", "those",
        "with", "from", "into", "onto", "about", "then", "than", "there", "here", "have", "has", "had", "was", "were",
        "been", "being", "does", "did", "doing", "its", "our", "ours", "their", "them", "they", "his", "her", "hers",
        "she", "him", "all", "any", "some", "each", "every", "also", "just", "only", "very", "too", "more", "most",
        "please", "tell", "give", "show", "let", "know", "want", "need", "like", "use", "using", "used", "get", "gets",
        "call", "calls", "tool", "tools", "function", "functions", "now", "today", "current", "currently", "given",
        "returns", "return", "one", "two", "out", "per", "via", "may", "might", "must", "shall", "much", "many",
    ]

    /// The prompt cut at sentence ends, commas, semicolons, line breaks and the words that join
    /// requests ("and", "then", "also", "plus"); empty pieces dropped.
    package static func clauses(of prompt: String) -> [String] {
        var pieces: [String] = []
        var current = ""
        var word = ""
        func endWord() {
            if ["and", "then", "also", "plus"].contains(word.lowercased()) {
                current.removeLast(word.count)
                endClause()
            }
            word = ""
        }
        func endClause() {
            let trimmed = current.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()
            if !trimmed.isEmpty { pieces.append(String(trimmed)) }
            current = ""
        }
        var previous: Character?
        for c in prompt {
            if c.isLetter {
                word.append(c)
                current.append(c)
                previous = c
                continue
            }
            endWord()
            switch c {
            case "?", "!", ";", ",", "\n", "\r":
                endClause()
            case " " where previous == ".":
                endClause()
            default:
                current.append(c)
            }
            previous = c
        }
        endWord()
        endClause()
        return pieces.isEmpty ? [prompt] : pieces
    }
}
