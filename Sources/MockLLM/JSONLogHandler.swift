import MockLLMCore

#if canImport(Glibc)
import Glibc
#endif
import Logging

/// `--log-format json`: one JSON object per line on standard error, for log collectors:
/// `{"time":"2026-11-25T19:15:07.123Z","level":"info","label":"mockllm","message":"...","rule":"..."}`
/// (metadata as string members after the message).
package struct JSONLogHandler: LogHandler {
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    private let label: String

    package init(label: String) {
        self.label = label
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        emit(level: event.level, message: event.message, metadata: event.metadata)
    }

    private func emit(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?) {
        var out = ByteBuffer(capacity: 160)
        out.append(ascii: "{\"time\":")
        out.append(jsonString: Self.now())
        out.append(ascii: ",\"level\":")
        out.append(jsonString: level.rawValue)
        out.append(ascii: ",\"label\":")
        out.append(jsonString: label)
        out.append(ascii: ",\"message\":")
        out.append(jsonString: message.description)
        let all = explicit.map { metadata.merging($0) { $1 } } ?? metadata
        for key in all.keys.sorted() {
            out.append(UInt8(ascii: ","))
            out.append(jsonString: key)
            out.append(UInt8(ascii: ":"))
            out.append(jsonString: all[key]!.description)
        }
        out.append(ascii: "}\n")
        // One write per line: lines from several loops never interleave.
        out.withUnsafeReadableBytes { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
    }

    /// RFC 3339 with milliseconds, UTC.
    static func now() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        let base = RFC3339.format(unixSeconds: spec.tv_sec)
        let ms = spec.tv_nsec / 1_000_000
        let digits = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return base.dropLast() + ".\(digits)Z"
    }
}
