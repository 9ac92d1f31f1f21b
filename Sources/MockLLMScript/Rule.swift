import MockLLMCore
import MockLLMSimulation
import Synchronization

/// One entry of the script's `rules:` list: conditions that must all hold, and what to answer.
/// Rules are tried in order, before the original's `responses:` map.
package struct Rule: Sendable {
    /// `name:`, or `rules[i]` for an unnamed rule.
    package let name: String
    /// Where it is in the file, for diagnostics.
    package let line: Int
    package let conditions: [Condition]
    package let reply: RuleReply
    package let pacing: PacingSpec?
    /// `times:`: the rule answers this many matching requests, then is passed over.
    package let times: Int?
    /// `fault:`: what goes wrong with this rule's replies, and when.
    package let fault: Fault?
    /// `transcript:`: what the user's audio is taken to say when this rule answers a realtime
    /// turn (the input transcription, and the user's text for later turns).
    package let transcript: String?
    /// How many times the rule has answered, across loops (sequences and `{{count}}` use it).
    let counter: RuleCounter
    /// How many requests the rule's conditions have taken so far (the admin API's use counter).
    package var matched: Int { counter.count }
    /// `rule <name>` as the x-mockllm-rule header shows it (made header-safe once, at load).
    let source: String

    package init(
        name: String, line: Int = 0, conditions: [Condition], reply: RuleReply, pacing: PacingSpec? = nil, times: Int? = nil,
        fault: Fault? = nil, transcript: String? = nil
    ) {
        self.fault = fault
        self.transcript = transcript
        self.name = name
        self.line = line
        self.conditions = conditions
        self.reply = reply
        self.pacing = pacing
        self.times = times
        counter = RuleCounter()
        source = "rule \(name)".headerSafe
    }
}

/// A condition of a rule's `match:`.
package enum Condition: Sendable {
    /// The last user message's text.
    case prompt(TextMatch)
    /// The requested model, by name or alias (compared by resolved id).
    case model([String])
    /// The system prompt (OpenAI system/developer messages, Anthropic `system`).
    case system(TextMatch)
    /// Whether the request offers tools.
    case tools(Bool)
    /// The number of user messages in the conversation.
    case turn(ClosedRange<Int>)
    /// A request header (name in lower case).
    case header(String, TextMatch)
    /// The request path, e.g. `/v1/messages`.
    case endpoint(String)
    /// The provider answering, e.g. `anthropic`.
    case provider(String)
    /// The conversation ends with tool results: any (`true`), none (`false`), or one from the
    /// named tool whose text matches.
    case toolResult(ToolResultMatch)
    /// The length of the user's audio in a realtime turn, in milliseconds (a turn of text
    /// has none and does not match).
    case audio(ClosedRange<Int>)
}

/// `match.tool_result`.
package enum ToolResultMatch: Sendable {
    case any(Bool)
    case tool(name: String?, content: TextMatch?)
}

extension String {
    /// The text as a header value: control characters as spaces and non-ASCII as `\u{...}`,
    /// so every client reads the same bytes.
    package var headerSafe: String {
        var out = ""
        for scalar in unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out.append(" ")
            } else if scalar.isASCII {
                out.unicodeScalars.append(scalar)
            } else {
                out += "\\u{\(String(scalar.value, radix: 16))}"
            }
        }
        return out
    }
}

/// What a rule answers.
package enum RuleReply: Sendable {
    case reply(ReplyTemplate)
    /// Successive matching requests get the next reply; after the last, `cycle` starts over,
    /// else the last one repeats.
    case sequence([ReplyTemplate], cycle: Bool)
    /// An error in the calling provider's shape.
    case error(RuleError)
}

package struct RuleError: Sendable, Equatable {
    package var status: Int
    package var message: String
    /// Overrides the provider's error type for the status (e.g. `overloaded_error`).
    package var type: String?
    package var code: String?
    /// Extra response headers (`retry-after`, `x-ratelimit-remaining-requests`, ...).
    package var headers: HTTPFields
    /// The fault gave only the status (`status: 503`, `sequence: [429, ok]`, `x-mockllm-fault:
    /// 429`): `message` is the generic wording, and each provider may word it as its API does.
    package var statusOnly = false

    package init(status: Int, message: String, type: String? = nil, code: String? = nil, headers: HTTPFields = HTTPFields()) {
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.headers = headers
    }

    /// The error of a fault that gives only its status, with the generic message for it.
    package static func statusOnly(_ status: Int) -> RuleError {
        var error = RuleError(status: status, message: FaultsSection.defaultMessage(status))
        error.statusOnly = true
        return error
    }
}

/// A counter shared by every loop that answers from the same script snapshot.
final class RuleCounter: Sendable {
    private let value = Atomic<Int>(0)

    /// Counts one answer; returns the new count (from 1).
    func next() -> Int {
        value.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// The count so far, for the admin API (a relaxed read: a count, not a synchronization).
    var count: Int { value.load(ordering: .relaxed) }
}
