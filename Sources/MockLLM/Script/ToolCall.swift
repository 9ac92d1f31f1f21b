/// A tool call in a reply: scripted in a rule, or invented by automatic mode.
public struct ToolCall: Sendable, Equatable {
    /// The scripted id; nil lets the provider make one in its own shape (`call_...`, `toolu_...`).
    public var id: String?
    public var name: String
    /// The arguments as compact JSON text of an object (`{}` when there are none).
    public var arguments: String

    public init(id: String? = nil, name: String, arguments: String = "{}") {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// One piece of a reply, in the order scripted: Anthropic sends each as a content block; OpenAI
/// sends the texts as the message content and the calls after it.
public enum ReplyBlock: Sendable, Equatable {
    case text(String)
    case toolCall(ToolCall)
}

/// The tools a request offers, and what its `tool_choice` allows.
public struct ToolOffer: Sendable {
    public struct Tool: Sendable {
        public var name: String
        public var description: String
        /// The arguments' JSON Schema (`parameters`, `input_schema`); `{}` when not given.
        public var schema: JSONValue

        public init(name: String, description: String = "", schema: JSONValue = .object(JSONObject())) {
            self.name = name
            self.description = description
            self.schema = schema
        }
    }

    public enum Choice: Sendable, Equatable {
        /// The model decides (the default).
        case auto
        /// No tool may be called.
        case none
        /// At least one tool must be called (OpenAI `required`, Anthropic `any`).
        case required
        /// This tool must be called.
        case named(String)
    }

    public var tools: [Tool]
    public var choice: Choice
    /// Several calls may go out in one reply (false: OpenAI `parallel_tool_calls: false`,
    /// Anthropic `disable_parallel_tool_use: true`).
    public var parallel: Bool

    public init(tools: [Tool], choice: Choice = .auto, parallel: Bool = true) {
        self.tools = tools
        self.choice = choice
        self.parallel = parallel
    }
}

/// What a request asks the reply's text to be (OpenAI `response_format`, Anthropic
/// `output_config.format`).
public enum ResponseFormat: Sendable {
    /// Any JSON object.
    case jsonObject
    /// JSON valid against this schema.
    case jsonSchema(JSONValue)
}
