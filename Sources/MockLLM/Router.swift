import MockLLMCore
import MockLLMProviders

/// Maps a method and path to what answers it. Built once from the provider table plus the
/// server's own endpoints. Exact paths are compared with those of the same length, then a
/// method's prebuilt list; patterns (`/v1/models/{model}`) with as many segments as the path
/// are tried in table order, on the path's bytes.
///
/// Several providers may serve the same method and path (`GET /v1/models` is OpenAI's and
/// Anthropic's); the router returns them all and the application picks one per request.
package struct Router: Sendable {
    enum Target: Sendable {
        case endpoint(Endpoint, provider: ServedProvider, states: ProviderStates)
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

        var provider: ServedProvider? {
            if case .endpoint(_, let provider, _) = target { return provider }
            return nil
        }
    }

    enum Match {
        /// One or more routes for this method and path, in table order.
        case routes([Route], parameters: [String: String])
        case methodNotAllowed(allowed: [String])
        case notFound
    }

    /// The routes of one literal path, by method. A short list scanned in order: with the
    /// parser sharing these path strings, comparing is cheaper than hashing.
    private struct LiteralPath {
        var path: String
        var byMethod: [(method: String, routes: [Route])]
    }

    private var exact: [LiteralPath] = []
    /// Indices into `exact` by the path's length in bytes: a path is compared only with those
    /// it could equal (a path the parser shares is the same string, and compares at once).
    private var exactByLength: [[Int]] = []
    /// The patterns by their number of segments, each list in table order: a path is tried only
    /// against the patterns that can match it.
    private var patternsBySegmentCount: [[Route]] = []
    /// Beside each of those, the byte length of the pattern's first segment when it is literal
    /// (-1 when it is a parameter): most patterns are passed over on it, without reading the route.
    private var firstLengthsBySegmentCount: [[Int]] = []
    let providers: [ServedProvider]
    /// Every way the providers' clients send an API key.
    let keySources: [APIKeySource]

    /// - Parameter states: the server's provider states; each provider's routes hand its handlers
    ///   the ones it names.
    init(providers: [ServedProvider], builtins: [BuiltinEndpoint], states: ProviderStates = ProviderStates()) {
        self.providers = providers
        keySources = APIKeySource.all(of: providers)
        for provider in providers {
            let own = states.of(provider)
            for endpoint in provider.metadata.endpoints {
                add(Route(method: endpoint.method, pattern: PathPattern(endpoint.path),
                          target: .endpoint(endpoint, provider: provider, states: own)))
            }
        }
        for builtin in builtins {
            add(Route(method: builtin.method, pattern: PathPattern(builtin.path), target: .builtin(builtin)))
        }
    }

    /// Every literal path, for the request parser to share instead of copying.
    var literalPaths: [String] { exact.map(\.path) }

    private mutating func add(_ route: Route) {
        if route.pattern.isLiteral {
            let path = route.pattern.text
            guard let p = exact.firstIndex(where: { $0.path == path }) else {
                let length = path.utf8.count
                if exactByLength.count <= length { exactByLength += Array(repeating: [], count: length + 1 - exactByLength.count) }
                exactByLength[length].append(exact.count)
                exact.append(LiteralPath(path: path, byMethod: [(route.method, [route])]))
                return
            }
            if let m = exact[p].byMethod.firstIndex(where: { $0.method == route.method }) {
                exact[p].byMethod[m].routes.append(route)
            } else {
                exact[p].byMethod.append((route.method, [route]))
            }
        } else {
            let count = route.pattern.segments.count
            if patternsBySegmentCount.count <= count {
                patternsBySegmentCount += Array(repeating: [], count: count + 1 - patternsBySegmentCount.count)
                firstLengthsBySegmentCount += Array(repeating: [], count: count + 1 - firstLengthsBySegmentCount.count)
            }
            patternsBySegmentCount[count].append(route)
            let firstLength = if case .literal(let first)? = route.pattern.segments.first { first.utf8.count } else { -1 }
            firstLengthsBySegmentCount[count].append(firstLength)
        }
    }

    func match(method: String, path: String) -> Match {
        let lookup = method == "HEAD" ? "GET" : method
        var allowed: [String] = []
        let length = path.utf8.count
        if length < exactByLength.count {
            for p in exactByLength[length] where exact[p].path == path {
                for entry in exact[p].byMethod where entry.method == lookup { return .routes(entry.routes, parameters: [:]) }
                allowed = exact[p].byMethod.map(\.method).sorted()
                break
            }
        }
        var found: [Route] = []
        var parameters: [String: String] = [:]
        var path = path
        path.withUTF8 { bytes in
            let count = PathPattern.segmentCount(of: bytes)
            guard count < patternsBySegmentCount.count else { return }
            let first = bytes.firstIndex(of: UInt8(ascii: "/")).map { slash in
                (bytes[(slash + 1)...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.count) - slash - 1
            } ?? -2
            let routes = patternsBySegmentCount[count]
            for (k, firstLength) in firstLengthsBySegmentCount[count].enumerated() where firstLength == first || firstLength < 0 {
                let route = routes[k]
                guard route.pattern.matches(bytes) else { continue }
                if route.method == lookup {
                    if found.isEmpty { parameters = route.pattern.parameters(bytes) }
                    found.append(route)
                } else if !allowed.contains(route.method) {
                    allowed.append(route.method)
                }
            }
        }
        if !found.isEmpty { return .routes(found, parameters: parameters) }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") { allowed.append("HEAD") }
        allowed.append("OPTIONS")
        return .methodNotAllowed(allowed: allowed)
    }

    /// Every method served on `path` (for CORS preflight and `Allow`), or nil when no route has it.
    func methods(for path: String) -> [String]? {
        switch match(method: "\u{0}", path: path) {
        case .methodNotAllowed(let allowed): allowed
        case .routes, .notFound: nil
        }
    }

    /// The provider whose error shape a request gets when no route answers it: one that claims
    /// the request by its headers, else the provider serving that path, else the one whose
    /// endpoints share the longest leading segments with it, else the first in the table.
    func errorProvider(for request: HTTPRequest?, path: String) -> ServedProvider {
        if let request, let claimant = providers.first(where: { $0.claims(request) }) { return claimant }
        var best: (provider: ServedProvider, score: Int)?
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
