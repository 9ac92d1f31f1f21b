import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A script file in a fresh directory of its own, removed with it.
final class ScriptFile {
    /// A script with one rule that answers everything with `reply`, named `name`. The quoted reply
    /// comes last, so a reader that catches the file half-written finds invalid YAML or a rule
    /// without its reply, never a different valid reply.
    static func oneRule(_ name: String, _ reply: String, pacing: String = "") -> String {
        "\(pacing.isEmpty ? "" : "pacing: \(pacing)\n")rules:\n  - name: \(name)\n    reply: \"\(reply)\"\n"
    }

    let directory: String
    let path: String

    init(_ text: String) throws {
        directory = NSTemporaryDirectory() + "mockllm-reload-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        path = directory + "/responses.yml"
        try write(text)
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// Rewrites the file in place: truncate, then one write, as `echo > file` does.
    func write(_ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TestFailure("open \(path): errno \(errno)") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw TestFailure("write \(path): \(written) of \(bytes.count), errno \(errno)") }
    }

    /// Replaces the file the way editors save: a new file beside it, renamed over it.
    func replace(_ text: String) throws {
        let temporary = directory + "/.responses.yml.swp"
        try Data(text.utf8).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else { throw TestFailure("rename over \(path): errno \(errno)") }
    }

    func delete() throws {
        try FileManager.default.removeItem(atPath: path)
    }
}
