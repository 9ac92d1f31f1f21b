import MockLLMLoop

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `mockllm bench` does, kept out of the executable so that it can be tested:
/// `main.swift` only parses arguments.
package enum BenchLauncher {
    package enum Output: Sendable {
        case table, json
    }

    /// Runs the load and prints the report; returns the exit status: 0 when every stream
    /// completed, 1 when any failed (or the chart could not be written), 2 for a usage error.
    /// On a terminal (and not `quiet`, not JSON) a progress line is redrawn every second and
    /// cleared before the report. With `svgPath`, the chart of the run is written there; the
    /// file is opened before the run, so a path that cannot be written fails at once.
    package static func run(_ options: BenchOptions, output: Output, quiet: Bool = false, svgPath: String? = nil) -> Int32 {
        var chart: Int32 = -1
        if let svgPath {
            chart = open(svgPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard chart >= 0 else { return usageError("cannot write --svg \(svgPath): \(String(cString: strerror(errno)))") }
        }
        defer { if chart >= 0 { close(chart) } }
        let progress = output == .table && !quiet && TerminalProgress.isWanted(on: 1) ? TerminalProgress(descriptor: 1) : nil
        let report: BenchReport
        do throws(BenchUsageError) {
            report = try run(options, handleSignals: true, progress: progress, watchServer: svgPath != nil)
        } catch {
            return usageError(error.message)
        }
        progress?.clear()
        print(output == .json ? report.json : report.table)
        if let svgPath, !writeAll(report.svg(), to: chart) {
            putError("mockllm bench: could not write --svg \(svgPath): \(String(cString: strerror(errno)))")
            return 1
        }
        return report.exitCode
    }

    private static func usageError(_ message: String) -> Int32 {
        putError("mockllm bench: \(message)")
        return 2
    }

    private static func putError(_ message: String) {
        _ = writeAll(message + "\n", to: 2)
    }

    /// Writes all of `text`, unbuffered; false when the descriptor refuses it.
    static func writeAll(_ text: String, to descriptor: Int32) -> Bool {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            bytes = bytes.dropFirst(written)
        }
        return true
    }

    /// Runs the load on a new loop on the calling thread and returns the report. Raises the
    /// open-file limit first; refuses a concurrency the limit cannot hold.
    package static func run(_ options: BenchOptions, handleSignals: Bool = false, progress: TerminalProgress? = nil,
                            watchServer: Bool = false) throws(BenchUsageError) -> BenchReport {
        let plan = try options.validated()
        let limit = FileLimit.raiseToHardLimit()
        // Each stream holds a socket; leave room for the stats connection, stdio and the loop's own.
        if limit.soft > 0 && plan.concurrency + 32 > limit.soft {
            throw BenchUsageError(
                "--concurrency \(plan.concurrency) needs about \(plan.concurrency + 32) open files, but the limit is \(limit.soft) (hard limit \(limit.hard)); raise it (ulimit -n) or lower --concurrency")
        }
        let loop: EventLoop
        let runner: BenchRunner
        do throws(UVError) {
            loop = try EventLoop()
            runner = try BenchRunner(plan: plan, loop: loop)
        } catch {
            throw BenchUsageError("cannot reach \(plan.url): \(error.message)")
        }
        let report = runner.run(handleSignals: handleSignals, progress: progress, watchServer: watchServer)
        assert(loop.openHandleCount == 0, "the bench loop ended with \(loop.openHandleCount) handle(s) open")
        return report
    }
}
