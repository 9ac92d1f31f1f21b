#if canImport(Glibc)
import Glibc
#endif

/// The glue between a loop and the providers: routes each request and returns its `Reply`.
/// One instance per loop, used only on that loop's thread.
public final class Application: HTTPHandler {
    /// The script new requests are answered from; replaced on reload.
    public var script: Script
    private var random: SeededRandom
    private let router: Router

    /// - Parameter seed: fixes ids and jitter for reproducible runs; nil seeds from the system.
    public init(script: Script, seed: UInt64? = nil, providers: [any Provider.Type] = providerTable) {
        self.script = script
        random = seed.map { SeededRandom(seed: $0) } ?? SeededRandom()
        router = Router(providers: providers, builtins: BuiltinEndpoint.all(providers: providers))
    }

    public func reply(to request: HTTPRequest) -> Reply {
        switch router.match(method: request.method, path: request.path) {
        case .route(let route, let parameters):
            switch route.target {
            case .builtin(let builtin):
                return builtin.reply(request)
            case .endpoint(let endpoint, _):
                var context = ProviderContext(script: script, now: time(nil), random: random, pathParameters: parameters)
                let reply = endpoint.handler(request, &context)
                random = context.random
                return reply
            }
        case .methodNotAllowed(let allowed):
            let list = allowed.joined(separator: ", ")
            return errorReply(for: request.path, APIError(
                status: 405, kind: .methodNotAllowed,
                message: "Method \(request.method) not allowed for \(request.path). Allowed: \(list).",
                headers: HTTPFields([HTTPFields.Field(name: "allow", value: list)])))
        case .notFound:
            return errorReply(for: request.path, APIError(
                status: 404, kind: .notFound, message: "Invalid URL (\(request.method) \(request.path))"))
        }
    }

    public func reply(to error: HTTPParseError) -> Reply {
        let path = error.target.map { HTTPRequest(method: "GET", target: $0).path } ?? "/"
        return errorReply(for: path, APIError(error))
    }

    private func errorReply(for path: String, _ error: APIError) -> Reply {
        router.errorProvider(forPath: path).errorReply(error)
    }
}
