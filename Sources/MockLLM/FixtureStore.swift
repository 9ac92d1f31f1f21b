import Foundation
import MockLLMScript
import Synchronization

/// Where recorded exchanges go: `DIR/<test id>.yml` (the client's `x-mockllm-test`), else
/// `DIR/recorded.yml`, one rule appended per exchange (checked alone before it is appended: the
/// file's other rules are not parsed again). Each append writes the whole new file
/// beside the old one and renames it over it, so a reader (the hot reload, a test) never sees
/// half a fixture; the recording proxy appends only an exchange that completed.
///
/// Thread-safe (one mutex, off the request path: only recording appends).
package final class FixtureStore: Sendable {
    package let directory: String
    private let settings: RecordSettings
    private let lock = Mutex(())

    /// - Parameter settings: the script's `settings.record` (ignored keys, normalisers, redaction).
    package init(directory: String, settings: RecordSettings = .default) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        self.settings = settings
    }

    package struct Appended: Sendable, Equatable {
        /// The file written.
        package var file: String
        /// The fixture's name (`<test id>-<n>`, `recorded-<n>`).
        package var name: String
    }

    package struct Failure: Error, CustomStringConvertible {
        package var description: String
    }

    /// Appends `exchange` as one fixture rule; creates the directory and the file if needed.
    package func append(_ exchange: RecordedExchange) throws(Failure) -> Appended {
        let fileName = FixtureWriter.fileName(testID: exchange.testID)
        let path = directory + "/" + fileName
        return try lock.withLock { _ throws(Failure) -> Appended in
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw Failure(description: "cannot create \(directory): \(error.localizedDescription)")
            }
            var text = FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) } ?? ""
            if text.isEmpty { text = FixtureWriter.fileHeader }
            if !text.hasSuffix("\n") { text += "\n" }
            let count = text.split(whereSeparator: \.isNewline).filter { $0.hasPrefix("- name: ") }.count
            let stem = String(fileName.dropLast(4))
            let name = "\(stem)-\(count + 1)"
            // An appended rule lands in the file's `rules:` only if that is its last top-level key
            // (in block style), which the header asks editors to keep.
            let topLevel = text.split(whereSeparator: \.isNewline).last { line in
                guard let first = line.first else { return false }
                return first != " " && first != "-" && first != "#" && first != "\t"
            }
            if let topLevel, topLevel.trimmingCharacters(in: .whitespaces) != "rules:" {
                throw Failure(description: "\(path): 'rules:' must be the last top-level key (in block style) for recording to "
                    + "append to it; the last is '\(topLevel)'")
            }
            let rule = FixtureWriter.rule(for: exchange, name: name, settings: settings)
            // The new rule is checked alone (a file of just it), not the whole file again: a
            // file of n fixtures would otherwise be parsed n times over as it grows.
            do {
                _ = try ScriptLoader.parse(yaml: FixtureWriter.fileHeader + rule, file: path)
            } catch {
                throw Failure(description: "\(path) would not load with this fixture appended: \(error)")
            }
            text += rule
            let temporary = directory + "/." + fileName + ".\(getpid()).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
                throw Failure(description: "cannot write \(temporary)")
            }
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw Failure(description: "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
            }
            return Appended(file: path, name: name)
        }
    }
}
