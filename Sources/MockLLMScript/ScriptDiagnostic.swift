/// A problem found in a script file, located at a line and column.
package struct ScriptDiagnostic: Sendable, Equatable, CustomStringConvertible {
    package enum Severity: String, Sendable {
        case error
        case warning
    }

    package var severity: Severity
    package var file: String
    package var line: Int
    package var column: Int
    package var message: String

    package init(_ severity: Severity, file: String, line: Int, column: Int, message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: error: message`, the form editors and CI logs link.
    package var description: String { "\(file):\(line):\(column): \(severity.rawValue): \(message)" }
}

/// Why a script could not be loaded.
package struct ScriptLoadError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable {
        /// The file does not exist (the original exited 2 for this).
        case missingFile
        /// The file exists but cannot be read.
        case unreadable
        /// The file was read but is not a valid script.
        case invalid
    }

    package var kind: Kind
    /// Every problem found; errors and warnings.
    package var diagnostics: [ScriptDiagnostic]

    package init(_ kind: Kind, _ diagnostics: [ScriptDiagnostic]) {
        self.kind = kind
        self.diagnostics = diagnostics
    }

    package var errors: [ScriptDiagnostic] { diagnostics.filter { $0.severity == .error } }

    package var description: String { errors.map(\.description).joined(separator: "\n") }
}
