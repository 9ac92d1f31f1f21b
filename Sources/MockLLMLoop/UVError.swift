import CLibUV

/// A libuv error code with its message.
package struct UVError: Error, Equatable, Sendable, CustomStringConvertible {
    package var code: Int32
    /// What was being done, e.g. "bind 127.0.0.1:8000".
    package var operation: String

    package init(_ code: Int32, _ operation: String) {
        self.code = code
        self.operation = operation
    }

    package var name: String { String(cString: uv_err_name(code)) }
    package var message: String { String(cString: uv_strerror(code)) }
    package var description: String { "\(operation): \(message)" }

    package var isAddressInUse: Bool { code == UV_EADDRINUSE.rawValue }

    /// Throws when `code` is a libuv error (negative).
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(UVError) {
        if code < 0 { throw UVError(code, operation()) }
    }
}
