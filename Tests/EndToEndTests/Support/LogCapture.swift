import Logging
import Synchronization

/// The server's log lines, for tests that check what a reload said.
final class LogCapture: Sendable {
    private let lines = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        var logger = Logger(label: "mockllm-reload-test") { _ in Handler(capture: self) }
        logger.logLevel = .info
        return logger
    }

    var messages: [String] { lines.withLock { $0.map(\.message) } }
    var errors: [String] { lines.withLock { $0.filter { $0.level >= .error }.map(\.message) } }

    fileprivate func append(_ level: Logger.Level, _ message: String) {
        lines.withLock { $0.append((level, message)) }
    }

    private struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .info
        var metadata: Logger.Metadata = [:]
        var metadataProvider: Logger.MetadataProvider?

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            capture.append(event.level, event.message.description)
        }
    }
}
