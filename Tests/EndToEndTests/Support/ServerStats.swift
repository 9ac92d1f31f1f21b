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
    ///
    /// The read timeout is long: tests ask while the server (a debug build, on a machine that
    /// may be busy) is writing hundreds of streams, and it may take seconds to come round to the
    /// request. The timeout only turns a hang into a failure.
    func stats() throws -> ServerStats {
        let response: TestResponse
        do {
            response = try request("GET", "/_mockllm/stats", timeout: 30)
        } catch {
            throw TestFailure("GET /_mockllm/stats: \(error)")
        }
        guard response.status == 200 else { throw TestFailure("GET /_mockllm/stats: \(response.status) \(response.text)") }
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
