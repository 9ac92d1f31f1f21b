"""instructor: a typed extraction in its TOOLS, JSON, MD_JSON and JSON_SCHEMA modes (OpenAI) and
ANTHROPIC_TOOLS and ANTHROPIC_JSON modes, whole and streamed as partial objects. The JSON modes
put the model's JSON Schema into the system message and ask for JSON (`json_object`, or in words):
automatic mode answers an instance of that schema."""

from __future__ import annotations

import instructor
import pytest
from anthropic import Anthropic
from openai import OpenAI

from weather import EXTRACT, JASON, User

OPENAI_MODES = [instructor.Mode.TOOLS, instructor.Mode.JSON, instructor.Mode.MD_JSON, instructor.Mode.JSON_SCHEMA]
ANTHROPIC_MODES = [instructor.Mode.ANTHROPIC_TOOLS, instructor.Mode.ANTHROPIC_JSON]


def openai_client(base_url: str, mode):
    return instructor.from_openai(OpenAI(base_url=f"{base_url}/v1", api_key="not-needed", max_retries=0), mode=mode)


def anthropic_client(base_url: str, mode):
    return instructor.from_anthropic(Anthropic(base_url=base_url, api_key="not-needed", max_retries=0), mode=mode)


@pytest.mark.parametrize("mode", OPENAI_MODES, ids=lambda m: m.name)
def test_openai_modes(base_url, journal, mode):
    user = openai_client(base_url, mode).chat.completions.create(
        model="gpt-4o-mini", response_model=User, max_retries=1, messages=[{"role": "user", "content": EXTRACT}])
    assert user.model_dump() == JASON.model_dump()
    assert len(journal.requests("/v1/chat/completions")) == 1, "right the first time: no retry"


@pytest.mark.parametrize("mode", ANTHROPIC_MODES, ids=lambda m: m.name)
def test_anthropic_modes(base_url, journal, mode):
    user = anthropic_client(base_url, mode).messages.create(
        model="claude-haiku-4-5", max_tokens=1024, response_model=User, max_retries=1,
        messages=[{"role": "user", "content": EXTRACT}])
    assert user.model_dump() == JASON.model_dump()
    assert len(journal.requests("/v1/messages")) == 1, "right the first time: no retry"


@pytest.mark.parametrize("mode", [instructor.Mode.TOOLS, instructor.Mode.JSON], ids=lambda m: m.name)
def test_openai_partial_stream(base_url, journal, mode):
    partials = list(openai_client(base_url, mode).chat.completions.create_partial(
        model="gpt-4o-mini", response_model=User, max_retries=1, messages=[{"role": "user", "content": EXTRACT}]))
    assert len(partials) > 1
    assert User.model_validate(partials[-1].model_dump()) == JASON


@pytest.mark.parametrize("mode", ANTHROPIC_MODES, ids=lambda m: m.name)
def test_anthropic_partial_stream(base_url, journal, mode):
    partials = list(anthropic_client(base_url, mode).messages.create_partial(
        model="claude-haiku-4-5", max_tokens=1024, response_model=User, max_retries=1,
        messages=[{"role": "user", "content": EXTRACT}]))
    assert len(partials) > 1
    assert User.model_validate(partials[-1].model_dump()) == JASON
