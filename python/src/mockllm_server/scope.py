"""One test's view of a shared mockllm server: its own test scope (docs/SCOPES.md).

A request sent under `/t/ID/` (the base URLs here) or carrying `x-mockllm-test: ID` (`headers`)
belongs to the test's scope: its own `times:` and sequence counts, fault schedules, quota windows,
stored responses and journal entries, and the script `script()` puts on top of the server's. So
tests may run in parallel on one server (pytest-xdist) without seeing each other's state.
`PUT /_mockllm/tests/ID/script`, `DELETE /_mockllm/tests/ID`, `GET /_mockllm/requests?test=ID`
and `GET`/`DELETE /_mockllm/faults?test=ID` are the admin side. The fixture drops the scope
when the test ends, so a long suite does not fill the server's scope table.

A server from before scopes (an old `--mockllm-url`) answers `PUT /_mockllm/tests/...` with 404:
`script()`, `requests()` and `reset()` then raise ScopesUnavailable.
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
        # Whether `finish` drops the scope; the plugin's fixture always does (any request under the
        # scope's URL makes it), a MockLLMTest made by hand only once `script()` was called.
        self.drop_scope_on_finish = False

    @property
    def url(self) -> str:
        """The server's root URL (its admin API; no scope)."""
        return self.server.url

    # This test's scope, by path: every request through these base URLs is the test's own.
    @property
    def scoped_url(self) -> str:
        """`url + "/t/" + test_id`: every path of the server under this test's scope."""
        return f"{self.server.url}/t/{self.test_id}"

    @property
    def openai_base_url(self) -> str:
        """`OpenAI(base_url=...)`, scoped: `.../t/ID/v1`."""
        return self.scoped_url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        """`Anthropic(base_url=...)`, scoped: `.../t/ID` (the SDK adds /v1/messages)."""
        return self.scoped_url

    @property
    def gemini_base_url(self) -> str:
        """google-genai's `HttpOptions(base_url=...)`, scoped."""
        return self.scoped_url

    @property
    def ollama_base_url(self) -> str:
        """`ollama.Client(host=...)`, scoped."""
        return self.scoped_url

    # The same, by their older names.
    scoped_openai_base_url = openai_base_url
    scoped_anthropic_base_url = anthropic_base_url
    scoped_gemini_base_url = gemini_base_url
    scoped_ollama_base_url = ollama_base_url

    @property
    def headers(self) -> Dict[str, str]:
        """`{"x-mockllm-test": test_id}`: the test's scope by header, for a client that must keep
        the server's plain URLs (`default_headers=` in openai and anthropic). Giving both the
        header and a scoped base URL is fine: they name the same scope."""
        return {TEST_HEADER: self.test_id}

    def fault_headers(self, fault: str) -> Dict[str, str]:
        """`headers` plus `x-mockllm-fault: <fault>` (`429`, `context_length`, `disconnect:3`, ...):
        that one request fails as asked (docs/FAULTS.md)."""
        return {**self.headers, FAULT_HEADER: fault}

    # ----------------------------------------------------------------------------------------
    # This test's script, journal and faults
    # ----------------------------------------------------------------------------------------

    def script(self, yaml_text: str) -> None:
        """`PUT /_mockllm/tests/<test_id>/script`: this test's requests are answered from
        `yaml_text` (its `rules`, `responses`, `faults`, `quotas`) before the server's. Putting one
        again starts the scope's counts again. MockLLMError with the server's located errors when
        the script is refused, ScopesUnavailable when the server has no scopes."""
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
        self.drop_scope_on_finish = True

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
        """`DELETE /_mockllm/tests/<test_id>`: drops this test's scope: its script, counts, quota
        windows, stored responses and journal entries (the fixture does it when the test ends).
        The next request under the scope starts it afresh."""
        status, _, body = self.server.call("DELETE", f"/_mockllm/tests/{self.test_id}")
        if status == 404 and not self.server.supports_scopes():
            raise ScopesUnavailable(
                f"this mockllm server has no per-test scopes: DELETE /_mockllm/tests/{self.test_id} answered "
                f"404 ({_text(body)})", status, _text(body),
            )
        # 404 from a server with scopes: this test had none to drop.
        if status // 100 != 2 and status != 404:
            raise MockLLMError(f"DELETE /_mockllm/tests/{self.test_id}: {status} {_error(body)}", status, _text(body))

    def faults(self) -> dict:
        """`GET /_mockllm/faults?test=<test_id>`: the active scenario and the faults as this test's
        scope sees them (its script's, then the server's), with the scope's counters."""
        return self.server.call_json("GET", "/_mockllm/faults", query={"test": self.test_id})

    def reset_faults(self) -> None:
        """`DELETE /_mockllm/faults?test=<test_id>`: the scope's fault schedules start again."""
        self.server.call_json("DELETE", "/_mockllm/faults", query={"test": self.test_id}, ok=(204,))

    # ----------------------------------------------------------------------------------------
    # The server's, shared by every test on it
    # ----------------------------------------------------------------------------------------

    def requests_since_start(self, **filters: Any) -> list:
        """The whole journal's entries since this test began (`?since=`), every scope's and the
        unscoped ones: this test's alone only while no other test uses the server at the same
        time (not so under pytest-xdist with a shared server: use `requests()`)."""
        return self.server.requests(since=self.journal_start, **filters)

    def arm_fault(self, scenario: Optional[str]) -> dict:
        """Makes the fault scenario `scenario` active (`PUT /_mockllm/scenario`; None: none). The
        scenario is the server's, not the scope's: every test running on the server at the same
        time sees it, so the plugin refuses this on a server shared by xdist workers (a fault in
        the test's own `script()` is per scope). The fixture puts the scenario that was active
        back when the test ends. MockLLMError (404) when no fault of the script belongs to it."""
        if self.server.shared:
            raise MockLLMError(
                "arm_fault switches the server's scenario, which every test on a server shared by "
                "pytest-xdist workers would see: put the fault in this test's script "
                "(mockllm.script('faults: [...]'), counted per test) or run with mockllm_xdist = per-worker"
            )
        if self._scenario_before is None:
            self._scenario_before = self.server.scenario()
        return self.server.set_scenario(scenario, headers=self.headers)

    def finish(self) -> None:
        """End of the test: the scenario it switched is put back and its scope dropped."""
        if self._scenario_before is not None:
            self.server.set_scenario(self._scenario_before.get("scenario"), headers=self.headers)
            self._scenario_before = None
        if self.drop_scope_on_finish:
            self.reset()

    def log(self) -> str:
        """The server's log since this test began."""
        return self.server.log(self.log_start)


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def _error(body: bytes) -> str:
    return error_text(body)
