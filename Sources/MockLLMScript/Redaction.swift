import MockLLMCore

/// What is never written to a fixture or the journal: API keys, credentials, cookies, and the
/// names a script adds with `settings.record.redact`.
package enum Redaction {
    /// Request and response headers that carry credentials, always dropped from fixtures and
    /// masked in the journal.
    package static let builtInHeaders: Set<String> = [
        "authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "x-amz-security-token", "cookie", "set-cookie",
    ]
    /// Query parameters that carry a key (Gemini's `?key=`).
    package static let builtInQueryParameters: Set<String> = ["key", "api_key", "api-key"]
    /// JSON fields whose values are masked (a body that carries a key).
    package static let builtInFields: Set<String> = ["api_key", "apikey", "api-key", "x-api-key"]
    /// What a masked value becomes.
    package static let mask = "[REDACTED]"

    package static func isSecretHeader(_ name: String, _ settings: RecordSettings = .default) -> Bool {
        let lower = name.lowercased()
        return builtInHeaders.contains(lower) || settings.redact.contains(lower)
    }

    package static func isSecretQueryParameter(_ name: String, _ settings: RecordSettings = .default) -> Bool {
        let lower = name.lowercased()
        return builtInQueryParameters.contains(lower) || settings.redact.contains(lower)
    }

    package static func isSecretField(_ name: String, _ settings: RecordSettings = .default) -> Bool {
        let lower = name.lowercased()
        return builtInFields.contains(lower) || settings.redact.contains(lower)
    }

    /// The query with secret parameters' values masked (for the journal), or nil if unchanged.
    package static func maskedQuery(_ query: String, _ settings: RecordSettings = .default) -> String? {
        let items = QueryItem.parse(query)
        guard items.contains(where: { isSecretQueryParameter($0.name, settings) && $0.value != nil }) else { return nil }
        return items.map { isSecretQueryParameter($0.name, settings) && $0.value != nil ? "\($0.name)=\(mask)" : $0.description }
            .joined(separator: "&")
    }

    /// A JSON value with the values of secret fields masked, at any depth.
    package static func masked(_ value: JSONValue, _ settings: RecordSettings = .default) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map { masked($0, settings) })
        case .object(let object):
            return .object(JSONObject(object.members.map { member in
                JSONObject.Member(key: member.key, value: isSecretField(member.key, settings) ? .string(mask) : masked(member.value, settings))
            }))
        case .null, .bool, .number, .string: return value
        }
    }
}
