"""The pytest plugin (entry point `pytest11: mockllm`): a mockllm server for the session and a
`mockllm` fixture per test, each test in a scope of its own on that server (docs/SCOPES.md).

The script, first found wins:
  1. `--mockllm-script FILE` on the command line (relative to the directory pytest runs in);
  2. `mockllm_script = FILE` in the ini file (relative to the ini file's directory);
  3. the environment variable `MOCKLLM_RESPONSES_FILE` (the server's own variable);
  4. the script built into the binary (config/responses.yml of the repository).
A `./responses.yml` in the working directory is not read: the server runs in a folder of its own.
`mockllm_args` in the ini file adds arguments to `mockllm serve` (e.g. `--seed 7`).

`--mockllm-url URL` (or `$MOCKLLM_URL`): use the server running there; start and stop nothing.

pytest-xdist, by the ini's `mockllm_xdist`:
  - `shared` (the default): ONE server for the whole run. The controller process starts it in
    pytest_configure, hands its URL (and log) to every worker through `node.workerinput`, and
    stops it in pytest_unconfigure; workers connect to it and never stop it. Tests stay apart
    because each test's requests go to its own scope (its counts, faults, quotas, journal,
    script), which is what the server's scopes are for. The active fault scenario is the
    server's, so `arm_fault` is refused there.
  - `per-worker`: every worker starts its own server, as without xdist (each has its own
    scenario, so `arm_fault` works; N processes instead of one).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest

from .scope import MockLLMTest, make_test_id
from .server import MockLLMError, MockLLMServer

_TEST_KEY = pytest.StashKey[MockLLMTest]()
# The controller's shared server under xdist (mockllm_xdist = shared): the server, or the error
# that kept it from starting (given to every test that asks for it, as without xdist).
_SHARED_KEY = pytest.StashKey["Optional[MockLLMServer]"]()
_SHARED_ERROR_KEY = pytest.StashKey[str]()
XDIST_MODES = ("shared", "per-worker")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockllm", "mockllm server")
    group.addoption(
        "--mockllm-script", dest="mockllm_script", default=None, metavar="FILE",
        help="YAML script for the session's mockllm server (before the ini's mockllm_script, "
             "$MOCKLLM_RESPONSES_FILE and the built-in script)",
    )
    group.addoption(
        "--mockllm-url", dest="mockllm_url", default=None, metavar="URL",
        help="use the mockllm server running at URL (before $MOCKLLM_URL); start none",
    )
    parser.addini("mockllm_script", "YAML script for the session's mockllm server, relative to the ini file", default="")
    parser.addini("mockllm_args", "extra arguments for `mockllm serve`", type="args", default=[])
    parser.addini("mockllm_xdist", "under pytest-xdist: 'shared' (one server for every worker, "
                  "started by the controller; the default) or 'per-worker'", default="shared")


def resolve_url(config: pytest.Config) -> Optional[str]:
    """The server to use instead of starting one: `--mockllm-url`, else `$MOCKLLM_URL`."""
    return config.getoption("mockllm_url") or os.environ.get("MOCKLLM_URL") or None


def xdist_mode(config: pytest.Config) -> str:
    mode = (config.getini("mockllm_xdist") or "shared").strip()
    if mode not in XDIST_MODES:
        raise pytest.UsageError(f"mockllm_xdist = {mode!r}: use one of {', '.join(XDIST_MODES)}")
    return mode


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _is_xdist_controller(config: pytest.Config) -> bool:
    """This process hands tests to xdist workers (`-n N` with N > 0, `--dist ...`)."""
    return (not _is_worker(config) and config.pluginmanager.has_plugin("xdist")
            and config.getoption("dist", "no") != "no" and not config.getoption("collectonly"))


def _start_server(config: pytest.Config, workdir: Path) -> MockLLMServer:
    server = MockLLMServer(resolve_script(config), workdir=workdir, extra_args=config.getini("mockllm_args"))
    server.start()
    return server


def _stop_server(server: MockLLMServer) -> None:
    code = server.stop()
    if code not in (0, None):
        # The tests are done; a server that did not exit cleanly is worth a warning, not a failure.
        warnings.warn(f"mockllm exited with code {code}; its log: {server.log_path}", RuntimeWarning)


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """The xdist controller starts the shared server before any worker starts (trylast: after
    the tmpdir plugin has made pytest's temporary folder). Workers learn its URL from
    `pytest_configure_node`."""
    if not _is_xdist_controller(config) or resolve_url(config) or xdist_mode(config) != "shared":
        return
    factory = getattr(config, "_tmp_path_factory", None)
    workdir = factory.mktemp("mockllm") if factory is not None else Path(tempfile.mkdtemp(prefix="mockllm-"))
    try:
        config.stash[_SHARED_KEY] = _start_server(config, workdir)
    except (MockLLMError, FileNotFoundError) as error:
        # As without xdist: every test that asks for the server errors with this, the others run.
        config.stash[_SHARED_ERROR_KEY] = str(error)
    config.pluginmanager.register(_XdistController(config), "mockllm-xdist-controller")


class _XdistController:
    """xdist's hook, registered only when xdist runs (pytest refuses hooks it has no spec for)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_configure_node(self, node: Any) -> None:
        server = self.config.stash.get(_SHARED_KEY, None)
        if server is not None:
            node.workerinput["mockllm_url"] = server.url
            node.workerinput["mockllm_log"] = str(server.log_path)
        else:
            node.workerinput["mockllm_error"] = self.config.stash.get(_SHARED_ERROR_KEY, "mockllm did not start")


def pytest_unconfigure(config: pytest.Config) -> None:
    server = config.stash.get(_SHARED_KEY, None)
    if server is not None:
        del config.stash[_SHARED_KEY]
        _stop_server(server)


def resolve_script(config: pytest.Config) -> Optional[Path]:
    """The session's script by the precedence above; None for the built-in one."""
    option = config.getoption("mockllm_script")
    if option:
        return Path(config.invocation_params.dir, option).resolve()
    ini = config.getini("mockllm_script")
    if ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        return Path(base, ini).resolve()
    env = os.environ.get("MOCKLLM_RESPONSES_FILE")
    if env:
        return Path(env).resolve()
    return None


def pytest_report_header(config: pytest.Config) -> str:
    url = resolve_url(config)
    if url:
        return f"mockllm: the server at {url} (--mockllm-url / $MOCKLLM_URL)"
    script = resolve_script(config)
    line = f"mockllm: script {script if script else '(built in)'}"
    if _is_xdist_controller(config):
        server = config.stash.get(_SHARED_KEY, None)
        if server is not None:
            line += f"; one server for every xdist worker at {server.url}"
        elif xdist_mode(config) == "per-worker":
            line += "; one server per xdist worker"
    return line


@pytest.fixture(scope="session")
def mockllm_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockLLMServer]:
    """The session's server, up once /health answers: the one at `--mockllm-url`, the xdist
    controller's shared one, or a `mockllm serve` process of this session's own (without xdist,
    or per worker), stopped with SIGTERM at the end of the session."""
    config = request.config
    url = resolve_url(config)
    workerinput = getattr(config, "workerinput", {})
    if url:
        server = MockLLMServer.connect(url)
        server.shared = _is_worker(config)
        yield server
        return
    if "mockllm_error" in workerinput:
        raise MockLLMError(workerinput["mockllm_error"])
    if "mockllm_url" in workerinput:
        server = MockLLMServer.connect(workerinput["mockllm_url"], log_path=workerinput.get("mockllm_log"))
        server.shared = True
        yield server
        return
    server = _start_server(config, tmp_path_factory.mktemp("mockllm"))
    try:
        yield server
    finally:
        _stop_server(server)


