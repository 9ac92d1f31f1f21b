"""Fixtures for the SDK compatibility suite: the real mockllm binary, started as a subprocess.

Every server is started with `--port 0` and a script file; the fixture reads the server's stderr
until the `listening on http://127.0.0.1:PORT` line, hands the tests the base URL, and on teardown
sends SIGTERM and checks that the server exits with code 0.

The binary is `$MOCKLLM_BIN`, else `<repo>/.build/debug/mockllm` (scripts/sdk-test builds it).

Clients: `openai.OpenAI` takes the base URL with `/v1`; `anthropic.Anthropic` takes it without
(the SDK adds `/v1/messages` itself). Neither retries, so a server error is never hidden.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence

import anthropic
import httpx
import openai
import pytest

from mock_scripts import SUITE_SCRIPT

REPO = Path(__file__).resolve().parents[2]
REPO_RESPONSES = REPO / "config" / "responses.yml"

STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")


def mockllm_binary() -> Path:
    configured = os.environ.get("MOCKLLM_BIN")
    path = Path(configured) if configured else REPO / ".build" / "debug" / "mockllm"
    if not path.is_absolute():
        path = REPO / path
    if not path.is_file():
        pytest.exit(
            f"mockllm binary not found at {path}: build it (swift build) or set MOCKLLM_BIN", returncode=2
        )
    return path


# --------------------------------------------------------------------------------------------
# The server process
# --------------------------------------------------------------------------------------------


class MockServer:
    """One running `mockllm serve` subprocess; its stderr is drained into `output`."""

    def __init__(self, binary: Path, responses: Optional[Path], name: str, extra_args: Sequence[str] = ()) -> None:
        # responses None: no --responses (record mode serves its fixture directory then).
        self.name = name
        self.responses = responses
        script = ["--responses", str(responses)] if responses is not None else []
        self.process = subprocess.Popen(
            [str(binary), "serve", "--port", "0", *script, *extra_args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=str(REPO),
        )
        self._lines: list[str] = []
        self._lock = threading.Lock()
        self._listening = threading.Event()
        self.url: str = ""
        # Keep reading stderr for the server's whole life, so its log can never fill the pipe.
        self._reader = threading.Thread(target=self._drain, name=f"{name}-stderr", daemon=True)
        self._reader.start()
        if not self._listening.wait(STARTUP_TIMEOUT_S) or not self.url:
            try:  # stderr closed without the line: the process is exiting
                exited = self.process.wait(1.0)
            except subprocess.TimeoutExpired:
                exited = None
            if exited is None:
                self.process.kill()
                self.process.wait(SHUTDOWN_TIMEOUT_S)
            self._reader.join(SHUTDOWN_TIMEOUT_S)
            why = (
                f"exited with code {exited} before printing"
                if exited is not None
                else f"did not print within {STARTUP_TIMEOUT_S:.0f} s"
            )
            pytest.fail(
                f"mockllm ({name}) {why} 'listening on http://127.0.0.1:PORT'\n"
                f"command: {' '.join(self.process.args)}\nscript: {responses}\nits stderr:\n{self.output}",
                pytrace=False,
            )

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", errors="replace")
            with self._lock:
                self._lines.append(line)
            if not self.url:
                match = LISTENING.search(line)
                if match:
                    self.url = match.group(1)
                    self._listening.set()
        self._listening.set()  # stderr closed: the process is gone

    @property
    def output(self) -> str:
        with self._lock:
            return "".join(self._lines)

    def stop(self) -> int:
        """SIGTERM, then the exit code (killing it if it does not stop in time)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(SHUTDOWN_TIMEOUT_S)
                pytest.fail(f"mockllm ({self.name}) ignored SIGTERM; its stderr:\n{self.output}", pytrace=False)
        self._reader.join(SHUTDOWN_TIMEOUT_S)
        return self.process.returncode

    def assert_alive(self) -> None:
        assert self.process.poll() is None, (
            f"mockllm ({self.name}) exited with {self.process.returncode}; its stderr:\n{self.output}"
        )


