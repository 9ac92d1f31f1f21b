import MockLLMCore

/// A tool call in a reply: scripted in a rule, or invented by automatic mode.
package struct ToolCall: Sendable, Equatable {
    /// The scripted id; nil lets the provider make one in its own shape (`call_...`, `toolu_...`).
    package var id: String?
    package var name: String
    /// The arguments as compact JSON text of an object (`{}` when there are none).
    package var arguments: String

    package init(id: String? = nil, name: String, arguments: String = "{}") {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// One piece of a reply, in the order scripted: Anthropic sends each as a content block; OpenAI
/// sends the texts as the message content and the calls after it.
package enum ReplyBlock: Sendable, Equatable {
    case text(String)
    case toolCall(ToolCall)
}

/// The tools a request offers, and what its `tool_choice` allows.
package struct ToolOffer: Sendable {
    package struct Tool: Sendable {
        package var name: String
        package var description: String
        /// The arguments' JSON Schema (`parameters`, `input_schema`); `{}` when not given.
        package var schema: JSONValue

        package init(name: String, description: String = "", schema: JSONValue = .object(JSONObject())) {
            self.name = name
            self.description = description
            self.schema = schema
        }
    }

    package enum Choice: Sendable, Equatable {
        /// The model decides (the default).
        case auto
        /// No tool may be called.
        case none
        /// At least one tool must be called (OpenAI `required`, Anthropic `any`).
        case required
        /// This tool must be called.
        case named(String)
    }

    package var tools: [Tool]
    package var choice: Choice
    /// Several calls may go out in one reply (false: OpenAI `parallel_tool_calls: false`,
    /// Anthropic `disable_parallel_tool_use: true`).
    package var parallel: Bool

    package init(tools: [Tool], choice: Choice = .auto, parallel: Bool = true) {
        self.tools = tools
        self.choice = choice
        self.parallel = parallel
    }
}

/// What a request asks the reply's text to be (OpenAI `response_format`, Anthropic
/// `output_config.format`).
package enum ResponseFormat: Sendable {
    /// Any JSON object.
    case jsonObject
    /// JSON valid against this schema.
    case jsonSchema(JSONValue)
}