@pytest.fixture
def mockllm(request: pytest.FixtureRequest, mockllm_server: MockLLMServer) -> Iterator[MockLLMTest]:
    """This test's scope on the session's server: its base URLs per protocol (under
    `/t/<test_id>/`), `headers`, `script()`, `requests()`, `faults()`, `reset()`. The scope is
    dropped when the test ends."""
    if not mockllm_server.alive:
        raise MockLLMError(
            f"the session's mockllm server has exited ({mockllm_server.process.returncode}); its log:\n"
            f"{mockllm_server.log()}"
        )
    test = MockLLMTest(mockllm_server, make_test_id(request.node.nodeid))
    # Any request under the scope's URL makes the scope on the server: drop it whatever the test did.
    test.drop_scope_on_finish = mockllm_server.supports_scopes()
    request.node.stash[_TEST_KEY] = test
    yield test
    test.finish()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test that used `mockllm` gets, as report sections shown with the failure, its
    scope's journal (one line per request; read before teardown drops the scope) and the
    server's log since the test began ("mockllm log"; on a server shared by xdist workers that
    holds other tests' lines too)."""
    outcome = yield
    report = outcome.get_result()
    test = item.stash.get(_TEST_KEY, None)
    if test is None or not report.failed:
        return
    if test.drop_scope_on_finish and report.when == "call":
        try:
            lines = [f"{r['seq']} {r['method']} {r['path']} {r['status']} {r['rule'] or r['fault'] or ''}".rstrip()
                     for r in test.requests()]
        except MockLLMError as error:
            lines = [f"(could not read it: {error})"]
        report.sections.append((f"mockllm journal (test id {test.test_id})",
                                "\n".join(lines) + "\n" if lines else "(no request in this test's scope)\n"))
    if str(test.server.log_path) == os.devnull:
        return  # --mockllm-url: the server's log is not this session's to read
    text = test.log()
    shared = " shared by every xdist worker" if test.server.shared else ""
    header = f"mockllm log ({test.server.log_path}{shared}, test id {test.test_id})"
    report.sections.append((header, text if text else "(nothing logged during this test)\n"))