class ServerPool:
    """Starts servers for a fixture's scope and stops them all, checking each exits with 0."""

    def __init__(self, binary: Path, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.servers: list[MockServer] = []

    def start(
        self, yaml_text: Optional[str] = None, *, path: Optional[Path] = None, name: str = "script",
        extra_args: Sequence[str] = (),
    ) -> MockServer:
        if (yaml_text is None) == (path is None):
            raise ValueError("give either yaml_text or path")
        if path is None:
            path = self.workdir / f"{name}-{len(self.servers)}.yml"
            path.write_text(yaml_text, encoding="utf-8")
        server = MockServer(self.binary, path, name, extra_args)
        self.servers.append(server)
        return server

    def stop_all(self) -> None:
        failures = []
        for server in self.servers:
            code = server.stop()
            if code != 0:
                failures.append(f"mockllm ({server.name}) exited with {code} after SIGTERM; its stderr:\n{server.output}")
        self.servers.clear()
        assert not failures, "\n\n".join(failures)


def pytest_sessionstart(session: pytest.Session) -> None:
    mockllm_binary()  # a missing binary stops the run before any test


@pytest.fixture(scope="session")
def binary() -> Path:
    return mockllm_binary()


@pytest.fixture(scope="session")
def session_pool(binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    pool = ServerPool(binary, tmp_path_factory.mktemp("scripts"))
    yield pool
    pool.stop_all()


@pytest.fixture
def start_server(binary: Path, tmp_path: Path) -> Iterator[Callable[..., MockServer]]:
    """A factory: `start_server(yaml_text)` or `start_server(path=...)` starts a server for one
    test; it is stopped (and its exit code checked) when the test ends."""
    pool = ServerPool(binary, tmp_path)
    yield pool.start
    pool.stop_all()


@pytest.fixture(scope="session")
def suite_server(session_pool: ServerPool) -> MockServer:
    """A server with the suite's own script (SUITE_SCRIPT), shared by the whole session."""
    return session_pool.start(SUITE_SCRIPT, name="suite")


@pytest.fixture(scope="session")
def repo_server(session_pool: ServerPool) -> MockServer:
    """A server with the repository's config/responses.yml, unchanged."""
    return session_pool.start(path=REPO_RESPONSES, name="config-responses")


@pytest.fixture(scope="session")
def base_url(suite_server: MockServer) -> str:
    """The suite server's base URL, `http://127.0.0.1:PORT`."""
    return suite_server.url


def make_client(url: str) -> openai.OpenAI:
    # No retries: a retried request would hide a server error behind a later success.
    return openai.OpenAI(base_url=f"{url}/v1", api_key="test", max_retries=0, timeout=30.0)


def make_async_client(url: str) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="test", max_retries=0, timeout=30.0)


def make_anthropic_client(url: str) -> anthropic.Anthropic:
    # No /v1 here: the anthropic SDK's paths start with it.
    return anthropic.Anthropic(base_url=url, api_key="test", max_retries=0, timeout=30.0)


def make_async_anthropic_client(url: str) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=url, api_key="test", max_retries=0, timeout=30.0)


@pytest.fixture
def client(suite_server: MockServer) -> Iterator[openai.OpenAI]:
    with make_client(suite_server.url) as c:
        yield c
    suite_server.assert_alive()


@pytest.fixture
def anthropic_client(suite_server: MockServer) -> Iterator[anthropic.Anthropic]:
    with make_anthropic_client(suite_server.url) as c:
        yield c
    suite_server.assert_alive()


@pytest.fixture
def http(suite_server: MockServer, base_url: str) -> Iterator[httpx.Client]:
    """A plain HTTP client on the suite server, for what the SDK cannot send (bad JSON, ...)."""
    with httpx.Client(base_url=base_url, timeout=30.0) as c:
        yield c
    suite_server.assert_alive()
