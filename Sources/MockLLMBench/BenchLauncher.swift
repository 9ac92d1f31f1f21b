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
    /// completed, 1 when any failed, 2 for a usage error.
    package static func run(_ options: BenchOptions, output: Output) -> Int32 {
        let report: BenchReport
        do throws(BenchUsageError) {
            report = try run(options, handleSignals: true)
        } catch {
            let line = Array("mockllm bench: \(error.message)\n".utf8)
            _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            return 2
        }
        print(output == .json ? report.json : report.table)
        return report.exitCode
    }

    /// Runs the load on a new loop on the calling thread and returns the report. Raises the
    /// open-file limit first; refuses a concurrency the limit cannot hold.
    package static func run(_ options: BenchOptions, handleSignals: Bool = false) throws(BenchUsageError) -> BenchReport {
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
        let report = runner.run(handleSignals: handleSignals)
        assert(loop.openHandleCount == 0, "the bench loop ended with \(loop.openHandleCount) handle(s) open")
        return report
    }
}
