import MockLLMCore

/// Why a KV-cache events configuration cannot be served.
package struct KVEventsProblem: Error, Equatable, CustomStringConvertible {
    package let message: String
    package var description: String { message }
}

/// vLLM's `--kv-events-config` (`vllm/config/kv_events.py`, `KVEventsConfig`): the same fields
/// and defaults, read from the flag's JSON or from an `engines:` entry's `kv_events:` mapping.
/// `publisher` defaults to `zmq` when events are enabled, else `null` (nothing is published).
package struct KVEventsConfig: Sendable, Equatable, Hashable {
    package var enabled = false
    package var publisher = "null"
    package var endpoint = "tcp://*:5557"
    package var replayEndpoint: String?
    package var bufferSteps = 10_000
    package var hwm = 100_000
    package var maxQueueSize = 100_000
    package var topic = ""

    package init() {}

    /// Whether events are published at all.
    package var publishes: Bool { enabled && publisher == "zmq" }

    static let fields = ["enable_kv_cache_events", "publisher", "endpoint", "replay_endpoint", "buffer_steps", "hwm",
                         "max_queue_size", "topic"]

    /// A field's value as read from JSON or YAML.
    package enum Value {
        case bool(Bool)
        case integer(Int)
        case string(String)
        case null
        /// Anything else, described ("a number", "an array").
        case other(String)

        var description: String {
            switch self {
            case .bool: "a boolean"
            case .integer: "a number"
            case .string: "a string"
            case .null: "null"
            case .other(let kind): kind
            }
        }
    }

    /// Sets one field; the problem (naming `context`) when the key or the value is wrong, as
    /// vLLM refuses an unknown field.
    package mutating func set(_ key: String, _ value: Value, context: String) -> KVEventsProblem? {
        func wrong(_ expected: String) -> KVEventsProblem {
            KVEventsProblem(message: "\(context): \(key) must be \(expected), not \(value.description)")
        }
        switch (key, value) {
        case ("enable_kv_cache_events", .bool(let flag)): enabled = flag
        case ("enable_kv_cache_events", _): return wrong("a boolean")
        case ("publisher", .string(let name)):
            guard name == "zmq" || name == "null" else {
                return KVEventsProblem(message: "\(context): publisher must be \"zmq\" or \"null\", not \"\(name)\"")
            }
            publisher = name
            publisherSet = true
        case ("publisher", _): return wrong("a string")
        case ("endpoint", .string(let text)): endpoint = text
        case ("endpoint", _): return wrong("a string")
        case ("replay_endpoint", .null): replayEndpoint = nil
        case ("replay_endpoint", .string(let text)): replayEndpoint = text
        case ("replay_endpoint", _): return wrong("a string or null")
        case ("buffer_steps", .integer(let n)) where n > 0: bufferSteps = n
        case ("hwm", .integer(let n)) where n > 0: hwm = n
        case ("max_queue_size", .integer(let n)) where n > 0: maxQueueSize = n
        case ("buffer_steps", _), ("hwm", _), ("max_queue_size", _): return wrong("a positive integer")
        case ("topic", .string(let text)): topic = text
        case ("topic", _): return wrong("a string")
        default:
            return KVEventsProblem(message: "\(context): unknown field \(key) (\(Self.fields.joined(separator: ", ")))")
        }
        return nil
    }

    /// Whether `publisher` was given (else it follows `enable_kv_cache_events`).
    private var publisherSet = false

    /// After the fields: the default publisher, and the endpoints checked when publishing.
    package mutating func finish(context: String) -> KVEventsProblem? {
        if !publisherSet { publisher = enabled ? "zmq" : "null" }
        guard publishes else { return nil }
        for endpoint in [endpoint] + (replayEndpoint.map { [$0] } ?? []) {
            if case .failure(let problem) = KVEndpoint.parse(endpoint, rank: 0) {
                return KVEventsProblem(message: "\(context): \(problem.message)")
            }
        }
        return nil
    }

    /// Reads the flag's JSON.
    package static func parse(_ text: String) -> Result<KVEventsConfig, KVEventsProblem> {
        let context = "--kv-events-config"
        let document: JSONDocument
        do {
            document = try JSONDocument.parse(Array(text.utf8))
        } catch {
            return .failure(KVEventsProblem(message: "\(context) is not valid JSON: \(error)"))
        }
        let root = document.root
        guard root.isObject else { return .failure(KVEventsProblem(message: "\(context) must be a JSON object, not \(root.kindDescription)")) }
        var config = KVEventsConfig()
        for (key, node) in root.members {
            let value: Value
            if let flag = node.bool {
                value = .bool(flag)
            } else if let n = node.integer {
                value = .integer(n)
            } else if let text = node.string {
                value = .string(text)
            } else {
                value = node.isNull ? .null : .other(node.kindDescription)
            }
            if let problem = config.set(key, value, context: context) { return .failure(problem) }
        }
        if let problem = config.finish(context: context) { return .failure(problem) }
        return .success(config)
    }
}

/// A TCP endpoint to bind, `tcp://HOST:PORT`, its port offset by the data-parallel rank as
/// vLLM's `ZmqEventPublisher.offset_endpoint_port` does. vLLM binds when the address has `*` or
/// `::` and connects otherwise; mockllm always binds (`*` is every IPv4 address, `::` every
/// IPv6 one, any other host that address), so a subscriber connects to it.
package struct KVEndpoint: Sendable, Equatable, Hashable {
    package var host: String
    package var port: Int

    package static func parse(_ endpoint: String, rank: Int) -> Result<KVEndpoint, KVEventsProblem> {
        guard endpoint.hasPrefix("tcp://") else {
            return .failure(KVEventsProblem(message: "endpoint \(endpoint): only tcp:// endpoints are served (vLLM also takes ipc:// and inproc://)"))
        }
        let address = endpoint.dropFirst("tcp://".count)
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (0...65535).contains(port)
        else { return .failure(KVEventsProblem(message: "endpoint \(endpoint) has no port")) }
        var host = String(address[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        switch host {
        case "*": host = "0.0.0.0"
        case "": return .failure(KVEventsProblem(message: "endpoint \(endpoint) has no host (use * for every address)"))
        default: break
        }
        // Port 0 asks for an ephemeral port for every rank.
        return .success(KVEndpoint(host: host, port: port == 0 ? 0 : port + rank))
    }
}

