import Foundation
import TestSupport
import Testing

/// `GET /_mockllm/stats` as the end-to-end tests read it: the server's cumulative counters.
struct ServerStats: CustomStringConvertible {
    let json: [String: Any]

    /// A top-level count (`workers`, `requests`, `events`).
    subscript(_ name: String) -> Int? { json[name] as? Int }

    /// A count inside a group: `stats["streams", "aborted"]`, `stats["connections", "open"]`.
    subscript(_ group: String, _ name: String) -> Int? { (json[group] as? [String: Any])?[name] as? Int }

    var description: String { "\(json)" }
}

extension TestServer {
    /// The counters, asked on a connection of its own, which they include: it is open while
    /// they are taken, and its request is counted.
    func stats() throws -> ServerStats {
        let response = try request("GET", "/_mockllm/stats")
        guard response.status == 200 else { throw TestFailure("stats: \(response.status) \(response.text)") }
        return ServerStats(json: try response.json())
    }

    /// Waits until the only connection open is the stats request's own: the server has let
    /// every other one go.
    func connectionsSettle(sourceLocation: SourceLocation = #_sourceLocation) throws {
        try eventually("every connection but the stats request's own is closed", sourceLocation: sourceLocation) {
            try stats()
        } until: { $0["connections", "open"] == 1 }
    }
}
