import ArgumentParser
import Foundation
import MockLLMScript
import MockLLMSimulation

/// `mockllm engine`: the serving-engine simulation offline (docs/LOAD-SIMULATION.md).
struct EngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Simulate a serving engine (continuous batching, KV cache, queue) under a closed-loop benchmark.",
        discussion: """
            A profile is a built-in name (\(BuiltinEngineProfiles.names.joined(separator: ", "))) or a profile \
            YAML file (docs/LOAD-SIMULATION.md). The simulation runs in virtual time, as GenAI-Perf's \
            concurrency mode would measure the engine. Exit status: 0, 2 for bad arguments or a bad profile.
            """,
        subcommands: [EngineSimulate.self, EngineCurve.self, EngineFitCommand.self])
}

/// `--users-together` (every user at time 0) or `--staggered` (spread over one request latency).
enum EngineUserStart: String, EnumerableFlag {
    case usersTogether
    case staggered

    static func help(for value: EngineUserStart) -> ArgumentHelp? {
        switch value {
        case .usersTogether: "Start every user at time 0, as GenAI-Perf and aiperf do (the default; what engine fit simulates)."
        case .staggered: "Start the users spread evenly over one estimated request latency instead."
        }
    }
}

/// The options `simulate` and `curve` share.
struct EngineWorkloadOptions: ParsableArguments {
    @Option(help: "A built-in profile's name or a profile YAML file.")
    var profile = "default"

    @Option(name: .customLong("input-tokens"), help: "Prompt tokens of every request.")
    var inputTokens: Int

    @Option(name: .customLong("output-tokens"), help: "Generated tokens of every request.")
    var outputTokens: Int

    @Option(help: "Requests measured after the warm-up (each user's first), or from the start with --cold-start; default 20 per user, at least 200.")
    var requests: Int?

    @Flag(help: "Print JSON instead of the table.")
    var json = false

    /// How the users start. Together by default: GenAI-Perf (perf_analyzer) and aiperf start
    /// their workers at once, `engine fit` simulates that, and a fitted profile predicts its
    /// table only that way (the acceptance test runs `simulate` with the contract's flags only).
    @Flag(help: "How the users start (default: --users-together, as GenAI-Perf and aiperf start them and engine fit simulates).")
    var start: EngineUserStart = .usersTogether

    @Flag(name: .customLong("cold-start"),
          help: "Measure as aiperf does: every user starts at once on an idle engine, every request is measured (the first wave too), --requests in all and no more; throughput is those requests over their span. Give aiperf's --request-count as --requests. Default: the steady state, as GenAI-Perf measures and engine fit simulates.")
    var coldStart = false

    @Option(name: .customLong("client-gap-ms"),
            help: "The client's mean time from a reply's end to its next request, ms (exponentially distributed; default 0.2, what engine fit assumes).")
    var clientGapMs: Double = EngineSimulation.typicalClientGapMs

    @Option(name: .customLong("time-scale"),
            help: "Report as a live server with this settings.time_scale measures: durations times it, throughputs divided by it (the client's gap is not scaled; default 1).")
    var timeScale: Double = 1

    func validate() throws {
        guard clientGapMs >= 0, clientGapMs.isFinite else { throw ValidationError("--client-gap-ms must be 0 or more, not \(clientGapMs)") }
        guard timeScale > 0, timeScale <= Script.maximumTimeScale else {
            throw ValidationError("--time-scale must be greater than 0 and at most 1000000, as settings.time_scale, not \(timeScale)")
        }
        guard inputTokens >= 1 else { throw ValidationError("--input-tokens must be 1 or more, not \(inputTokens)") }
        guard outputTokens >= 1 else { throw ValidationError("--output-tokens must be 1 or more, not \(outputTokens)") }
        if let requests, requests < 1 { throw ValidationError("--requests must be 1 or more, not \(requests)") }
    }

    /// The profile named, or a usage error listing every problem of its file.
    func loadProfile() throws -> EngineProfile {
        do {
            return try EngineProfileReader.load(profile)
        } catch {
            throw ValidationError("--profile: " + error.diagnostics.map(\.description).joined(separator: "\n"))
        }
    }

    func simulate(_ profile: EngineProfile, concurrency: Int) throws -> EngineSimulationResult {
        var simulation = EngineSimulation(profile: profile, concurrency: concurrency, inputTokens: inputTokens,
                                          outputTokens: outputTokens, requests: requests)
        simulation.staggered = start == .staggered
        simulation.coldStart = coldStart
        // The engine's durations scale and the client's gap does not: simulated at scale 1
        // with the gap divided, then every duration multiplied back.
        simulation.clientGapMs = clientGapMs / timeScale
        do {
            return try simulation.run().scaled(by: timeScale)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

struct EngineSimulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run one closed-loop benchmark against a simulated engine and print TTFT, ITL and throughput.")

    @Option(help: "Users, each sending its next request when the previous one ends.")
    var concurrency: Int

    @OptionGroup var workload: EngineWorkloadOptions

    func validate() throws {
        guard concurrency >= 1 else { throw ValidationError("--concurrency must be 1 or more, not \(concurrency)") }
    }

    func run() throws {
        let profile = try workload.loadProfile()
        let started = ContinuousClock.now
        let result = try workload.simulate(profile, concurrency: concurrency)
        let elapsed = ContinuousClock.now - started
        if workload.json {
            print(EngineReport.json(result))
        } else {
            print(EngineReport.table([(concurrency, result)]))
            print(EngineReport.speed(simulated: result.simulatedSeconds, elapsed: elapsed, steps: result.steps))
        }
    }
}

struct EngineCurve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curve",
        abstract: "Run the benchmark at several concurrencies: latency and throughput against load.")

    @Option(help: "Comma-separated concurrencies.")
    var concurrency = "1,2,4,8,16,32,64,128,256"

    @OptionGroup var workload: EngineWorkloadOptions

    @Option(help: "Also write the curves (TTFT, ITL, output throughput against concurrency) as an SVG file.")
    var svg: String?

    func concurrencies() throws -> [Int] {
        let parts = concurrency.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        var values: [Int] = []
        for part in parts {
            guard let value = Int(part), value >= 1 else {
                throw ValidationError("--concurrency must be a comma-separated list of whole numbers, 1 or more: '\(part)' is not")
            }
            values.append(value)
        }
        return values
    }

    func validate() throws {
        _ = try concurrencies()
    }

    func run() throws {
        let profile = try workload.loadProfile()
        let started = ContinuousClock.now
        var points: [(Int, EngineSimulationResult)] = []
        var simulated = 0.0
        var steps = 0
        for users in try concurrencies() {
            let result = try workload.simulate(profile, concurrency: users)
            points.append((users, result))
            simulated += result.simulatedSeconds
            steps += result.steps
        }
        let elapsed = ContinuousClock.now - started
        if let svg {
            let title = "\(workload.profile): \(workload.inputTokens) input, \(workload.outputTokens) output tokens"
            do {
                try EngineReport.svg(points, title: title).write(toFile: svg, atomically: true, encoding: .utf8)
            } catch {
                FileHandle.standardError.write(Data("cannot write \(svg): \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
        }
        if workload.json {
            print(EngineReport.json(points))
        } else {
            print(EngineReport.table(points))
            print(EngineReport.speed(simulated: simulated, elapsed: elapsed, steps: steps))
        }
    }
}
