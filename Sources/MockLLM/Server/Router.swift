/// Maps a method and path to what answers it. Built once from the provider table plus the
/// server's own endpoints; exact paths are a dictionary lookup, patterns are tried in order.
struct Router: Sendable {
    enum Target: Sendable {
        case endpoint(Endpoint, provider: any Provider.Type)
        case builtin(BuiltinEndpoint)
    }

    /// A class: a match hands out one reference instead of copying strings and closures.
    final class Route: Sendable {
        let method: String
        let pattern: PathPattern
        let target: Target

        init(method: String, pattern: PathPattern, target: Target) {
            self.method = method
            self.pattern = pattern
            self.target = target
        }
    }

    enum Match {
        case route(Route, parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    private var exact: [String: [Route]] = [:]
    private var patterned: [Route] = []
    private let providers: [any Provider.Type]

    init(providers: [any Provider.Type], builtins: [BuiltinEndpoint]) {
        self.providers = providers
        for provider in providers {
            for endpoint in provider.metadata.endpoints {
                add(Route(method: endpoint.method, pattern: PathPattern(endpoint.path), target: .endpoint(endpoint, provider: provider)))
            }
        }
        for builtin in builtins {
            add(Route(method: builtin.method, pattern: PathPattern(builtin.path), target: .builtin(builtin)))
        }
    }

    private mutating func add(_ route: Route) {
        if route.pattern.isLiteral {
            exact[route.pattern.text, default: []].append(route)
        } else {
            patterned.append(route)
        }
    }

    func match(method: String, path: String) -> Match {
        var allowed: [String] = []
        if let routes = exact[path] {
            if let route = routes.first(where: { $0.method == method || ($0.method == "GET" && method == "HEAD") }) {
                return .route(route, parameters: [:])
            }
            allowed = routes.map(\.method)
        }
        for route in patterned {
            guard let parameters = route.pattern.match(path) else { continue }
            if route.method == method || (route.method == "GET" && method == "HEAD") {
                return .route(route, parameters: parameters)
            }
            allowed.append(route.method)
        }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") { allowed.append("HEAD") }
        return .methodNotAllowed(allowed: allowed)
    }

    /// The provider whose error shape a request to `path` gets when no route answers it: the
    /// provider serving that path, else the one whose endpoints share the longest leading
    /// segments with it, else the first in the table.
    func errorProvider(forPath path: String) -> any Provider.Type {
        var best: (provider: any Provider.Type, score: Int)?
        let parts = path.split(separator: "/")
        for provider in providers {
            for endpoint in provider.metadata.endpoints {
                let shared = zip(parts, endpoint.path.split(separator: "/")).prefix { $0 == $1 }.count
                if shared > 1 && shared > (best?.score ?? 0) { best = (provider, shared) }
            }
        }
        return best?.provider ?? providers[0]
    }
}
