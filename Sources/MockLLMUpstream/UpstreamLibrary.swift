import CCurl

/// libcurl, opened at run time (CCurl's shim.c): the server binary does not link it, so a machine
/// without libcurl runs everything but the upstream client, and the first `UpstreamClient` says
/// what is missing.
package enum UpstreamLibrary {
    /// The file opened: `libcurl.so.4`, the soname of libcurl's ABI since 7.16 (Debian and
    /// Ubuntu's `libcurl4`, Fedora's `libcurl`, Alpine's `libcurl`); `libcurl.4.dylib` on macOS.
    package static var defaultName: String { String(cString: mockllm_curl_library_name()) }

    /// The oldest libcurl the client works with (`CURLOPT_PROTOCOLS_STR` is 7.85.0's).
    package static let minimumVersion = MOCKLLM_CURL_MIN_VERSION

    /// Opens `defaultName` once per process, checks it (every function the client calls, the
    /// version) and runs `curl_global_init`. Thread-safe; every call reports the first call's
    /// outcome, so a missing libcurl stays missing until the process restarts.
    static func load() throws(UpstreamFailure) {
        var detail: UnsafePointer<CChar>?
        let status = mockllm_curl_load(&detail)
        if let failure = failure(Int(status), name: defaultName, detail: detail.map { String(cString: $0) } ?? "") {
            throw failure
        }
    }

    /// libcurl's version (`curl_version_info`), once an `UpstreamClient` has been made.
    package static var version: String? {
        var detail: UnsafePointer<CChar>?
        guard Int(mockllm_curl_load(&detail)) == Int(MOCKLLM_CURL_LOADED) else { return nil }
        return String(cString: mockllm_curl_version())
    }

    /// The checks `load()` makes, on the library `name` (a soname or a path), which is closed
    /// again: neither kept nor initialised. The process's own libcurl is unaffected.
    package static func check(_ name: String) throws(UpstreamFailure) {
        var buffer = [CChar](repeating: 0, count: 512)
        let status = mockllm_curl_check(name, &buffer, buffer.count)
        let detail = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        if let failure = failure(Int(status), name: name, detail: detail) { throw failure }
    }

    private static func failure(_ status: Int, name: String, detail: String) -> UpstreamFailure? {
        let message: String
        switch status {
        case Int(MOCKLLM_CURL_LOADED):
            return nil
        case Int(MOCKLLM_CURL_NO_LIBRARY):
            message = "record mode needs libcurl \(minimumVersion) or newer, and \(name) could not be loaded: "
                + "install libcurl4 (Debian, Ubuntu) or libcurl (Fedora, Alpine) (dlopen: \(detail))"
        case Int(MOCKLLM_CURL_NO_SYMBOL):
            message = "record mode needs libcurl \(minimumVersion) or newer, and \(name) lacks a function "
                + "the client calls: \(detail)"
        case Int(MOCKLLM_CURL_TOO_OLD):
            message = "record mode needs libcurl \(minimumVersion) or newer; \(name) is \(detail): upgrade libcurl4"
        case Int(MOCKLLM_CURL_INIT_FAILED):
            message = "curl_global_init failed: \(detail)"
        default:
            message = "libcurl: unknown loader status \(status) (\(detail))"
        }
        return UpstreamFailure(.unavailable, message)
    }
}
