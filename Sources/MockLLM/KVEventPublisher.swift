import MockLLMCore
import MockLLMLoop
import MockLLMScript

/// vLLM's `ZmqEventPublisher` (`vllm/distributed/kv_events.py`), on an engine's own loop: a
/// ZeroMQ PUB socket spoken directly (ZMTP 3.1, NULL mechanism: `ZMTP`) on the loop's TCP, so
/// publishing is a non-blocking write from the engine's thread and needs no libzmq. Each batch
/// is one multipart message, `[topic, sequence number (8 bytes, big-endian, from 0), msgpack
/// payload]`, sent to every subscriber whose subscription is a prefix of the topic (ZeroMQ's
/// PUB filters so). A subscriber that does not read falls behind; past `maxQueuedBytes`
/// unsent it misses messages until it catches up, as a PUB socket drops at its high-water
/// mark. With a replay endpoint, a ROUTER socket answers a request `[empty, start sequence
/// (8 bytes)]` (a REQ socket's) with every buffered batch from that number on, each `[empty,
/// sequence, payload]`, then `[empty, -1 (8 bytes), empty]`, from the last `bufferSteps` batches.
final class KVEventPublisher {
    private(set) var port = 0
    private(set) var replayPort: Int?
    private let loop: EventLoop
    private let topic: [UInt8]
    private let bufferSteps: Int
    private let maxQueuedBytes: Int
    private let readBuffer = SharedReadBuffer()
    private var listener: TCPListener?
    private var replayListener: TCPListener?
    private var peers: [ObjectIdentifier: ZMTPPeer] = [:]
    private var sequence: UInt64 = 0
    private var buffer: [(UInt64, [UInt8])] = []
    private(set) var closed = false

    /// Binds on the loop's thread (the engine's, before it runs).
    init(loop: EventLoop, endpoint: KVEndpoint, replay: KVEndpoint?, topic: String, bufferSteps: Int, hwm: Int) throws(UVError) {
        self.loop = loop
        self.topic = Array(topic.utf8)
        self.bufferSteps = bufferSteps
        // vLLM's high-water mark counts messages; a batch is a few hundred bytes.
        maxQueuedBytes = max(hwm, 1) * 1024
        do throws(UVError) {
            let listener = try TCPListener(loop: loop, host: endpoint.host, port: endpoint.port, backlog: 128, reusePort: false) {
                [unowned self] listener in self.accept(from: listener, router: false)
            }
            self.listener = listener
            port = listener.port
            if let replay {
                let replayListener = try TCPListener(loop: loop, host: replay.host, port: replay.port, backlog: 128, reusePort: false) {
                    [unowned self] listener in self.accept(from: listener, router: true)
                }
                self.replayListener = replayListener
                replayPort = replayListener.port
            }
        } catch {
            close()
            throw error
        }
    }

    private func accept(from listener: TCPListener, router: Bool) {
        let stream = TCPStream(loop: loop, readBuffer: readBuffer)
        do {
            try stream.accept(from: listener)
        } catch {
            stream.close()
            return
        }
        let peer = ZMTPPeer(stream: stream, publisher: self, router: router)
        stream.delegate = peer
        peers[ObjectIdentifier(peer)] = peer
        peer.start()
    }

    fileprivate func peerClosed(_ peer: ZMTPPeer) {
        peers[ObjectIdentifier(peer)] = nil
    }

    /// Publishes one batch's payload; the next sequence number is its.
    func publish(_ payload: [UInt8]) {
        guard !closed else { return }
        let number = sequence
        sequence += 1
        let message = ZMTP.message([topic, Self.bigEndian(number), payload])
        for peer in peers.values where !peer.router && peer.wants(topic) {
            peer.send(message, unlessQueuedOver: maxQueuedBytes)
        }
        if replayListener != nil {
            buffer.append((number, payload))
            // The oldest dropped in halves: amortized O(1) per batch.
            if buffer.count >= 2 * bufferSteps { buffer.removeFirst(buffer.count - bufferSteps) }
        }
    }

