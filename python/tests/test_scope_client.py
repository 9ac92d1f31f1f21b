"""The scope client against a stand-in HTTP server that answers the scope API as docs/SCOPES.md
specifies it, so the client's requests (method, path, body, header, query) are checked exactly,
and so is its handling of a server from before scopes (404), which the bundled server no longer
is. test_scopes.py runs the same calls against the real server."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from mockllm_server import MockLLMError, MockLLMServer, MockLLMTest, ScopesUnavailable


class StandIn(BaseHTTPRequestHandler):
    has_scopes = True
    scopes = {}
    seen = []

    def log_message(self, *args):
        pass

    def reply(self, status, document=None):
        body = json.dumps(document).encode() if document is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        url = urlsplit(self.path)
        self.seen.append((self.command, url.path, parse_qs(url.query), self.headers.get("x-mockllm-test"),
                          self.headers.get("Content-Type"), body))
        parts = url.path.strip("/").split("/")
        if not self.has_scopes and parts[:2] == ["_mockllm", "tests"]:
            return self.reply(404, {"error": {"message": "Not found", "type": "not_found"}})
        if self.command == "PUT" and parts[:2] == ["_mockllm", "tests"] and parts[3:] == ["script"]:
            if "not, a, map" in body:
                return self.reply(400, {"error": {"message": "script:1:12: error: expected a map", "type": "invalid_script"}})
            self.scopes[parts[2]] = body
            return self.reply(200, {"test": parts[2]})
        if self.command == "DELETE" and parts[:2] == ["_mockllm", "tests"] and len(parts) == 3:
            return self.reply(204) if self.scopes.pop(parts[2], None) is not None else \
                self.reply(404, {"error": {"message": f"no test '{parts[2]}'", "type": "not_found"}})
        if self.command == "GET" and url.path == "/_mockllm/requests":
            test = parse_qs(url.query).get("test", [None])[0]
            return self.reply(200, {"requests": [{"seq": 1, "test": test}], "total": 1, "dropped": 0})
        return self.reply(404, {"error": {"message": "not found", "type": "not_found"}})

    do_GET = do_PUT = do_DELETE = handle_any


@pytest.fixture
def stand_in():
    StandIn.has_scopes, StandIn.scopes, StandIn.seen = True, {}, []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server = MockLLMServer(binary="/nonexistent/mockllm")
    server.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    yield server
    httpd.shutdown()
    httpd.server_close()


def scope(server):
    return MockLLMTest(server, "t-1234abcd")


def test_script_puts_the_yaml_under_the_test_id(stand_in):
    test = scope(stand_in)
    test.script("responses: {hi: there}\n")
    assert StandIn.scopes == {"t-1234abcd": "responses: {hi: there}\n"}
    method, path, _, header, content_type, _ = StandIn.seen[-1]
    assert (method, path, header, content_type) == ("PUT", "/_mockllm/tests/t-1234abcd/script", "t-1234abcd", "application/yaml")


def test_a_refused_script_raises_the_servers_message(stand_in):
    with pytest.raises(MockLLMError) as raised:
        scope(stand_in).script("responses: [not, a, map\n")
    assert not isinstance(raised.value, ScopesUnavailable)
    assert raised.value.status == 400
    assert str(raised.value) == "mockllm refused the script for t-1234abcd: 400 script:1:12: error: expected a map"


def test_requests_asks_for_the_tests_journal_with_filters(stand_in):
    assert scope(stand_in).requests(status=429) == [{"seq": 1, "test": "t-1234abcd"}]
    _, path, query, _, _, _ = StandIn.seen[-1]
    assert path == "/_mockllm/requests" and query == {"test": ["t-1234abcd"], "status": ["429"]}


def test_reset_and_finish_drop_the_scope_once(stand_in):
    test = scope(stand_in)
    test.script("responses: {}\n")
    test.finish()
    assert StandIn.scopes == {}
    assert [s[:2] for s in StandIn.seen].count(("DELETE", "/_mockllm/tests/t-1234abcd")) == 1
    test.reset()  # nothing left to drop on a server with scopes: not an error
    assert stand_in.supports_scopes()


def test_a_server_without_scopes(stand_in):
    StandIn.has_scopes = False
    test = MockLLMTest(stand_in, "x")
    with pytest.raises(ScopesUnavailable, match=r"no per-test scopes: PUT /_mockllm/tests/x/script answered 404"):
        test.script("responses: {}\n")
    assert stand_in.supports_scopes() is False
    with pytest.raises(ScopesUnavailable, match=r"DELETE /_mockllm/tests/x answered 404"):
        test.reset()
    test.finish()  # nothing scripted, no scenario armed: nothing to undo
