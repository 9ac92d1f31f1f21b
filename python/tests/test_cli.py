"""The `mockllm` console command and `python -m mockllm_server`: the bundled binary, its
arguments and exit status passed through."""

import shutil
import subprocess
import sys
import urllib.request

import mockllm_server
from mockllm_server import MockLLMServer, binary_path


def test_console_command_prints_the_package_version():
    command = shutil.which("mockllm")
    assert command, "the mockllm console command is not on PATH"
    done = subprocess.run([command, "--version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == mockllm_server.__version__


def test_python_dash_m_runs_the_same_program():
    done = subprocess.run([sys.executable, "-m", "mockllm_server", "--version"], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == mockllm_server.__version__


def test_exit_status_and_stderr_pass_through(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("rules:\n  - match: {prompt: 3\n", encoding="utf-8")
    via_python = subprocess.run(["mockllm", "validate", str(broken)], capture_output=True, text=True, timeout=30)
    direct = subprocess.run([str(binary_path()), "validate", str(broken)], capture_output=True, text=True, timeout=30)
    assert via_python.returncode != 0
    assert (via_python.returncode, via_python.stdout, via_python.stderr) == (direct.returncode, direct.stdout, direct.stderr)
    assert "broken.yml:" in via_python.stdout + via_python.stderr


def test_server_starts_answers_and_stops_cleanly():
    with MockLLMServer() as server:
        assert server.port > 0 and server.url == f"http://127.0.0.1:{server.port}"
        with urllib.request.urlopen(server.url + "/health", timeout=10) as reply:
            assert reply.read() == b'{"status":"ok"}'
        process = server.process
    assert process.returncode == 0, server.log()
    assert "listening on" in server.log()


def test_a_server_that_cannot_start_raises_with_its_log(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("responses: [not, a, map\n", encoding="utf-8")
    server = MockLLMServer(broken)
    try:
        server.start(timeout=30)
    except mockllm_server.MockLLMError as error:
        assert "exited with code" in str(error)
        assert "broken.yml" in str(error)
    else:
        server.stop()
        raise AssertionError("a broken script started")
