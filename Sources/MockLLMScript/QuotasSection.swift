import MockLLMCore
import Yams

/// `quotas: {requests_per_minute, tokens_per_minute, window_seconds, per: key|global}`.
enum QuotasSection {
    static func read(_ node: Node, reader: inout ScriptReader) -> Quota? {
        guard let mapping = reader.mapping(node, "'quotas'") else { return nil }
        reader.checkKeys(mapping, known: ["requests_per_minute", "tokens_per_minute", "window_seconds", "per"], in: "'quotas'")
        func whole(_ key: String) -> Int? {
            guard let n = mapping[key] else { return nil }
            guard let value = reader.number(n, "'quotas.\(key)'"), value >= 1, value == value.rounded(), value < 1e15 else {
                reader.error("'quotas.\(key)' must be a whole number, 1 or more", at: n)
                return nil
            }
            return Int(value)
        }
        let requests = whole("requests_per_minute")
        let tokens = whole("tokens_per_minute")
        guard requests != nil || tokens != nil else {
            if mapping["requests_per_minute"] == nil && mapping["tokens_per_minute"] == nil {
                reader.error("'quotas' needs requests_per_minute, tokens_per_minute, or both", at: node)
            }
            return nil
        }
        var window: UInt64 = 60_000_000_000
        if let n = mapping["window_seconds"] {
            guard let value = reader.number(n, "'quotas.window_seconds'"), value > 0, value <= 86_400 else {
                reader.error("'quotas.window_seconds' must be more than 0 and at most 86400", at: n)
                return nil
            }
            window = UInt64(value * 1e9)
        }
        var perKey = true
        if let n = mapping["per"], let text = reader.text(n, "'quotas.per'") {
            guard text == "key" || text == "global" else {
                reader.error("'quotas.per' must be key or global, found '\(text)'", at: n)
                return nil
            }
            perKey = text == "key"
        }
        return Quota(requestsPerWindow: requests, tokensPerWindow: tokens, windowNanoseconds: window, perKey: perKey)
    }
}
