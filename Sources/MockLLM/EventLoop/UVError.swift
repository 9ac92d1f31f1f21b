import CLibUV

/// A libuv error code with its message.
public struct UVError: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: Int32
    /// What was being done, e.g. "bind 127.0.0.1:8000".
    public var operation: String

    public init(_ code: Int32, _ operation: String) {
        self.code = code
        self.operation = operation
    }

    public var name: String { String(cString: uv_err_name(code)) }
    public var message: String { String(cString: uv_strerror(code)) }
    public var description: String { "\(operation): \(message)" }

    public var isAddressInUse: Bool { code == UV_EADDRINUSE.rawValue }

    /// Throws when `code` is a libuv error (negative).
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws(UVError) {
        if code < 0 { throw UVError(code, operation()) }
    }
}
