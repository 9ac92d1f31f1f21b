"""Simulated latency (`settings.lag_enabled`), seen from the SDK. Lower bounds only: the machines
are shared and noisy, so nothing here says how fast anything must be."""

from __future__ import annotations

import time

import pytest

from anthropic_helpers import CLAUDE, say, text_of
from chat_helpers import MODEL, ask, streamed_text, user
from conftest import make_anthropic_client, make_client
from mock_scripts import TWENTY_CHARACTERS, script_yaml

LAG_FACTOR = 10
# The original's formulas (docs/MIGRATING.md, "Lag"): a whole reply waits len / (factor * 10) seconds; a stream
# waits base * U(0.5, 1.5) before each character, base = 1 / (factor * 10) seconds.
BASE_S = 1 / (LAG_FACTOR * 10)
REPLY_DELAY_S = len(TWENTY_CHARACTERS) * BASE_S  # 0.2 s
STREAM_MINIMUM_S = len(TWENTY_CHARACTERS) * BASE_S * 0.5  # 0.1 s
assert len(TWENTY_CHARACTERS) == 20

LAG_SCRIPT = script_yaml(
    {"twenty characters please": TWENTY_CHARACTERS},
    settings={"lag_enabled": True, "lag_factor": LAG_FACTOR},
)


@pytest.fixture
def lagged_client(start_server):
    server = start_server(LAG_SCRIPT, name="lag")
    with make_client(server.url) as client:
        # The first request pays for connection setup; nothing below measures it.
        ask(client, "twenty characters please")
        yield client


def test_a_lagged_reply_waits_at_least_len_over_ten_times_the_factor(lagged_client):
    started = time.perf_counter()
    completion = ask(lagged_client, "twenty characters please")
    elapsed = time.perf_counter() - started

    assert completion.choices[0].message.content == TWENTY_CHARACTERS
    assert elapsed >= REPLY_DELAY_S, f"took {elapsed:.3f} s"


def test_a_lagged_stream_waits_at_least_half_the_base_delay_per_character(lagged_client):
    started = time.perf_counter()
    with lagged_client.chat.completions.create(
        model=MODEL, messages=user("twenty characters please"), stream=True
    ) as chunks:
        received = list(chunks)
    elapsed = time.perf_counter() - started

    assert streamed_text(received) == TWENTY_CHARACTERS
    assert elapsed >= STREAM_MINIMUM_S, f"took {elapsed:.3f} s"


def test_a_lagged_stream_arrives_character_by_character_not_in_one_burst(lagged_client):
    arrivals = []
    with lagged_client.chat.completions.create(
        model=MODEL, messages=user("twenty characters please"), stream=True
    ) as chunks:
        for chunk in chunks:
            if chunk.choices and chunk.choices[0].delta.content:
                arrivals.append(time.perf_counter())

    assert len(arrivals) == len(TWENTY_CHARACTERS)
    # The server sends them over at least 19 * BASE_S * 0.5 s (19 gaps of at least half the base
    # delay). A busy client may read the first ones late, which only shortens what it sees, so
    # the claim here is half of that: the characters were not all there in one burst.
    spread = arrivals[-1] - arrivals[0]
    assert spread >= 19 * BASE_S * 0.5 / 2, f"characters arrived within {spread:.3f} s"



# --- the same formulas on Anthropic's Messages API ------------------------------------------


@pytest.fixture
def lagged_anthropic_client(start_server):
    server = start_server(LAG_SCRIPT, name="lag-anthropic")
    with make_anthropic_client(server.url) as client:
        say(client, "twenty characters please")  # connection setup, not measured
        yield client


def test_a_lagged_anthropic_message_waits_at_least_len_over_ten_times_the_factor(lagged_anthropic_client):
    started = time.perf_counter()
    message = say(lagged_anthropic_client, "twenty characters please")
    elapsed = time.perf_counter() - started

    assert text_of(message) == TWENTY_CHARACTERS
    assert elapsed >= REPLY_DELAY_S, f"took {elapsed:.3f} s"


def test_a_lagged_anthropic_stream_arrives_character_by_character(lagged_anthropic_client):
    arrivals = []
    started = time.perf_counter()
    with lagged_anthropic_client.messages.stream(
        model=CLAUDE, max_tokens=100, messages=user("twenty characters please")
    ) as stream:
        for _ in stream.text_stream:
            arrivals.append(time.perf_counter())
        final = stream.get_final_message()
    elapsed = time.perf_counter() - started

    assert text_of(final) == TWENTY_CHARACTERS
    assert len(arrivals) == len(TWENTY_CHARACTERS)
    assert elapsed >= STREAM_MINIMUM_S, f"took {elapsed:.3f} s"
    spread = arrivals[-1] - arrivals[0]  # see the OpenAI test above for why half
    assert spread >= 19 * BASE_S * 0.5 / 2, f"characters arrived within {spread:.3f} s"
