"""A `mockllm serve` process on a free port, and a small client for its admin API.

Used by the pytest plugin (one per session: under pytest-xdist one the controller starts and
every worker shares, or one per worker) and usable on its own, e.g. from unittest:

    with MockLLMServer() as server:            # the built-in script; MockLLMServer("my.yml") for yours
        client = OpenAI(base_url=server.openai_base_url, api_key="test")

Only the standard library: urllib for HTTP, subprocess for the process.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

from ._binary import binary_path

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
HTTP_TIMEOUT_S = 10.0
POLL_INTERVAL_S = 0.02

LISTENING = re.compile(r"listening on (http://[^\s:]+:(\d+))")


class MockLLMError(Exception):
    """The server refused an admin request (or did not start). `status` is the HTTP status (0 when
    there was no reply), `message` the server's own error text, `body` its whole reply."""

    def __init__(self, message: str, status: int = 0, body: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body


class ScopesUnavailable(MockLLMError):
    """This server is from before per-test scopes (`PUT /_mockllm/tests/ID/script` answers 404, or
    the journal does not know `?test=`): an old server given with `--mockllm-url`. The bundled one
    has them."""


def error_text(body: bytes) -> str:
    """The message of a mockllm error reply (`{"error":{"message":...}}`), else the body itself."""
    text = body.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(document, dict):
        error = document.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"]
        if isinstance(error, str):
            return error
    return text.strip()


class MockLLMServer:
    """One `mockllm serve --port 0` subprocess.

    `script`: a YAML file or a directory of them (fixtures: docs/RECORD-REPLAY.md), or None for the script built into the binary. The process runs in
    `workdir` (a fresh temporary folder by default, so a stray ./responses.yml is never picked up)
    with every `MOCKLLM_*` variable removed from its environment, so the flags given here are
    the whole configuration; `extra_args` go to `mockllm serve` after them. Its standard output
    and error go to `log_path` (`mockllm.log` in the working folder by default)."""

    def __init__(
        self,
        script: Union[str, os.PathLike, None] = None,
        *,
        binary: Union[str, os.PathLike, None] = None,
        host: str = "127.0.0.1",
        extra_args: Sequence[str] = (),
        workdir: Union[str, os.PathLike, None] = None,
        log_path: Union[str, os.PathLike, None] = None,
    ) -> None:
        self.script = Path(script).resolve() if script is not None else None
        self.binary = Path(binary) if binary is not None else binary_path()
        self.host = host
        self.extra_args = list(extra_args)
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="mockllm-"))
        self.log_path = Path(log_path) if log_path is not None else self.workdir / "mockllm.log"
        self.process: Optional[subprocess.Popen] = None
        self.url = ""
        self.port = 0
        self._scopes: Optional[bool] = None
        # A server this object did not start (`connect`): it is used, never stopped.
        self.external = False
        # Set by the pytest plugin when processes other than this one send tests to the server
        # at the same time (pytest-xdist workers sharing it): its server-wide state (the fault
        # scenario) is then not one test's to switch.
        self.shared = False

    @classmethod
    def connect(
        cls, url: str, *, log_path: Union[str, os.PathLike, None] = None, timeout: float = STARTUP_TIMEOUT_S,
    ) -> "MockLLMServer":
        """A handle on a server that runs already (started by another process: the xdist
        controller, `mockllm serve` in CI, a container): the same base URLs and admin API, no
        process. Returns once `GET /health` answers 200 (polled until `timeout`), else raises
        MockLLMError. `stop()` leaves it running. `log_path` is its log when this machine can read
        it (the xdist controller's server), else `log()` is empty."""
        server = cls(binary=os.devnull, workdir=tempfile.gettempdir(),
                     log_path=log_path if log_path is not None else os.devnull)
        server._own_workdir = False
        server.external = True
        server.url = url.rstrip("/")
        match = re.match(r"https?://[^/:]+:(\d+)", server.url)
        server.port = int(match.group(1)) if match else 0
        deadline = time.monotonic() + timeout
        while not server._healthy():
            if time.monotonic() >= deadline:
                raise MockLLMError(f"no mockllm server answers {server.url}/health (waited {timeout:.0f} s)")
            time.sleep(POLL_INTERVAL_S)
        return server

    # ----------------------------------------------------------------------------------------
    # The process
    # ----------------------------------------------------------------------------------------

    @property
    def command(self) -> list:
        command = [str(self.binary), "serve", "--host", self.host, "--port", "0", "--access-log"]
        if self.script is not None:
            command += ["--responses", str(self.script)]
        return command + self.extra_args

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> "MockLLMServer":
        """Starts the process and returns once `GET /health` answers 200: the port is read from the
        start-up line in the log, then /health is polled until the deadline. Raises MockLLMError
        with the log when the process exits or the deadline passes first."""
        if self.process is not None or self.external:
            raise RuntimeError("this server was started already" if self.process else "this server runs elsewhere")
        if self.script is not None and not self.script.exists():  # a file, or a directory of fixtures
            raise MockLLMError(f"mockllm script {self.script} does not exist")
        env = {key: value for key, value in os.environ.items() if not key.startswith("MOCKLLM_")}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                cwd=str(self.workdir), env=env,
            )
        deadline = time.monotonic() + timeout
        while True:
            if not self.url:
                match = LISTENING.search(self.log())
                if match:
                    self.url, self.port = match.group(1), int(match.group(2))
            if self.url and self._healthy():
                return self
            code = self.process.poll()
            if code is not None:
                raise MockLLMError(
                    f"mockllm exited with code {code} before answering /health\n"
                    f"command: {' '.join(self.command)}\nits log ({self.log_path}):\n{self.log()}"
                )
            if time.monotonic() >= deadline:
                self._kill()
                what = "answer /health" if self.url else "print its 'listening on' line"
                raise MockLLMError(
                    f"mockllm did not {what} within {timeout:.0f} s\n"
                    f"command: {' '.join(self.command)}\nits log ({self.log_path}):\n{self.log()}"
                )
            time.sleep(POLL_INTERVAL_S)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/health", timeout=1.0) as reply:
                return reply.status == 200
        except (OSError, urllib.error.URLError):
            return False

    @property
    def alive(self) -> bool:
        if self.external:
            return self._healthy()
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = SHUTDOWN_TIMEOUT_S) -> Optional[int]:
        """SIGTERM (mockllm drains and exits 0), killing it after `timeout`; returns the exit code."""
        if self.process is None:  # never started, or a server this object only connected to
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        return self.process.returncode

    def _kill(self) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(SHUTDOWN_TIMEOUT_S)

    def log(self, offset: int = 0) -> str:
        """The server's log from byte `offset` (its size now is `log_size()`)."""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(offset)
                return log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def __enter__(self) -> "MockLLMServer":
        return self.start() if self.process is None else self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ----------------------------------------------------------------------------------------
    # Base URLs, one per protocol, as each official client wants it
    # ----------------------------------------------------------------------------------------

    @property
    def openai_base_url(self) -> str:
        """`OpenAI(base_url=...)`: the SDK's paths follow /v1."""
        return self.url + "/v1"

    @property
    def anthropic_base_url(self) -> str:
        """`Anthropic(base_url=...)`: the SDK adds /v1/messages itself."""
        return self.url

    @property
    def gemini_base_url(self) -> str:
        """google-genai's `HttpOptions(base_url=...)`: the SDK adds /v1beta/models/..."""
        return self.url

    @property
    def ollama_base_url(self) -> str:
        """`ollama.Client(host=...)`: the SDK adds /api/..."""
        return self.url

    # ----------------------------------------------------------------------------------------
    # HTTP
    # ----------------------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Union[bytes, str, Mapping[str, Any], None] = None,
        query: Optional[Mapping[str, Any]] = None,
        headers: Optional[Mapping[str, str]] = None,
        content_type: str = "application/json",
    ) -> Tuple[int, Dict[str, str], bytes]:
        """One request to the server: (status, headers with lower-case names, body). Never raises
        for an HTTP status; raises MockLLMError when the server cannot be reached."""
        if not self.url:
            raise MockLLMError("the mockllm server is not started")
        url = self.url + path
        if query:
            pairs = [(key, str(value)) for key, value in query.items() if value is not None]
            if pairs:
                url += "?" + urllib.parse.urlencode(pairs)
        data: Optional[bytes]
        if body is None:
            data = None
        elif isinstance(body, bytes):
            data = body
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as reply:
                return reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read()
        except urllib.error.HTTPError as error:
            return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
        except (OSError, urllib.error.URLError) as error:
            raise MockLLMError(f"{method} {url}: no reply from mockllm ({error})\nits log:\n{self.log()}") from error

    def call_json(self, method: str, path: str, *, ok: Sequence[int] = (200,), **kwargs: Any) -> Any:
        """`call`, then the reply's JSON (None for an empty body); a status not in `ok` raises
        MockLLMError with the server's error text."""
        status, _, body = self.call(method, path, **kwargs)
        if status not in ok:
            raise MockLLMError(f"{method} {path}: {status} {error_text(body)}", status, body.decode("utf-8", "replace"))
        return json.loads(body) if body else None

    # ----------------------------------------------------------------------------------------
    # The admin API that every test shares (docs/CLI.md, docs/FAULTS.md)
    # ----------------------------------------------------------------------------------------

    def requests(self, **filters: Any) -> list:
        """`GET /_mockllm/requests`: the whole journal, oldest first; filters `path`, `model`,
        `rule`, `status`, `since`, `limit`."""
        return self.call_json("GET", "/_mockllm/requests", query=filters)["requests"]

    def last_seq(self) -> int:
        """The journal's newest sequence number (0 when empty): `requests(since=...)` with it lists
        what came after."""
        newest = self.requests(limit=1)
        return int(newest[-1]["seq"]) if newest else 0

    def clear_requests(self) -> None:
        """`DELETE /_mockllm/requests`."""
        self.call_json("DELETE", "/_mockllm/requests", ok=(204,))

    def faults(self) -> dict:
        """`GET /_mockllm/faults`: the active scenario and each fault's counters."""
        return self.call_json("GET", "/_mockllm/faults")

    def reset_faults(self) -> None:
        """`DELETE /_mockllm/faults`: every fault's schedule and counters start again."""
        self.call_json("DELETE", "/_mockllm/faults", ok=(204,))

    def scenario(self) -> dict:
        """`GET /_mockllm/scenario`: `{"scenario": name or None, "known": [...]}`."""
        return self.call_json("GET", "/_mockllm/scenario")

    def set_scenario(self, name: Optional[str], headers: Optional[Mapping[str, str]] = None) -> dict:
        """`PUT /_mockllm/scenario`: makes the scenario `name` (None: none) active; MockLLMError
        (404) when no fault of the script belongs to it."""
        return self.call_json("PUT", "/_mockllm/scenario", body={"name": name}, headers=headers)

    def reload(self) -> dict:
        """`POST /_mockllm/reload`: re-reads the script file now; MockLLMError with every located
        error when it is broken (the running script stays)."""
        return self.call_json("POST", "/_mockllm/reload")

    def supports_scopes(self) -> bool:
        """Whether this server has per-test scopes: it does when `PUT /_mockllm/tests/ID/script`
        answers anything but 404 (the probe's scope is deleted again). Asked once per server."""
        if self._scopes is None:
            probe = "/_mockllm/tests/mockllm-scope-probe"
            status, _, _ = self.call("PUT", probe + "/script", body="responses: {}\n", content_type="application/yaml")
            if status != 404:
                self.call("DELETE", probe)
            self._scopes = status != 404
        return self._scopes
