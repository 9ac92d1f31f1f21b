import MockLLMCore
import MockLLMScript
import MockLLMSimulation

/// `GET /_mockllm/ui`: the dashboard, one self-contained HTML page (`DashboardPage.html`, inline
/// CSS and JavaScript, nothing fetched from elsewhere) compiled into the binary. The page polls
/// the admin API about once a second and does all the arithmetic itself (rates from counters,
/// histogram windows, the gauges' history), so the server renders nothing per request for it,
/// and an unopened dashboard costs nothing at all: no endpoint here runs on a provider
/// request's path.
///
/// Under `--admin-token` a browser cannot send a header when it navigates, so this one endpoint
/// also accepts the token as `?token=TOKEN`; the page then drops it from the address bar, keeps
/// it in the tab's `sessionStorage` and sends it as `Authorization: Bearer` on its own requests.
enum Dashboard {
    static let endpoints: [BuiltinEndpoint] = [
        BuiltinEndpoint(method: "GET", path: "/_mockllm/ui", tokenInQuery: true) { request, _ in page(request) },
        BuiltinEndpoint(method: "GET", path: "/_mockllm/rules") { _, app in Reply.json(200, rules(app.script)) },
    ]

    static let html = ByteBuffer(DashboardPage.html)

    /// A strong validator of the page's bytes: the first 16 bytes of their SHA-256 in hex,
    /// computed once. The page changes only with the binary, so a browser revalidates
    /// (`no-cache`) and gets a 304 without a body.
    static let etag: String = {
        let digest = SHA256.hash(Array(DashboardPage.html.utf8)).prefix(16)
        return "\"" + digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() + "\""
    }()

    /// The page, or a 304 when the browser's copy (`If-None-Match`) is this build's.
    static func page(_ request: HTTPRequest) -> Reply {
        var headers = HTTPFields([
            HTTPFields.Field(name: "etag", value: etag),
            // private: the page is behind the admin token; no-cache: always revalidated (a 304 is cheap).
            HTTPFields.Field(name: "cache-control", value: "private, no-cache"),
            HTTPFields.Field(name: "x-content-type-options", value: "nosniff"),
            // The page runs its own inline script and style, and talks only to this server.
            HTTPFields.Field(name: "content-security-policy",
                             value: "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
            HTTPFields.Field(name: "referrer-policy", value: "no-referrer"),
        ])
        if matches(request.headers.values(of: "if-none-match")) {
            return Reply(status: 304, headers: headers, body: .bytes(ByteBuffer(), delay: 0))
        }
        headers.append(name: "content-type", value: "text/html; charset=utf-8")
        return Reply(status: 200, headers: headers, body: .bytes(html, delay: 0))
    }

    /// RFC 9110 13.1.2: `If-None-Match` is `*` or a list of entity tags, compared weakly.
    static func matches(_ values: [String]) -> Bool {
        let ours = etag
        for value in values {
            for tag in value.split(separator: ",") {
                var tag = tag.trimmingWhitespace()
                if tag == "*" { return true }
                if tag.hasPrefix("W/") { tag = tag.dropFirst(2) }
                if tag == ours { return true }
            }
        }
        return false
    }

    /// `GET /_mockllm/rules`: `{"rules":[{"name","line","times","matched","answered","fault"}]}`
    /// in the script's order. `matched` counts the requests the rule's conditions took (the
    /// counter its sequences and `{{count}}` use), `answered` those it answered (at most `times`).
    static func rules(_ script: Script) -> ByteBuffer {
        var out = ByteBuffer(capacity: 32 + script.rules.count * 96)
        out.append(ascii: "{\"rules\":[")
        for (i, rule) in script.rules.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            let matched = rule.matched
            out.append(ascii: "{\"name\":")
            out.append(jsonString: rule.name)
            out.append(ascii: ",\"line\":")
            out.append(decimal: rule.line)
            out.append(ascii: ",\"times\":")
            if let times = rule.times { out.append(decimal: times) } else { out.append(ascii: "null") }
            out.append(ascii: ",\"matched\":")
            out.append(decimal: matched)
            out.append(ascii: ",\"answered\":")
            out.append(decimal: rule.times.map { min($0, matched) } ?? matched)
            out.append(ascii: ",\"fault\":")
            out.append(jsonStringOrNull: rule.fault?.name)
            out.append(UInt8(ascii: "}"))
        }
        out.append(ascii: "]}")
        return out
    }
}
