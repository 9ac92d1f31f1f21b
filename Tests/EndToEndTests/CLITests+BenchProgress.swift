import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import TestSupport
import Testing

/// `mockllm bench`'s progress line as a person sees it: the binary run on a pseudo-terminal of
/// a known width (its standard output is the terminal's other end), against a real server; and
/// in a pipe, where it must not appear. Also `--svg` from the command line.
extension CLITests {
    static let redraw = "\r\u{1B}[2K"

    /// Runs the binary with its standard output on a new pseudo-terminal `columns` wide and
    /// returns everything written to it: util-linux's `script` (Debian's bsdutils, always
    /// installed) makes the terminal, sets its width with `stty`, and copies what the program
    /// writes (standard error included) to its own standard output, a pipe read here. Its
    /// standard input is empty, so it never takes over the terminal the tests run in.
    func runOnTerminal(_ arguments: [String], columns: Int, environment: [String: String] = [:]) throws -> Run {
        func quoted(_ word: String) -> String { "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let command = "stty cols \(columns) rows 24 && exec " + ([Self.binary.path] + arguments).map(quoted).joined(separator: " ")
        return try run(["--quiet", "--return", "--flush", "--command", command, "/dev/null"],
                       environment: ["TERM": "xterm"].merging(environment) { $1 }, executable: URL(fileURLWithPath: "/usr/bin/script"))
    }

    func benchArguments(_ port: Int, duration: String) -> [String] {
        ["bench", "http://127.0.0.1:\(port)", "--duration", duration, "--concurrency", "4", "--itl-ms", "20"]
    }

    @Test func benchRedrawsOneStatusLineOnATerminalAndClearsItBeforeTheReport() throws {
        let (server, port, _) = try startServer(["serve", "--port", "0"])
        defer { server.terminate(); server.waitUntilExit() }
        // 2.5 s of load: a line at 1 s and at 2 s at least, whatever the machine's speed.
        let result = try runOnTerminal(benchArguments(port, duration: "2.5"), columns: 60)
        #expect(result.status == 0, "\(result.stderr)")
        let parts = result.stdout.components(separatedBy: Self.redraw)
        try #require(parts.count >= 4, "two redraws and the clearing at least: \(result.stdout.debugDescription)")
        #expect(parts[0].isEmpty, "nothing before the first redraw")
        let lines = parts.dropFirst().dropLast()
        for line in lines {
            #expect(line.utf8.count <= 59, "fits 60 columns, the last one free: \(line.debugDescription)")
            #expect(!line.contains("\n") && !line.contains("\r"), "one line, never scrolled")
            #expect(line.contains(" s") && line.contains(" in flight"), "\(line.debugDescription)")
        }
        #expect(lines.last?.isEmpty == false)
        // The clearing comes last, and the report starts on the cleared line.
        let report = try #require(parts.last)
        #expect(report.hasPrefix("target    http://127.0.0.1:\(port)"), "\(report.debugDescription)")
        #expect(!report.contains("\u{1B}"))
        #expect(report.contains("server lateness"))
    }

    @Test func benchShowsNoProgressInAPipeWithQuietOrWithJSON() throws {
        let (server, port, _) = try startServer(["serve", "--port", "0"])
        defer { server.terminate(); server.waitUntilExit() }
        let piped = try run(benchArguments(port, duration: "1.5"))
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout.hasPrefix("target    http://"))
        #expect(!piped.stdout.contains("\u{1B}") && !piped.stdout.contains("\r") && !piped.stdout.contains("in flight"))
        let quiet = try runOnTerminal(benchArguments(port, duration: "1.5") + ["--quiet"], columns: 80)
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(quiet.stdout.hasPrefix("target    http://") && !quiet.stdout.contains("\u{1B}"))
        let json = try runOnTerminal(benchArguments(port, duration: "1.5") + ["--json"], columns: 80)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.hasPrefix("{\"url\":") && !json.stdout.contains("\u{1B}"))
        let dumb = try runOnTerminal(benchArguments(port, duration: "1.5"), columns: 80, environment: ["TERM": "dumb"])
        #expect(dumb.stdout.hasPrefix("target    http://") && !dumb.stdout.contains("\u{1B}"))
    }

    @Test func benchWritesItsRunAsAnSVGChart() throws {
        let (server, port, _) = try startServer(["serve", "--port", "0"])
        defer { server.terminate(); server.waitUntilExit() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString).svg")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try run(benchArguments(port, duration: "2.2") + ["--svg", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let drawing = try String(contentsOf: file, encoding: .utf8)
        let document = try XMLDocument(data: Data(drawing.utf8))  // well-formed
        #expect(document.rootElement()?.name == "svg")
        for title in ["Events received per second", "Time to first token (ms)", "Inter-token latency (ms)",
                      "mockllm's lateness against its schedule (ms)"] {
            #expect(drawing.contains(">\(title)</text>"), "\(title)")
        }
        // Two whole seconds and the rest: each series has a point per second that had values.
        let events = try #require(drawing.range(of: #"data-series="events/s" points="[^"]*""#, options: .regularExpression))
        let points = drawing[events].split(separator: "\"")[3].split(separator: " ")
        #expect(points.count >= 2, "\(drawing[events])")
    }

    @Test func benchRefusesAnSVGPathItCannotWriteBeforeItStarts() throws {
        let result = try run(["bench", "http://127.0.0.1:1", "--requests", "1", "--svg", "/nonexistent-dir/run.svg"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("mockllm bench: cannot write --svg /nonexistent-dir/run.svg: No such file or directory"))
        #expect(result.stdout.isEmpty, "no run")
    }
}
