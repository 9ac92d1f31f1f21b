import Foundation

/// The repository's root: the nearest folder above this file that holds Package.swift, so
/// tests read the bundled script and the docs wherever their own file sits.
package let repositoryRoot: URL = {
    var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    while folder.path != "/" {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) { return folder }
        folder.deleteLastPathComponent()
    }
    fatalError("no Package.swift above \(#filePath)")
}()
