import MockLLMCore
import MockLLMSimulation

/// The answers the server gives: an immutable, shareable snapshot of a script file.
///
/// A reload builds a new `Script` and swaps it in; a request or stream keeps the snapshot it
/// started with. A class, so that handing the snapshot to each request costs one reference.
package final class Script: Sendable {
    /// The reply when nothing matches and the file sets no `defaults.unknown_response`.
    package static let builtInDefaultReply = "I don't know the answer to that."

    /// Exact prompt to reply: the original's `responses:` map (case- and whitespace-sensitive).
    package let responses: [String: String]
    /// `defaults.unknown_response`.
    package let defaultReply: String
    /// `rules:`, tried in order before `responses`.
    package let rules: [Rule]
    /// The pacing every reply starts from: `settings.lag_*` with the top-level `pacing:` on top.
    package let pacing: Pacing
    /// `settings.on_miss`.
    package let onMiss: MissPolicy
    /// Where the script came from, for logs: a path, or a description of the embedded default.
    package let origin: String
    /// The served providers' models plus the script's `models:` section.
    package let models: ModelRegistry
    /// `settings.strict_models`: unknown models and `max_tokens` above a model's limit are errors.
    package let strictModels: Bool
    /// `settings.auto_tools`: requests offering tools that no rule answers get an invented call.
    package let autoTools: Bool
    /// `faults:`, tried in order for every chat request.
    package let faults: [Fault]
    /// The active scenario (`settings.scenario`; switched by the admin API).
    package let scenario: ScenarioSwitch
    /// `quotas:`: requests and tokens per window, per API key.
    package let quota: Quota?
    /// `providers:`: wire protocols declared by data, served beside the built-in ones.
    package let providers: [DeclaredProvider]
    /// `deployments:`: a cloud front door's deployment names (Azure OpenAI), with the model
    /// each serves and its limits.
    package let deployments: [String: Deployment]
    /// Whether anything counts requests in time windows (`quotas:`, a deployment's limits): the
    /// server reads the monotonic clock for a request only then.
    package let countsWindows: Bool
    /// `engines:`: serving-engine profiles by name, which a model runs on (`ModelInfo.engine`).
    package let engines: [String: EngineProfile]
    /// An `engines:` entry's `kv_events:`: where it publishes vLLM's KV-cache events (over
    /// `--kv-events-config`), by engine name.
    package let engineEvents: [String: KVEventsConfig]
    /// `settings.time_scale`: every engine and pacing duration is multiplied by it (default 1).
    package let timeScale: Double
    /// The largest `settings.time_scale` (and `engine simulate --time-scale`) allowed.
    package static let maximumTimeScale = 1_000_000.0
    /// `settings.session_limit_ms` and `settings.go_away_ms`: how long a realtime session lasts
    /// (nil: as long as its client keeps it).
    package let sessionLimit: SessionLimit?
    /// The rules whose reply is `recorded:`, indexed; nil when there are none, so a request
    /// to a script without fixtures never looks.
    package let fixtures: FixtureSet?
    /// `settings.record`: what identifies a request, normalisers, what is redacted.
    package let record: RecordSettings
    /// The replies with their token counts, counted once at load rather than per request.
    private let counted: [String: ScriptReply]
    let defaultScriptReply: ScriptReply

    package init(
        responses: [String: String] = [:], defaultReply: String = Script.builtInDefaultReply, rules: [Rule] = [],
        pacing: Pacing = .immediate, onMiss: MissPolicy = .default, origin: String = "inline",
        models: ModelRegistry = ModelRegistry([]), strictModels: Bool = false, autoTools: Bool = false,
        faults: [Fault] = [], scenario: ScenarioSwitch = ScenarioSwitch(nil), quota: Quota? = nil,
        providers: [DeclaredProvider] = [], engines: [String: EngineProfile] = [:],
        engineEvents: [String: KVEventsConfig] = [:], timeScale: Double = 1, sessionLimit: SessionLimit? = nil,
        fixtures: [Fixture] = [], record: RecordSettings = .default, deployments: [String: Deployment] = [:]
    ) {
        self.deployments = deployments
        countsWindows = quota != nil || deployments.values.contains { $0.quota != nil }
        self.fixtures = fixtures.isEmpty ? nil : FixtureSet(fixtures, settings: record)
        self.record = record
        self.engines = engines
        self.engineEvents = engineEvents
        self.timeScale = timeScale
        self.sessionLimit = sessionLimit
        self.quota = quota
        self.providers = providers
        self.faults = faults
        self.scenario = scenario
        self.responses = responses
        self.defaultReply = defaultReply
        self.rules = rules
        self.pacing = pacing
        self.onMiss = onMiss
        self.origin = origin
        self.models = models
        self.strictModels = strictModels
        self.autoTools = autoTools
        counted = responses.mapValues(ScriptReply.init)
        defaultScriptReply = ScriptReply(defaultReply)
    }

    /// The same script, described as coming from `origin`.
    package func describedAs(_ origin: String) -> Script { copy(origin: origin, models: models) }

    /// The same script with other models (the LoRA adapters a server loaded at run time); rules,
    /// faults, scenario and quota are shared with this one, counters included.
    package func withModels(_ models: ModelRegistry) -> Script { copy(origin: origin, models: models) }

    private func copy(origin: String, models: ModelRegistry) -> Script {
        Script(responses: responses, defaultReply: defaultReply, rules: rules, pacing: pacing, onMiss: onMiss,
               origin: origin, models: models, strictModels: strictModels, autoTools: autoTools, faults: faults, scenario: scenario, quota: quota,
               providers: providers, engines: engines, engineEvents: engineEvents, timeScale: timeScale,
               sessionLimit: sessionLimit, fixtures: fixtures?.fixtures ?? [], record: record,
               deployments: deployments)
    }

    /// The `responses:` entry for exactly this prompt.
    package func reply(exactly prompt: String) -> ScriptReply? {
        counted[prompt]
    }

    /// The reply the original would give: the exact `responses:` entry, else the default.
    package func reply(forPrompt prompt: String) -> ScriptReply {
        counted[prompt] ?? defaultScriptReply
    }

    /// The pacing of a reply for `model` answered by `rule` (the model's `pacing:` then the rule's).
    package func pacing(model: String, rule: PacingSpec?) -> Pacing {
        var result = pacing
        if models.hasPacing, let spec = models.resolve(model)?.pacing { result = spec.applied(to: result) }
        if let rule { result = rule.applied(to: result) }
        return result
    }

    /// One line for logs: what this script defines.
    package var summary: String {
        var parts = ["\(responses.count) response\(responses.count == 1 ? "" : "s")"]
        if !rules.isEmpty { parts.append("\(rules.count) rule\(rules.count == 1 ? "" : "s")") }
        if let count = fixtures?.fixtures.count { parts.append("\(count) fixture\(count == 1 ? "" : "s")") }
        switch pacing.model {
        case .immediate: parts.append("no latency")
        case .seedLag(let factor): parts.append("lag factor \(factor.plainDecimal)")
        case .profile: parts.append("latency profile")
        }
        let added = models.added
        if added > 0 { parts.append("\(added) model\(added == 1 ? "" : "s") added") }
        if strictModels { parts.append("strict models") }
        if onMiss == .error { parts.append("misses are errors") }
        if onMiss == .strict { parts.append("strict") }
        if autoTools { parts.append("automatic tool calls") }
        if quota != nil { parts.append("quotas") }
        if !deployments.isEmpty { parts.append("\(deployments.count) deployment\(deployments.count == 1 ? "" : "s")") }
        if !faults.isEmpty { parts.append("\(faults.count) fault\(faults.count == 1 ? "" : "s")") }
        if !engines.isEmpty { parts.append("\(engines.count) engine\(engines.count == 1 ? "" : "s")") }
        if timeScale != 1 { parts.append("time scale \(timeScale.plainDecimal)") }
        if let sessionLimit { parts.append("realtime sessions end after \((sessionLimit.milliseconds / 1000).plainDecimal) s") }
        if !providers.isEmpty { parts.append("\(providers.count) declared provider\(providers.count == 1 ? "" : "s")") }
        return parts.joined(separator: ", ")
    }
}

