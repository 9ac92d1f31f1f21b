"""Fixtures for the agent-framework suite: the real mockllm binary with the bundled script.

One server per session, started as the SDK suite starts it (Tests/SDK/conftest.py): `mockllm serve
--port 0 --responses config/responses.yml`, the base URL read from its `listening on` line, SIGTERM
and exit code 0 at the end. The binary is `$MOCKLLM_BIN`, else `<repo>/.build/debug/mockllm`.

Nothing may leave the machine: before any framework is imported, the frameworks' telemetry is
turned off by environment (OpenAI Agents tracing, LangSmith, LiteLLM's model cost map, OTEL), and
every socket connection or name lookup to anything but loopback is refused at once and recorded;
the session fails if one was tried, naming it.
"""

from __future__ import annotations

import os

for name, value in {
    "OPENAI_AGENTS_DISABLE_TRACING": "1",
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_OFFLINE_MODE": "true",
    "LITELLM_TELEMETRY": "False",
    "LANGSMITH_TRACING": "false",
    "LANGCHAIN_TRACING_V2": "false",
    "OTEL_SDK_DISABLED": "true",
    "DO_NOT_TRACK": "1",
    "HF_HUB_OFFLINE": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "OPENAI_API_KEY": "not-needed",
    "ANTHROPIC_API_KEY": "not-needed",
    "GEMINI_API_KEY": "not-needed",
}.items():
    os.environ[name] = value
for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(name, None)

import ipaddress
import re
import signal
import socket
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
RESPONSES = REPO / "config" / "responses.yml"
STARTUP_TIMEOUT_S = 30.0
SHUTDOWN_TIMEOUT_S = 10.0
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:(\d+))")

# ------------------------------------------------------------------------------------------------
# No network but loopback
# ------------------------------------------------------------------------------------------------

OUTSIDE: list[str] = []
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


def _local(host: object) -> bool:
    if not isinstance(host, str):
        return True
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and isinstance(address, tuple) and not _local(address[0]):
        OUTSIDE.append(f"connect {address[0]}:{address[1]}")
        raise ConnectionRefusedError(f"the framework suite refuses connections off this machine: {address}")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(self, address)
    return _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(self, address)
    return _connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    name = host.decode() if isinstance(host, bytes) else host
    if name is not None and not _local(name):
        OUTSIDE.append(f"lookup {name}")
        raise socket.gaierror(socket.EAI_NONAME, f"the framework suite looks up no names off this machine: {name}")
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
socket.getaddrinfo = _guarded_getaddrinfo


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if OUTSIDE:
        print("\nframework suite: tried to reach beyond this machine:\n  " + "\n  ".join(sorted(set(OUTSIDE))))
        session.exitstatus = 1


# ------------------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------------------


def mockllm_binary() -> Path:
    configured = os.environ.get("MOCKLLM_BIN")
    path = Path(configured) if configured else REPO / ".build" / "debug" / "mockllm"
    if not path.is_absolute():
        path = REPO / path
    if not path.is_file():
        pytest.exit(f"mockllm binary not found at {path}: build it (swift build) or set MOCKLLM_BIN", returncode=2)
    return path


class MockServer:
    """One `mockllm serve` subprocess on the bundled script; its stderr is drained into `output`."""

    def __init__(self, binary: Path) -> None:
        self.process = subprocess.Popen(
            [str(binary), "serve", "--port", "0", "--responses", str(RESPONSES), "--no-reload"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=str(REPO),
        )
        self.url = ""
        self._lines: list[str] = []
        self._listening = threading.Event()
        self._reader = threading.Thread(target=self._drain, name="mockllm-stderr", daemon=True)
        self._reader.start()
        if not self._listening.wait(STARTUP_TIMEOUT_S) or not self.url:
            self.process.kill()
            self.process.wait(SHUTDOWN_TIMEOUT_S)
            pytest.fail(f"mockllm did not start; its stderr:\n{self.output}", pytrace=False)

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", errors="replace")
            self._lines.append(line)
            if not self.url and (match := LISTENING.search(line)):
                self.url = match.group(1)
                self._listening.set()
        self._listening.set()

    @property
    def output(self) -> str:
        return "".join(self._lines)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(SHUTDOWN_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(SHUTDOWN_TIMEOUT_S)
        self._reader.join(SHUTDOWN_TIMEOUT_S)
        return self.process.returncode


def pytest_sessionstart(session: pytest.Session) -> None:
    mockllm_binary()  # a missing binary stops the run before any test


@pytest.fixture(scope="session")
def server() -> Iterator[MockServer]:
    running = MockServer(mockllm_binary())
    yield running
    code = running.stop()
    assert code == 0, f"mockllm exited with {code} after SIGTERM; its stderr:\n{running.output}"


@pytest.fixture(scope="session")
def base_url(server: MockServer) -> str:
    """`http://127.0.0.1:PORT`: OpenAI clients add `/v1`, Anthropic's and Ollama's take it as it is."""
    return server.url


class Journal:
    """The server's request journal (`GET /_mockllm/requests`): what the frameworks sent."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.since = 0

    def mark(self) -> None:
        """Only requests after this point are listed."""
        entries = httpx.get(f"{self.url}/_mockllm/requests", params={"limit": 1}, timeout=10).json()["requests"]
        self.since = entries[-1]["seq"] if entries else 0

    def requests(self, path: str | None = None) -> list[dict]:
        params: dict[str, object] = {"since": self.since}
        if path:
            params["path"] = path
        return httpx.get(f"{self.url}/_mockllm/requests", params=params, timeout=10).json()["requests"]

    def rules(self, path: str | None = None) -> list[str]:
        return [entry["rule"] for entry in self.requests(path)]


@pytest.fixture
def journal(base_url: str, server: MockServer) -> Iterator[Journal]:
    """The journal from this test's first request on; the server must still run afterwards."""
    j = Journal(base_url)
    j.mark()
    yield j
    assert server.process.poll() is None, f"mockllm exited; its stderr:\n{server.output}"
