"""Tests of the installed mockllm-server package (scripts/wheel-test runs them in a fresh venv
holding the wheel): the console command, the server lifecycle, the `mockllm` fixture, and the
plugin's options run in inner pytest sessions (pytester)."""

import json
import urllib.request

import pytest

pytest_plugins = ["pytester"]


def post(url: str, body: dict, headers: dict = None):
    """POST JSON; (status, lower-cased headers, parsed JSON body)."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return reply.status, {k.lower(): v for k, v in reply.headers.items()}, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, json.loads(error.read())


def chat(base_url: str, prompt: str, headers: dict = None):
    return post(base_url + "/chat/completions",
                {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}, headers)


@pytest.fixture
def clean_env(monkeypatch):
    """No MOCKLLM_* variable from the outer run reaches an inner session unless a test sets it."""
    import os

    for key in list(os.environ):
        if key.startswith("MOCKLLM_") and key != "MOCKLLM_BIN":
            monkeypatch.delenv(key)
    return monkeypatch
