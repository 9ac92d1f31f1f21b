"""The app under test, pointed at this test's own scope on the shared mock server.

`mockllm` is the fixture of the mockllm-server pytest plugin (installed with the wheel; nothing
to import): its base URLs end in /t/<test id>/, so whatever the app sends is this test's alone:
its rules' counts, the script it puts, its journal. The fixture drops the scope afterwards."""

import pytest

from app import Assistant


@pytest.fixture
def assistant(mockllm):
    return Assistant.connect(openai_base_url=mockllm.openai_base_url,
                             anthropic_base_url=mockllm.anthropic_base_url)
