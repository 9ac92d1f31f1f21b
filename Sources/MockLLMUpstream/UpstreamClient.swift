import CCurl
import MockLLMLoop

/// An HTTP/1.1 client for one loop, on libcurl's multi-socket interface: libcurl owns the
/// connections, TLS and proxies; the loop watches libcurl's sockets (`SocketPoll`) and keeps its
/// one timer (`LoopTimer`), so transfers run beside the server's connections on the same thread,
/// with no thread of their own (libcurl's threaded resolver aside, which reports through a socket).
///
/// Made on first use by whoever proxies: a server that never forwards a request never opens
/// libcurl (`UpstreamLibrary`), and on a machine without it only this initializer fails
/// (`.unavailable`). Confined to the loop's thread, like everything on the loop. `close()` it
/// before the loop ends (a worker's drain): its handles keep the loop alive while transfers run.
package final class UpstreamClient {
    package let configuration: UpstreamConfiguration
    private let loop: EventLoop
    private var multi: UnsafeMutableRawPointer?
    private var curlTimer: LoopTimer?
    private var polls: [Int32: SocketPoll] = [:]
    private var queue: [UpstreamTransfer] = []
    private var running: [ObjectIdentifier: UpstreamTransfer] = [:]
    /// Running transfers whose end was decided while libcurl was on the stack.
    private var deferred: [UpstreamTransfer] = []
    /// libcurl is on the stack (curl_multi_socket_action): libcurl's handles may not be added,
    /// removed or cleaned up until it returns.
    private var insideCurl = false
    private var closeRequested = false
    private var nextSerial = 0
    package private(set) var isClosed = false

    package init(loop: EventLoop, configuration: UpstreamConfiguration = UpstreamConfiguration()) throws(UpstreamFailure) {
        self.loop = loop
        self.configuration = configuration
        try UpstreamLibrary.load()  // opens libcurl on the process's first client
        guard let multi = mockllm_curl_multi_init() else { throw UpstreamFailure(.other, "curl_multi_init failed") }
        self.multi = multi
        let me = Unmanaged.passUnretained(self).toOpaque()
        _ = mockllm_curl_multi_socket_function(multi, upstreamSocketCallback)
        _ = mockllm_curl_multi_ptr(multi, CURLMOPT_SOCKETDATA, me)
        _ = mockllm_curl_multi_timer_function(multi, upstreamTimerCallback)
        _ = mockllm_curl_multi_ptr(multi, CURLMOPT_TIMERDATA, me)
        let timer = LoopTimer(loop: loop) { [weak self] in self?.curlTimerFired() }
        timer.unref()
        curlTimer = timer
    }

    deinit {
        if !isClosed { tearDown() }
    }

    /// Transfers running now.
    package var runningCount: Int { running.count }
    /// Transfers waiting for a slot (`maxConcurrentTransfers`).
    package var queuedCount: Int { queue.count }

    /// Starts `request` (or queues it behind `maxConcurrentTransfers`). The handler hears nothing
    /// before this returns, except on a closed client: then the transfer has already ended,
    /// `.closed`.
    @discardableResult
    package func send(_ request: UpstreamRequest, to handler: any UpstreamHandler) -> UpstreamTransfer {
        nextSerial += 1
        let transfer = UpstreamTransfer(serial: nextSerial, request: request, handler: handler, client: self)
        if isClosed || closeRequested {
            deliverEnd(transfer, .failure(UpstreamFailure(.closed, "the upstream client is closed")))
            return transfer
        }
        queue.append(transfer)
        if !insideCurl { admit() }
        return transfer
    }

    /// Ends every transfer (`.closed`, in the order they were sent), closes libcurl's connections
    /// and the loop handles. From inside a handler's head or body callback it happens as soon as
    /// libcurl hands control back; otherwise before this returns.
    package func close() {
        if isClosed { return }
        if insideCurl {
            closeRequested = true
            return
        }
        tearDown()
    }

    // MARK: transfers

    var now: UInt64 { loop.nowMilliseconds }

    /// May libcurl keep delivering `transfer`'s response? (No once it is cancelled, timed out or
    /// the client is closing: the callback then stops libcurl.)
    func accepts(_ transfer: UpstreamTransfer) -> Bool {
        transfer.state == .running && transfer.pendingEnd == nil && !closeRequested && !isClosed
    }

    func cancel(_ transfer: UpstreamTransfer) {
        end(transfer, .failure(UpstreamFailure(.cancelled, "cancelled")))
    }

    /// Ends a transfer from our side (cancel, a deadline).
    private func end(_ transfer: UpstreamTransfer, _ end: UpstreamEnd) {
        switch transfer.state {
        case .ended:
            return
        case .queued:
            if let index = queue.firstIndex(where: { $0 === transfer }) { queue.remove(at: index) }
            deliverEnd(transfer, end)
        case .running:
            if transfer.pendingEnd != nil { return }
            transfer.pendingEnd = end
            if insideCurl {
                deferred.append(transfer)
            } else {
                detach(transfer)
                deliverEnd(transfer, end)
            }
        }
    }

    func headArrived(_ transfer: UpstreamTransfer) {
        transfer.lastActivity = now
        if configuration.idleTimeout > 0 {
            transfer.timer?.start(after: configuration.idleTimeout)
        } else {
            transfer.timer?.stop()
        }
    }

    private func deadlineCheck(_ transfer: UpstreamTransfer) {
        guard transfer.state == .running, transfer.pendingEnd == nil else { return }
        let now = self.now
        let (due, phase, limit): (UInt64, UpstreamFailure.TimeoutPhase, UInt64) =
            transfer.headDelivered
            ? (transfer.lastActivity &+ configuration.idleTimeout, .idle, configuration.idleTimeout)
            : (transfer.startedAt &+ configuration.firstByteTimeout, .firstByte, configuration.firstByteTimeout)
        guard limit > 0 else { return }
        if now < due {
            transfer.timer?.start(after: due - now)
            return
        }
        let what = phase == .idle ? "no data for" : "no response head within"
        end(transfer, .failure(UpstreamFailure(.timeout(phase), "\(what) \(limit) ms")))
    }

    /// Starts queued transfers while there are free slots.
    private func admit() {
        while !isClosed, !closeRequested, running.count < configuration.maxConcurrentTransfers, !queue.isEmpty {
            let transfer = queue.removeFirst()
            transfer.state = .running
            running[ObjectIdentifier(transfer)] = transfer
            transfer.startedAt = now
            if let failure = setUp(transfer) {
                transfer.pendingEnd = .failure(failure)
                deferred.append(transfer)
                curlTimer?.start(after: 0)  // delivered from the loop, not from inside send
                continue
            }
            if configuration.firstByteTimeout > 0 || configuration.idleTimeout > 0 {
                let timer = LoopTimer(loop: loop) { [weak self, weak transfer] in
                    if let self, let transfer { self.deadlineCheck(transfer) }
                }
                transfer.timer = timer
                if configuration.firstByteTimeout > 0 { timer.start(after: configuration.firstByteTimeout) }
            }
        }
        updateLiveness()
    }

    /// Makes the easy handle for `transfer` and adds it to the multi handle.
    private func setUp(_ transfer: UpstreamTransfer) -> UpstreamFailure? {
        guard let multi, let request = transfer.request else { return UpstreamFailure(.closed, "the upstream client is closed") }
        transfer.request = nil
        guard let easy = mockllm_curl_easy_init() else { return UpstreamFailure(.other, "curl_easy_init failed") }
        transfer.easy = easy
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        transfer.errorBuffer = errorBuffer
        let me = Unmanaged.passUnretained(transfer).toOpaque()
        var rc = CURLE_OK
        func set(_ code: CURLcode) { if rc == CURLE_OK { rc = code } }
        set(mockllm_curl_easy_string(easy, CURLOPT_URL, request.url))
        set(mockllm_curl_easy_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer))
        set(mockllm_curl_easy_ptr(easy, CURLOPT_PRIVATE, me))
        set(mockllm_curl_easy_long(easy, CURLOPT_NOSIGNAL, 1))
        set(mockllm_curl_easy_string(easy, CURLOPT_PROTOCOLS_STR, "http,https"))
        set(mockllm_curl_easy_long(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1))
        set(mockllm_curl_easy_long(easy, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1))
        set(mockllm_curl_easy_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(clamping: configuration.connectTimeout)))
        set(mockllm_curl_easy_long(easy, CURLOPT_TCP_KEEPALIVE, 1))
        set(mockllm_curl_easy_long(easy, CURLOPT_SSL_VERIFYPEER, 1))
        set(mockllm_curl_easy_long(easy, CURLOPT_SSL_VERIFYHOST, 2))
        if let caFile = configuration.caFile {
            set(mockllm_curl_easy_string(easy, CURLOPT_CAINFO, caFile))
            set(mockllm_curl_easy_string(easy, CURLOPT_CAPATH, nil))  // only the given file
        }
        switch configuration.proxy {
        case .environment: break
        case .none: set(mockllm_curl_easy_string(easy, CURLOPT_PROXY, ""))
        case .url(let url):
            set(mockllm_curl_easy_string(easy, CURLOPT_PROXY, url))
            set(mockllm_curl_easy_string(easy, CURLOPT_NOPROXY, ""))
        }
        set(mockllm_curl_easy_write_function(easy, CURLOPT_HEADERFUNCTION, upstreamHeaderCallback))
        set(mockllm_curl_easy_ptr(easy, CURLOPT_HEADERDATA, me))
        set(mockllm_curl_easy_write_function(easy, CURLOPT_WRITEFUNCTION, upstreamWriteCallback))
        set(mockllm_curl_easy_ptr(easy, CURLOPT_WRITEDATA, me))

        let method = request.method.uppercased()
        switch method {
        case "GET" where request.body.isEmpty:
            set(mockllm_curl_easy_long(easy, CURLOPT_HTTPGET, 1))
        case "HEAD":
            set(mockllm_curl_easy_long(easy, CURLOPT_NOBODY, 1))
        default:
            if method == "POST" || !request.body.isEmpty {
                set(mockllm_curl_easy_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
                if request.body.isEmpty {
                    set(mockllm_curl_easy_string(easy, CURLOPT_COPYPOSTFIELDS, ""))
                } else {
                    set(request.body.withUnsafeBytes { mockllm_curl_easy_ptr(easy, CURLOPT_COPYPOSTFIELDS, $0.baseAddress) })
                }
            }
            if method != "POST" { set(mockllm_curl_easy_string(easy, CURLOPT_CUSTOMREQUEST, method)) }
        }

        var list: UnsafeMutablePointer<curl_slist>?
        var given = Set<String>()
        for (name, value) in request.headers {
            let lower = name.lowercased()
            if framingHeaders.contains(lower) { continue }
            given.insert(lower)
            // "Name;" is how libcurl is told to send a header with an empty value.
            list = mockllm_curl_slist_append(list, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        // Remove what libcurl would add on its own (an empty "Name:" removes its header).
        for name in ["Accept", "Content-Type", "Expect"] where !given.contains(name.lowercased()) {
            list = mockllm_curl_slist_append(list, "\(name):")
        }
        transfer.headerList = list
        set(mockllm_curl_easy_slist(easy, CURLOPT_HTTPHEADER, list))
        if rc != CURLE_OK {
            return UpstreamFailure(.other, "curl_easy_setopt: \(String(cString: mockllm_curl_easy_strerror(rc)))", curlCode: Int(rc.rawValue))
        }
        let added = mockllm_curl_multi_add_handle(multi, easy)
        if added != CURLM_OK {
            return UpstreamFailure(.other, "curl_multi_add_handle: \(String(cString: mockllm_curl_multi_strerror(added)))")
        }
        return nil
    }

    /// Takes `transfer` out of libcurl and frees what it held. Never called with libcurl on the stack.
    private func detach(_ transfer: UpstreamTransfer) {
        if let easy = transfer.easy {
            if let multi { mockllm_curl_multi_remove_handle(multi, easy) }
            mockllm_curl_easy_cleanup(easy)
            transfer.easy = nil
        }
        if let list = transfer.headerList {
            mockllm_curl_slist_free_all(list)
            transfer.headerList = nil
        }
        transfer.errorBuffer?.deallocate()
        transfer.errorBuffer = nil
        transfer.timer?.close()
        transfer.timer = nil
        running[ObjectIdentifier(transfer)] = nil
        updateLiveness()
    }

    private func deliverEnd(_ transfer: UpstreamTransfer, _ end: UpstreamEnd) {
        transfer.state = .ended
        transfer.request = nil
        let handler = transfer.handler
        transfer.handler = nil
        handler?.upstream(transfer, didEnd: end)
    }

    // MARK: driving libcurl from the loop

    private func drive(socket: curl_socket_t, flags: Int32) {
        guard let multi, !insideCurl else { return }
        insideCurl = true
        var stillRunning: Int32 = 0
        _ = mockllm_curl_multi_socket_action(multi, socket, flags, &stillRunning)
        insideCurl = false
        afterCurl()
    }

    /// What waited for libcurl to return: a close, finished transfers, ends decided meanwhile,
    /// transfers sent meanwhile.
    private func afterCurl() {
        if closeRequested { return tearDown() }
        collectFinished()
        while !deferred.isEmpty, !isClosed {
            let transfer = deferred.removeFirst()
            guard transfer.state == .running, let end = transfer.pendingEnd else { continue }
            detach(transfer)
            deliverEnd(transfer, end)
        }
        if !isClosed { admit() }
    }

    private func collectFinished() {
        while let multi {
            var left: Int32 = 0
            guard let message = mockllm_curl_multi_info_read(multi, &left) else { return }
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = mockllm_curl_msg_result(message)
            var pointer: UnsafeMutablePointer<CChar>?
            _ = mockllm_curl_info_ptr(easy, CURLINFO_PRIVATE, &pointer)
            guard let pointer else { continue }
            let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(UnsafeMutableRawPointer(pointer)).takeUnretainedValue()
            guard transfer.state == .running else { continue }
            let end = transfer.pendingEnd ?? classify(code, transfer)
            detach(transfer)
            deliverEnd(transfer, end)
        }
    }

    private func classify(_ code: CURLcode, _ transfer: UpstreamTransfer) -> UpstreamEnd {
        if code == CURLE_OK {
            return transfer.headDelivered ? .success : .failure(UpstreamFailure(.other, "no response head"))
        }
        var message = transfer.errorBuffer.map { String(cString: $0) } ?? ""
        if message.isEmpty { message = String(cString: mockllm_curl_easy_strerror(code)) }
        return .failure(UpstreamFailure(failureKind(code), message, curlCode: Int(code.rawValue)))
    }

    private func curlTimerFired() {
        drive(socket: CURL_SOCKET_BAD, flags: 0)  // CURL_SOCKET_TIMEOUT is CURL_SOCKET_BAD
    }

    fileprivate func socketChanged(_ socket: curl_socket_t, what: Int32) -> Int32 {
        if what == CURL_POLL_REMOVE {
            polls.removeValue(forKey: socket)?.close()
            return 0
        }
        let poll: SocketPoll
        if let existing = polls[socket] {
            poll = existing
        } else {
            guard let made = try? SocketPoll(loop: loop, socket: socket) else { return -1 }
            made.delegate = self
            polls[socket] = made
            poll = made
        }
        var events: SocketEvents = []
        if what & CURL_POLL_IN != 0 { events.insert(.readable) }
        if what & CURL_POLL_OUT != 0 { events.insert(.writable) }
        do { try poll.watch(events) } catch { return -1 }
        return 0
    }

    fileprivate func timerChanged(_ milliseconds: Int) {
        guard let curlTimer else { return }
        if milliseconds < 0 { curlTimer.stop() } else { curlTimer.start(after: UInt64(milliseconds)) }
    }

    /// libcurl's timer keeps the loop alive only while there are transfers.
    private func updateLiveness() {
        if running.isEmpty && queue.isEmpty { curlTimer?.unref() } else { curlTimer?.ref() }
    }

    private func tearDown() {
        if isClosed { return }
        isClosed = true
        closeRequested = false
        let inFlight = running.values.sorted { $0.serial < $1.serial }
        let waiting = queue
        queue = []
        deferred = []
        for transfer in inFlight { detach(transfer) }
        for poll in polls.values { poll.close() }
        polls = [:]
        if let multi {
            // No callbacks into a client that is going away: libcurl closes its cached connections now.
            _ = mockllm_curl_multi_socket_function(multi, nil)
            _ = mockllm_curl_multi_timer_function(multi, nil)
            mockllm_curl_multi_cleanup(multi)
            self.multi = nil
        }
        curlTimer?.close()
        curlTimer = nil
        for transfer in inFlight + waiting {
            deliverEnd(transfer, transfer.pendingEnd ?? .failure(UpstreamFailure(.closed, "the upstream client was closed")))
        }
    }
}

extension UpstreamClient: SocketPollDelegate {
    package func socketPoll(_ poll: SocketPoll, events: SocketEvents, error: UVError?) {
        var flags: Int32 = 0
        if events.contains(.readable) { flags |= CURL_CSELECT_IN }
        if events.contains(.writable) { flags |= CURL_CSELECT_OUT }
        if error != nil { flags |= CURL_CSELECT_ERR }
        drive(socket: poll.descriptor, flags: flags)
    }
}

/// Headers that frame the message or the connection: libcurl's to write.
private let framingHeaders: Set<String> = [
    "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te", "upgrade", "expect",
]

/// Which kind of failure a `CURLcode` is.
func failureKind(_ code: CURLcode) -> UpstreamFailure.Kind {
    switch code {
    case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
        return .dns
    case CURLE_COULDNT_CONNECT, CURLE_PROXY:
        return .connect
    case CURLE_OPERATION_TIMEDOUT:
        // No overall CURLOPT_TIMEOUT is set and the first-byte and idle deadlines are ours, so
        // libcurl's only deadline is the connect phase's.
        return .timeout(.connect)
    case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
        CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
        CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
        CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED:
        return .tls
    case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_HTTP2, CURLE_HTTP2_STREAM:
        return .cut
    default:
        return .other
    }
}

private func upstreamSocketCallback(
    _ easy: UnsafeMutableRawPointer?, _ socket: curl_socket_t, _ what: Int32,
    _ user: UnsafeMutableRawPointer?, _ socketData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let user else { return -1 }
    return Unmanaged<UpstreamClient>.fromOpaque(user).takeUnretainedValue().socketChanged(socket, what: what)
}

private func upstreamTimerCallback(_ multi: UnsafeMutableRawPointer?, _ milliseconds: Int, _ user: UnsafeMutableRawPointer?) -> Int32 {
    guard let user else { return -1 }
    // Only (re)arms the loop's timer: libcurl may not be called back from inside this callback.
    Unmanaged<UpstreamClient>.fromOpaque(user).takeUnretainedValue().timerChanged(milliseconds)
    return 0
}
