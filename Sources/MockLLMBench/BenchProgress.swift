#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the progress line shows: the run so far, read from the runner once a second.
package struct ProgressStatus: Sendable, Equatable {
    /// Since the first stream started, in ns.
    package var elapsed: UInt64
    /// `--duration` in ns, when the run has one.
    package var plannedDuration: UInt64?
    package var started = 0
    /// `--requests`, when given.
    package var plannedRequests: Int?
    package var inFlight = 0
    package var completed = 0
    package var failed = 0
    /// Over the last second.
    package var eventsPerSecond: Double = 0
    /// Over the run so far.
    package var ttft: Percentiles?
    package var itl: Percentiles?
    /// mockllm's own, over the run so far; nil when it is not the target.
    package var lateness: Percentiles?
    /// No more streams start; those in flight are finishing.
    package var draining = false

    package init(elapsed: UInt64) {
        self.elapsed = elapsed
    }
}

/// The one status line `mockllm bench` redraws on a terminal.
package enum ProgressLine {
    /// The fields, most important first, two spaces apart, fitted into `width` columns: the
    /// fields that do not fit are left out from the end, and a first field wider than the
    /// terminal is cut, so the line never wraps (one column is kept free: some terminals wrap
    /// as soon as the last column is written).
    package static func render(_ status: ProgressStatus, width: Int) -> String {
        let room = max(1, width - 1)
        var line = ""
        for field in fields(status) {
            let candidate = line.isEmpty ? field : line + "  " + field
            if candidate.utf8.count <= room {
                line = candidate
            } else {
                if line.isEmpty { line = String(decoding: field.utf8.prefix(room), as: UTF8.self) }
                break
            }
        }
        return line
    }

    static func fields(_ s: ProgressStatus) -> [String] {
        var time = seconds(s.elapsed, places: 0)
        if let planned = s.plannedDuration { time += "/" + seconds(planned, places: planned % 1_000_000_000 == 0 ? 0 : 1) }
        time += " s"
        if s.draining { time += " draining" }
        var fields = [time]
        if let planned = s.plannedRequests { fields.append("\(s.started)/\(planned) started") }
        fields.append("\(s.inFlight) in flight")
        fields.append("\(s.completed) done")
        fields.append("\(s.failed) failed")
        fields.append(rate(s.eventsPerSecond) + " ev/s")
        // "p50/p99" once, before the first pair, to leave room for the rest.
        fields.append("p50/p99 TTFT " + pair(s.ttft))
        fields.append("ITL " + pair(s.itl))
        if let lateness = s.lateness { fields.append("server late " + pair(lateness)) }
        return fields
    }

    private static func seconds(_ ns: UInt64, places: Int) -> String {
        places == 0 ? String(ns / 1_000_000_000) : ReportFormat.decimal(Double(ns) / 1e9, places: places)
    }

    /// `8123`, `12.3k`, `1.25M`: at most 5 characters up to hundreds of millions.
    static func rate(_ perSecond: Double) -> String {
        switch perSecond {
        case ..<10_000: ReportFormat.decimal(perSecond, places: 0)
        case ..<1_000_000: ReportFormat.decimal(perSecond / 1e3, places: perSecond < 100_000 ? 1 : 0) + "k"
        default: ReportFormat.decimal(perSecond / 1e6, places: perSecond < 100_000_000 ? 2 : 0) + "M"
        }
    }

    /// Milliseconds with three significant digits or so: `0.052`, `1.25`, `12.3`, `456`.
    static func milliseconds(_ ns: UInt64) -> String {
        let ms = Double(ns) / 1e6
        let places = ms < 1 ? 3 : ms < 10 ? 2 : ms < 100 ? 1 : 0
        return ReportFormat.decimal(ms, places: places)
    }

    private static func pair(_ percentiles: Percentiles?) -> String {
        guard let percentiles else { return "-" }
        return milliseconds(percentiles.p50) + "/" + milliseconds(percentiles.p99) + " ms"
    }
}

/// Draws the progress line on a terminal: each redraw returns the cursor to the start of the
/// line (`\r`) and erases it (`ESC [2K`) before writing, so the line never scrolls; `clear`
/// leaves the line empty for the report. Written straight to the descriptor, unbuffered.
package final class TerminalProgress {
    let descriptor: Int32
    private var shown = false

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Whether a progress line belongs on `descriptor`: a terminal, and `TERM` says it can take
    /// the escape (set, and not `dumb`).
    static func isWanted(on descriptor: Int32) -> Bool {
        guard isatty(descriptor) == 1, let term = getenv("TERM") else { return false }
        let name = String(cString: term)
        return !name.isEmpty && name != "dumb"
    }

    /// The terminal's width: asked of the terminal at each redraw (it may be resized), else
    /// `COLUMNS`, else 80.
    static func columns(of descriptor: Int32) -> Int {
        var size = winsize()
        if ioctl(descriptor, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = getenv("COLUMNS"), let columns = Int(String(cString: text)), columns > 0 { return columns }
        return 80
    }

    func show(_ status: ProgressStatus) {
        put("\r\u{1B}[2K" + ProgressLine.render(status, width: Self.columns(of: descriptor)))
        shown = true
    }

    func clear() {
        guard shown else { return }
        put("\r\u{1B}[2K")
        shown = false
    }

    private func put(_ text: String) {
        _ = BenchLauncher.writeAll(text, to: descriptor)  // a terminal that went away: the run goes on without it
    }
}
