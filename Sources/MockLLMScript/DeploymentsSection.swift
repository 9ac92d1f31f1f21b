import MockLLMCore
import Yams

/// `deployments: {NAME: {model, tokens_per_minute, requests_per_minute, window_seconds}}`,
/// or `NAME: MODEL` for a deployment without limits.
enum DeploymentsSection {
    /// Requests per minute Azure assigns per 1000 tokens per minute when a deployment sets
    /// only its tokens (its quota documentation: "1000 TPM = 6 RPM").
    static let requestsPerThousandTokens = 6

    static func read(_ node: Node, reader: inout ScriptReader) -> [String: Deployment] {
        guard let mapping = reader.mapping(node, "'deployments'") else { return [:] }
        var deployments: [String: Deployment] = [:]
        for (key, value) in mapping {
            guard let name = reader.text(key, "a deployment name") else { continue }
            let what = "'deployments.\(name)'"
            if case .scalar = value {
                if let model = reader.text(value, what) { deployments[name] = Deployment(name: name, model: model) }
                continue
            }
            guard let entry = reader.mapping(value, what) else { continue }
            reader.checkKeys(entry, known: ["model", "tokens_per_minute", "requests_per_minute", "window_seconds"], in: what)
            guard let m = entry["model"], let model = reader.text(m, "'deployments.\(name).model'") else {
                if entry["model"] == nil { reader.error("\(what) needs a model", at: value) }
                continue
            }
            func whole(_ key: String) -> Int? {
                guard let n = entry[key] else { return nil }
                guard let number = reader.number(n, "'deployments.\(name).\(key)'"), number >= 1, number == number.rounded(), number < 1e15 else {
                    reader.error("'deployments.\(name).\(key)' must be a whole number, 1 or more", at: n)
                    return nil
                }
                return Int(number)
            }
            let tokens = whole("tokens_per_minute")
            var requests = whole("requests_per_minute")
            if requests == nil, entry["requests_per_minute"] == nil, let tokens {
                requests = max(1, tokens * requestsPerThousandTokens / 1000)
            }
            var window: UInt64 = 60_000_000_000
            if let n = entry["window_seconds"] {
                guard let seconds = reader.number(n, "'deployments.\(name).window_seconds'"), seconds > 0, seconds <= 86_400 else {
                    reader.error("'deployments.\(name).window_seconds' must be more than 0 and at most 86400", at: n)
                    continue
                }
                window = UInt64(seconds * 1e9)
            }
            let quota = tokens == nil && requests == nil
                ? nil : Quota(requestsPerWindow: requests, tokensPerWindow: tokens, windowNanoseconds: window, perKey: false)
            deployments[name] = Deployment(name: name, model: model, quota: quota)
        }
        return deployments
    }
}