/// A reply's text and its estimated token count.
package struct ScriptReply: Sendable, Equatable {
    /// The reply's text (its text blocks joined with blank lines when it has several).
    package let text: String
    /// Estimated tokens of the text and the tool calls.
    package let tokenCount: Int
    /// The reply in the order scripted, when it calls tools (empty for a text-only reply).
    package let blocks: [ReplyBlock]
    /// The rule asked for tool calls invented from the request's tools (`tool_calls: auto`).
    package let autoTools: Bool

    package init(_ text: String) {
        self.text = text
        tokenCount = TokenEstimator.count(text)
        blocks = []
        autoTools = false
    }

    package init(blocks: [ReplyBlock], autoTools: Bool = false) {
        var texts: [String] = []
        var tokens = 0
        for block in blocks {
            switch block {
            case .text(let t):
                texts.append(t)
                tokens += TokenEstimator.count(t)
            case .toolCall(let call):
                tokens += TokenEstimator.count(call.name) + TokenEstimator.count(call.arguments)
            }
        }
        text = texts.joined(separator: "\n\n")
        tokenCount = tokens
        self.blocks = blocks.contains { if case .toolCall = $0 { true } else { false } } ? blocks : []
        self.autoTools = autoTools
    }

    /// The tool calls, in order.
    package var toolCalls: [ToolCall] {
        blocks.compactMap { if case .toolCall(let call) = $0 { call } else { nil } }
    }
}

/// How long a realtime session (OpenAI Realtime, Gemini Live) lasts before the server ends it, as
/// the real services end theirs (OpenAI's after 60 minutes, Gemini Live's connections after
/// about 10), so that a client's reconnection can be tested in seconds.
package struct SessionLimit: Sendable, Equatable {
    /// From the session's opening to its end.
    package var milliseconds: Double
    /// Gemini Live's `goAway` goes out this long before the end (at the opening when longer).
    package var goAwayMilliseconds: Double

    package static let defaultGoAwayMilliseconds = 60_000.0
    /// The longest limit and warning accepted, in the script or a handshake's header: a day.
    package static let maximumMilliseconds = 86_400_000.0

    package init(milliseconds: Double, goAwayMilliseconds: Double = SessionLimit.defaultGoAwayMilliseconds) {
        self.milliseconds = milliseconds
        self.goAwayMilliseconds = goAwayMilliseconds
    }
}
