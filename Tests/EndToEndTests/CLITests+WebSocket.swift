import Foundation
@testable import MockLLMCore
import TestSupport
import Testing

extension CLITests {
    /// `--ws-ping-interval` and `--ws-idle-timeout` reach the server: a Realtime session that
    /// stays silent is pinged, then closed with 1001. (Short values keep the test quick; what is
    /// checked is what happens, not when.)
    @Test func theWebSocketPingAndIdleFlagsReachTheServer() throws {
        let (process, port, _) = try startServer(["serve", "--port", "0", "--ws-ping-interval", "0.05", "--ws-idle-timeout", "0.4"])
        defer { process.terminate(); process.waitUntilExit() }
        let ws = try WebSocketClient(port: port, path: "/v1/realtime?model=gpt-realtime")
        var pinged = false
        while let event = try ws.next() {
            if case .ping = event { pinged = true }
            if case .close(let code, let reason) = event {
                #expect(code == 1001 && reason == "idle timeout")
                break
            }
        }
        #expect(pinged, "no ping before the idle close")
    }

    @Test(arguments: [["serve", "--ws-idle-timeout", "0"], ["serve", "--ws-ping-interval", "-1"]])
    func webSocketTimeoutsOutOfRangeAreUsageErrors(arguments: [String]) throws {
        let result = try run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--ws-"))
    }
}
