import ArgumentParser
import Foundation
import MockLLM
import MockLLMBench

extension BenchProvider: ExpressibleByArgument {}

/// `mockllm bench URL`: argument parsing only; the work is in the MockLLM library (`BenchLauncher`).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load a streaming chat endpoint and report TTFT, inter-token latency, throughput and failures.",
        discussion: """
            Opens up to --concurrency streams at URL (http:// only) over kept-alive connections, reads their \
            events (server-sent events; NDJSON lines for ollama), and stops by itself after --duration (default 10 s) or --requests. With \
            --ttft-ms/--itl-ms the pacing is asked of mockllm by header and the error against it is reported; \
            when the target is mockllm, its own lateness is reported too. On a terminal a status line \
            shows the run so far, redrawn every second (--quiet hides it); --svg FILE charts the run. Exit status: 0 when every stream \
            completed, 1 when any failed, 2 for bad values.
            """)

    @Argument(help: "Target: http://HOST:PORT, optionally with a path (default: the provider's endpoint).")
    var url: String

    @Option(help: "Streams in flight at most.")
    var concurrency = 10

    @Option(help: "New streams per second (open loop; still at most --concurrency in flight). Default: closed loop.")
    var rate: Double?

    @Option(help: "Seconds to start streams for (default 10 unless --requests is given).")
    var duration: Double?

    @Option(help: "Stop after starting this many streams.")
    var requests: Int?

    @Option(name: .customLong("ramp-up"), help: "Seconds over which to spread the first connections.")
    var rampUp: Double = 0

    @Option(help: "Seconds streams in flight may take to finish after --duration; then they are cut (failures).")
    var drain: Double = 30

    @Option(help: "Seconds a single stream may take.")
    var timeout: Double = 60

    @Option(help: """
        openai (/v1/chat/completions), anthropic (/v1/messages), responses (/v1/responses), \
        gemini (/v1beta/models/MODEL:streamGenerateContent?alt=sse), ollama (/api/chat), \
        vertex (/v1/projects/mockllm/locations/us-central1/publishers/google/models/MODEL:streamGenerateContent?alt=sse), \
        vertex-anthropic (.../publishers/anthropic/models/MODEL:streamRawPredict), \
        azure (/openai/deployments/MODEL/chat/completions?api-version=2024-10-21), \
        bedrock (/model/MODEL/converse-stream, an AWS event stream) \
        or realtime (GET /v1/realtime?model=MODEL upgraded to WebSocket: one OpenAI Realtime session per stream).
        """)
    var provider: BenchProvider = .openai

    @Option(help: "Model to ask for (default gpt-4o-mini; claude-3-haiku, gemini-2.5-flash, llama3.2, claude-3-haiku@20240307, anthropic.claude-3-haiku-20240307-v1:0, gpt-realtime for anthropic, gemini and vertex, ollama, vertex-anthropic, bedrock, realtime).")
    var model: String?

    @Option(help: "The user message.")
    var prompt = "hello"

    @Option(name: .customLong("header"), help: "Extra request header 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(name: .customLong("ttft-ms"), help: "Ask for this time to first token (x-mockllm-ttft-ms) and report the error against it.")
    var ttftMilliseconds: Double?

    @Option(name: .customLong("itl-ms"), help: "Ask for this inter-token latency (x-mockllm-itl-ms) and report the error against it.")
    var itlMilliseconds: Double?

    @Option(name: .customLong("admin-token"), help: "The server's --admin-token, for reading its /_mockllm/stats (env MOCKLLM_ADMIN_TOKEN).")
    var adminToken: String?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(name: .shortAndLong, help: "No live progress line (it is shown only when standard output is a terminal, and never with --json).")
    var quiet = false

    @Option(help: "Write a chart of the run to this SVG file: events/s, TTFT and ITL p50/p99 second by second.")
    var svg: String?

    func run() throws {
        var options = BenchOptions(url: url)
        options.provider = provider
        options.model = model
        options.prompt = prompt
        options.headers = headers
        options.ttftMilliseconds = ttftMilliseconds
        options.itlMilliseconds = itlMilliseconds
        options.concurrency = concurrency
        options.rate = rate
        options.duration = duration
        options.requests = requests
        options.rampUp = rampUp
        options.drain = drain
        options.timeout = timeout
        options.adminToken = adminToken ?? ProcessInfo.processInfo.environment["MOCKLLM_ADMIN_TOKEN"]
        throw ExitCode(BenchLauncher.run(options, output: json ? .json : .table, quiet: quiet, svgPath: svg))
    }
}
