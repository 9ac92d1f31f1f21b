import MockLLMCore
import MockLLMLoop

/// One `GET /_mockllm/stats` on a connection of its own; hands back the parsed stats, or nil
/// when the server does not have them (404), answers something else, or takes over 5 s.
final class StatsFetch: TCPClientConnectionDelegate {
    private let completion: (ServerStats?) -> Void
    private var connection: TCPClientConnection?
    private var timer: LoopTimer?
    private var reader = ResponseReader()
    private var status = 0
    private var body: [UInt8] = []
    private let request: [UInt8]
    private var done = false

    static let maxBodyBytes = 8 << 20
    static let timeoutMilliseconds: UInt64 = 5000

    init(runner: BenchRunner, completion: @escaping (ServerStats?) -> Void) {
        self.completion = completion
        let token = runner.plan.adminToken.map { "x-mockllm-admin-token: \($0)\r\n" } ?? ""
        request = Array("GET /_mockllm/stats HTTP/1.1\r\nHost: \(runner.plan.target.authority)\r\nAccept: application/json\r\n\(token)Connection: close\r\n\r\n".utf8)
        let timer = LoopTimer(loop: runner.loop) { [unowned self] in self.finish(nil) }
        self.timer = timer
        timer.start(after: Self.timeoutMilliseconds)
        let connection = TCPClientConnection(loop: runner.loop, readBuffer: runner.readBuffer, delegate: self)
        self.connection = connection
        connection.connect(to: runner.address)
    }

    func connectionDidConnect(_ connection: TCPClientConnection) {
        request.withUnsafeBytes { _ = connection.write($0) }
    }

    func connection(_ connection: TCPClientConnection, didRead bytes: UnsafeRawBufferPointer) {
        var i = 0
        do {
            while !done {
                switch try reader.next(bytes, from: &i) {
                case .needMoreData:
                    return
                case .head(let head):
                    status = head.status
                case .body(let range):
                    guard body.count + range.count <= Self.maxBodyBytes else { return finish(nil) }
                    body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[range]))
                case .end:
                    return finish(status == 200 ? ServerStats.parse(body) : nil)
                }
            }
        } catch {
            finish(nil)
        }
    }

    func connection(_ connection: TCPClientConnection, didCloseWith error: UVError?) {
        self.connection = nil
        let complete = reader.endOfInput() == .complete
        finish(complete && status == 200 ? ServerStats.parse(body) : nil)
    }

    private func finish(_ stats: ServerStats?) {
        guard !done else { return }
        done = true
        timer?.close()
        timer = nil
        connection?.close()
        connection = nil
        completion(stats)
    }
}
