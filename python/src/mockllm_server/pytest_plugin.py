"""The pytest plugin (entry point `pytest11: mockllm`): a mockllm server for the session and a
`mockllm` fixture per test.

The script, first found wins:
  1. `--mockllm-script FILE` on the command line (relative to the directory pytest runs in);
  2. `mockllm_script = FILE` in the ini file (relative to the ini file's directory);
  3. the environment variable `MOCKLLM_RESPONSES_FILE` (the server's own variable);
  4. the script built into the binary (config/responses.yml of the repository).
A `./responses.yml` in the working directory is not read: the server runs in a folder of its own.
`mockllm_args` in the ini file adds arguments to `mockllm serve` (e.g. `--seed 7`).

pytest-xdist: one server per worker process. Every worker runs the session fixture itself, so
each has its own process, port, journal, fault counters and scenario, and a test never sees
another worker's requests. A server answers /health some 30 ms after it is started (measured on
a loaded 2-core VM), less than coordinating one shared server between processes would cost.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator, Optional

import pytest

from .scope import MockLLMTest, make_test_id
from .server import MockLLMError, MockLLMServer

_TEST_KEY = pytest.StashKey[MockLLMTest]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockllm", "mockllm server")
    group.addoption(
        "--mockllm-script", dest="mockllm_script", default=None, metavar="FILE",
        help="YAML script for the session's mockllm server (before the ini's mockllm_script, "
             "$MOCKLLM_RESPONSES_FILE and the built-in script)",
    )
    parser.addini("mockllm_script", "YAML script for the session's mockllm server, relative to the ini file", default="")
    parser.addini("mockllm_args", "extra arguments for `mockllm serve`", type="args", default=[])


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
    script = resolve_script(config)
    return f"mockllm: script {script if script else '(built in)'}"


@pytest.fixture(scope="session")
def mockllm_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockLLMServer]:
    """The session's `mockllm serve` process (one per xdist worker), up once /health answers;
    stopped with SIGTERM at the end of the session."""
    config = request.config
    workdir = tmp_path_factory.mktemp("mockllm")
    server = MockLLMServer(resolve_script(config), workdir=workdir, extra_args=config.getini("mockllm_args"))
    server.start()
    try:
        yield server
    finally:
        code = server.stop()
        if code not in (0, None):
            # The tests are done; a server that did not exit cleanly is worth a warning, not a failure.
            import warnings

            warnings.warn(f"mockllm exited with code {code}; its log: {server.log_path}", RuntimeWarning)


@pytest.fixture
def mockllm(request: pytest.FixtureRequest, mockllm_server: MockLLMServer) -> Iterator[MockLLMTest]:
    """This test's view of the session's server: `url`, base URLs per protocol, `test_id`, scoped
    URLs and `headers`, `script()`, `requests()`, `arm_fault()`, `reset()`."""
    if not mockllm_server.alive:
        raise MockLLMError(
            f"the session's mockllm server has exited ({mockllm_server.process.returncode}); its log:\n"
            f"{mockllm_server.log()}"
        )
    test = MockLLMTest(mockllm_server, make_test_id(request.node.nodeid))
    request.node.stash[_TEST_KEY] = test
    yield test
    test.finish()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """A failed test that used `mockllm` gets the server's log since the test began as a report
    section ("mockllm log"), shown with the failure."""
    outcome = yield
    report = outcome.get_result()
    test = item.stash.get(_TEST_KEY, None)
    if test is not None and report.failed:
        text = test.log()
        header = f"mockllm log ({test.server.log_path}, test id {test.test_id})"
        report.sections.append((header, text if text else "(nothing logged during this test)\n"))
