/// A problem found in a script file, located at a line and column.
public struct ScriptDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable {
        case error
        case warning
    }

    public var severity: Severity
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(_ severity: Severity, file: String, line: Int, column: Int, message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: error: message`, the form editors and CI logs link.
    public var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }
}

/// Why a script could not be loaded.
public struct ScriptLoadError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The file does not exist (the original exited 2 for this).
        case missingFile
        /// The file exists but cannot be read.
        case unreadable
        /// The file was read but is not a valid script.
        case invalid
    }

    public var kind: Kind
    /// Every problem found; errors and warnings.
    public var diagnostics: [ScriptDiagnostic]

    public init(_ kind: Kind, _ diagnostics: [ScriptDiagnostic]) {
        self.kind = kind
        self.diagnostics = diagnostics
    }

    public var errors: [ScriptDiagnostic] { diagnostics.filter { $0.severity == .error } }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