    fileprivate func replay(from start: UInt64, to peer: ZMTPPeer) {
        var out: [UInt8] = []
        for (number, payload) in buffer.suffix(bufferSteps) where number >= start {
            out += ZMTP.message([[], Self.bigEndian(number), payload])
        }
        out += ZMTP.message([[], Self.bigEndian(UInt64.max), []])   // -1: the end
        peer.send(out, unlessQueuedOver: .max)
    }

    /// Closes the sockets and every connection (the engine stops, or another takes the endpoint).
    func close() {
        guard !closed else { return }
        closed = true
        listener?.close()
        replayListener?.close()
        listener = nil
        replayListener = nil
        for peer in peers.values { peer.stream.close() }
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> UInt64(56 - 8 * $0)) }
    }
}

/// One connection to the publisher: a subscriber (PUB side) or a replay client (ROUTER side).
private final class ZMTPPeer: TCPStreamDelegate {
    let stream: TCPStream
    let router: Bool
    private unowned let publisher: KVEventPublisher
    private var reader: ZMTPReader
    private var ready = false
    private var subscriptions: [[UInt8]] = []

    init(stream: TCPStream, publisher: KVEventPublisher, router: Bool) {
        self.stream = stream
        self.publisher = publisher
        self.router = router
        reader = ZMTPReader(readsSubscriptions: !router)
    }

    func start() {
        do {
            try stream.startReading()
            // Both sides send their greeting and READY at once (NULL needs no reply first).
            send(ZMTP.greeting() + ZMTP.ready([("Socket-Type", Array((router ? "ROUTER" : "PUB").utf8))]), unlessQueuedOver: .max)
        } catch {
            stream.close()
        }
    }

    /// A subscription is a prefix of `topic` (the empty one matches every topic).
    func wants(_ topic: [UInt8]) -> Bool {
        ready && subscriptions.contains { topic.starts(with: $0) }
    }

    func send(_ bytes: [UInt8], unlessQueuedOver limit: Int) {
        guard !stream.isClosing, stream.writeQueueSize <= limit else { return }
        let written = bytes.withUnsafeBytes { raw -> Bool in
            do throws(UVError) {
                try stream.write(raw)
                return true
            } catch {
                return false
            }
        }
        if !written { stream.close() }
    }

    func streamDidRead(_ bytes: UnsafeRawBufferPointer) {
        let inputs: [ZMTPInput]
        do {
            inputs = try reader.read(bytes)
        } catch {
            stream.close()
            return
        }
        for input in inputs {
            switch input {
            case .greeting: break
            case .ready(let properties):
                let type = properties["socket-type"].map { String(decoding: $0, as: UTF8.self) } ?? ""
                // ZeroMQ's valid pairs: PUB with SUB or XSUB, ROUTER with REQ, DEALER or ROUTER.
                let valid = router ? ["REQ", "DEALER", "ROUTER"].contains(type) : ["SUB", "XSUB"].contains(type)
                guard valid else { return stream.close() }
                ready = true
            case .subscribe(let prefix):
                if !subscriptions.contains(prefix) { subscriptions.append(prefix) }
            case .cancel(let prefix):
                if let index = subscriptions.firstIndex(of: prefix) { subscriptions.remove(at: index) }
            case .ping(let context):
                send(ZMTP.pong(context: context), unlessQueuedOver: .max)
            case .command:
                break
            case .message(let parts):
                // A replay request, as a REQ socket sends it: an empty delimiter, then the number.
                guard router, ready, parts.count == 2, parts[0].isEmpty, parts[1].count == 8 else { continue }
                publisher.replay(from: parts[1].reduce(0) { $0 << 8 | UInt64($1) }, to: self)
            }
        }
    }

    func streamDidReachEnd(error: UVError?) { stream.close() }
    func streamDidWrite(error: UVError?) { if error != nil { stream.close() } }
    func streamTimerFired() {}
    func streamDidClose() { publisher.peerClosed(self) }
}
