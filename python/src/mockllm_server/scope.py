"""One test's view of a shared mockllm server: its id, its scoped URLs and headers, its script,
journal and faults.

Per-test scopes are the server's part of issue 21: a request carrying `x-mockllm-test: ID` (or
sent under `/t/ID/`) is answered from that test's script and journaled under its id;
`PUT /_mockllm/tests/ID/script`, `DELETE /_mockllm/tests/ID` and
`GET /_mockllm/requests?test=ID` manage them. A server without scopes answers every request from
its one script: `script()`, `requests()` and `reset()` then raise ScopesUnavailable, the scoped
URLs answer 404 and the header is ignored. What works on every server: `url` and the base URLs,
`headers` (harmless where unknown), the global journal (`requests_since_start`), faults.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any, Dict, Optional

from .server import MockLLMError, MockLLMServer, ScopesUnavailable, error_text

TEST_HEADER = "x-mockllm-test"
FAULT_HEADER = "x-mockllm-fault"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def make_test_id(nodeid: str, max_length: int = 96) -> str:
    """A URL path segment naming a test: the nodeid with every run of characters other than
    letters, digits, `.`, `_` and `-` made one `-`, cut to fit, and ended by 8 hex digits of the
    nodeid's SHA-1 so two nodeids that read alike after this still differ.
    `tests/test_a.py::test_x[gpt-4o]` -> `tests-test_a.py-test_x-gpt-4o-1c2d3e4f`."""
    digest = hashlib.sha1(nodeid.encode("utf-8")).hexdigest()[:8]
    slug = _UNSAFE.sub("-", nodeid).strip("-.")[: max_length - len(digest) - 1].rstrip("-.")
    return f"{slug}-{digest}" if slug else digest


class MockLLMTest:
    """What the `mockllm` fixture gives a test."""

    def __init__(self, server: MockLLMServer, test_id: str) -> None:
        self.server = server
        self.test_id = test_id
        self.log_start = server.log_size()
        self.journal_start = server.last_seq()
        self._scenario_before: Optional[Dict[str, Any]] = None
        self._scripted = False

    # Unscoped: every test shares these.
    @property
    def url(self) -> str:
        return self.server.url

    @property
    def openai_base_url(self) -> str:
        return self.server.openai_base_url

    @property
    def anthropic_base_url(self) -> str:
        return self.server.anthropic_base_url

    @property
    def gemini_base_url(self) -> str:
        return self.server.gemini_base_url

    @property
    def ollama_base_url(self) -> str:
        return self.server.ollama_base_url

    # Scoped by path: answered from this test's script once the server has scopes.
    @property
    def scoped_url(self) -> str:
        return f"{self.server.url}/t/{self.test_id}"

    @property
    def scoped_openai_base_url(self) -> str:
        return self.scoped_url + "/v1"

    @property
    def scoped_anthropic_base_url(self) -> str:
        return self.scoped_url

    @property
    def scoped_gemini_base_url(self) -> str:
        return self.scoped_url

    @property
    def scoped_ollama_base_url(self) -> str:
        return self.scoped_url

    @property
    def headers(self) -> Dict[str, str]:
        """`{"x-mockllm-test": test_id}`: give it to a client (`default_headers=` in openai and
        anthropic) to be scoped by header while keeping the plain base URLs."""
        return {TEST_HEADER: self.test_id}

    def fault_headers(self, fault: str) -> Dict[str, str]:
        """`headers` plus `x-mockllm-fault: <fault>` (`429`, `context_length`, `disconnect:3`, ...):
        that one request fails as asked (docs/FAULTS.md). Works on every server."""
        return {**self.headers, FAULT_HEADER: fault}

    # ----------------------------------------------------------------------------------------
    # This test's script and journal (need scopes on the server)
    # ----------------------------------------------------------------------------------------

    def script(self, yaml_text: str) -> None:
        """`PUT /_mockllm/tests/<test_id>/script`: this test's requests are answered from
        `yaml_text`. MockLLMError with the server's located errors when the script is refused,
        ScopesUnavailable when the server has no scopes."""
        status, _, body = self.server.call(
            "PUT", f"/_mockllm/tests/{self.test_id}/script", body=yaml_text, content_type="application/yaml",
            headers=self.headers,
        )
        if status == 404:
            raise ScopesUnavailable(
                f"this mockllm server has no per-test scopes: PUT /_mockllm/tests/{self.test_id}/script "
                f"answered 404 ({_text(body)})", status, _text(body),
            )
        if status // 100 != 2:
            raise MockLLMError(f"mockllm refused the script for {self.test_id}: {status} {_error(body)}",
                               status, _text(body))
        self._scripted = True

    def requests(self, **filters: Any) -> list:
        """`GET /_mockllm/requests?test=<test_id>`: this test's journal, oldest first (the filters of
        the global journal apply too)."""
        status, _, body = self.server.call("GET", "/_mockllm/requests", query={"test": self.test_id, **filters})
        if status == 400 and "Unknown parameter 'test'" in _error(body):
            raise ScopesUnavailable(
                f"this mockllm server has no per-test journal: GET /_mockllm/requests?test=... answered "
                f"400 ({_error(body)})", status, _text(body),
            )
        if status != 200:
            raise MockLLMError(f"GET /_mockllm/requests?test={self.test_id}: {status} {_error(body)}",
                               status, _text(body))
        return json.loads(body)["requests"]

    def reset(self) -> None:
        """`DELETE /_mockllm/tests/<test_id>`: drops this test's script and journal (the fixture
        does it at the end of a test that set a script)."""
        status, _, body = self.server.call("DELETE", f"/_mockllm/tests/{self.test_id}")
        if status == 404 and not self.server.supports_scopes():
            raise ScopesUnavailable(
                f"this mockllm server has no per-test scopes: DELETE /_mockllm/tests/{self.test_id} answered "
                f"404 ({_text(body)})", status, _text(body),
            )
        # 404 from a server with scopes: this test had none to drop.
        if status // 100 != 2 and status != 404:
            raise MockLLMError(f"DELETE /_mockllm/tests/{self.test_id}: {status} {_error(body)}", status, _text(body))
        self._scripted = False

    # ----------------------------------------------------------------------------------------
    # What works on every server
    # ----------------------------------------------------------------------------------------

    def requests_since_start(self, **filters: Any) -> list:
        """The global journal's entries since this test began (`?since=`): this test's requests
        when tests run one at a time on the server, as they do per xdist worker."""
        return self.server.requests(since=self.journal_start, **filters)

    def arm_fault(self, scenario: Optional[str]) -> dict:
        """Makes the fault scenario `scenario` active (`PUT /_mockllm/scenario`; None: none), with
        this test's id in `x-mockllm-test` for when the server scopes it. Today the scenario is the
        server's: the fixture puts the one that was active back when the test ends. MockLLMError
        (404) when no fault of the script belongs to `scenario`."""
        if self._scenario_before is None:
            self._scenario_before = self.server.scenario()
        return self.server.set_scenario(scenario, headers=self.headers)

    def faults(self) -> dict:
        """`GET /_mockllm/faults`: the active scenario and each fault's counters."""
        return self.server.faults()

    def reset_faults(self) -> None:
        """`DELETE /_mockllm/faults`: every fault's schedule and counters start again."""
        self.server.reset_faults()

    def finish(self) -> None:
        """End of the test: the scenario it switched is put back and its scope dropped."""
        if self._scenario_before is not None:
            self.server.set_scenario(self._scenario_before.get("scenario"), headers=self.headers)
            self._scenario_before = None
        if self._scripted:
            self.reset()

    def log(self) -> str:
        """The server's log since this test began."""
        return self.server.log(self.log_start)


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _error(body: bytes) -> str:
    return error_text(body)
