/// What the loop asks of the application: a `Reply` for each request. Implemented by the
/// Server layer; one instance per loop, called only on that loop's thread.
public protocol HTTPHandler: AnyObject {
    /// The reply to a complete, valid request.
    func reply(to request: HTTPRequest) -> Reply

    /// The reply to a request the parser refused (`error.target` is set when the request line
    /// was read, so the error can take the shape of the protocol addressed). The connection is
    /// closed after it.
    func reply(to error: HTTPParseError) -> Reply
}
