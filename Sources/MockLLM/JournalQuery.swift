import MockLLMCore

/// The filters of `GET /_mockllm/requests`: `?test=`, `?path=`, `?model=`, `?rule=`, `?status=`,
/// `?since=` and `?limit=`, all optional and combined with "and".
struct JournalQuery: Sendable, Equatable {
    /// The request's test scope, exactly (`x-mockllm-test`, `/t/ID/`).
    var test: String?
    /// The request path, exactly (`/v1/messages`).
    var path: String?
    /// The model the request named, exactly as sent: in its body, or in its path (Gemini).
    var model: String?
    /// The rule that answered: its name (`flaky`) or the whole `x-mockllm-rule` value
    /// (`rule flaky`, `responses`, `default`).
    var rule: String?
    var status: StatusFilter?
    /// Only entries with a sequence number above this one.
    var since: Int?
    /// Only the newest N of the entries that match.
    var limit: Int?

    enum StatusFilter: Sendable, Equatable {
        /// `429`
        case exactly(Int)
        /// `4xx`: every status from 400 to 499.
        case range(Int)

        func matches(_ status: Int) -> Bool {
            switch self {
            case .exactly(let wanted): status == wanted
            case .range(let hundreds): status / 100 == hundreds
            }
        }
    }

    struct Invalid: Error, Equatable {
        var message: String
    }

    static let parameters = ["test", "path", "model", "rule", "status", "since", "limit"]

    init(path: String? = nil, model: String? = nil, rule: String? = nil, status: StatusFilter? = nil,
         since: Int? = nil, limit: Int? = nil) {
        self.path = path
        self.model = model
        self.rule = rule
        self.status = status
        self.since = since
        self.limit = limit
    }

    /// Reads the query string; an unknown parameter or a malformed number is an error, so a typo
    /// does not silently return everything.
    init(query: String?) throws(Invalid) {
        let parameters = QueryParameters(query)
        for name in parameters.names where !Self.parameters.contains(name) {
            throw Invalid(message: "Unknown parameter '\(name)': use \(Self.parameters.joined(separator: ", ")).")
        }
        test = parameters["test"]
        path = parameters["path"]
        model = parameters["model"]
        rule = parameters["rule"]
        if let text = parameters["status"] {
            let lower = text.lowercased()
            if let code = Int(text), (100...599).contains(code) {
                status = .exactly(code)
            } else if lower.count == 3, lower.hasSuffix("xx"), let digit = Int(lower.prefix(1)), (1...5).contains(digit) {
                status = .range(digit)
            } else {
                throw Invalid(message: "status must be an HTTP status (429) or a class (4xx), got '\(text)'.")
            }
        }
        if let text = parameters["since"] {
            guard let value = Int(text), value >= 0 else {
                throw Invalid(message: "since must be a sequence number (0 or more), got '\(text)'.")
            }
            since = value
        }
        if let text = parameters["limit"] {
            guard let value = Int(text), value >= 0 else {
                throw Invalid(message: "limit must be a number of entries (0 or more), got '\(text)'.")
            }
            limit = value
        }
    }

    /// Whether `limit` is the only parameter: then the newest entries are the answer, whatever
    /// the journal holds before them.
    var limitsOnly: Bool {
        limit != nil && test == nil && path == nil && model == nil && rule == nil && status == nil && since == nil
    }

    /// The entries that pass every filter, oldest first; with `limit`, the newest of them.
    func select(_ entries: [JournalEntry]) -> [JournalEntry] {
        var selected = entries.filter { entry in
            if let since, entry.sequence <= since { return false }
            if let test, entry.test != test { return false }
            if let path, entry.path != path { return false }
            if let status, !status.matches(entry.outcome?.status ?? entry.status) { return false }
            if let rule {
                guard let answered = entry.rule, answered == rule || answered == "rule " + rule else { return false }
            }
            if let model, entry.pathModel ?? JournalEntry.model(of: entry.body) != model { return false }
            return true
        }
        if let limit, selected.count > limit { selected.removeFirst(selected.count - limit) }
        return selected
    }
}

extension JournalEntry {
    /// The `model` of a JSON body.
    static func model(of body: [UInt8]) -> String? {
        guard !body.isEmpty, let document = try? JSONDocument.parse(body) else { return nil }
        return withExtendedLifetime(document) { document.root["model"]?.string }
    }
}
