"""OpenAI Realtime through the real openai SDK (`client.realtime.connect`, the `realtime` extra):
a text session, an audio session (speech in, audio and transcript out, the audio as long as the
reply's words take at the script's speaking rate), a tool call round trip, an interruption by
speech and a cancel, client mistakes as `error` events, and the API key checked at the handshake.

The client's audio is synthesized here (a 200 Hz tone, then silence), as a microphone would send
speech then a pause; mockllm's server VAD hears the tone as speech and the silence as its end."""

from __future__ import annotations

import base64
import math
import signal
import struct
from typing import Iterator

import openai
import pytest
import websockets

from conftest import make_client

SPEECH_WPM = 150

REALTIME_SCRIPT = r"""
pacing: {speech_wpm: 150, ttft_ms: 20, itl_ms: 5, chunking: word}
rules:
  - name: greet
    match: {prompt: "Hello there"}
    reply: "Hi! How can I help?"
  - name: weather-answer
    match: {tool_result: get_weather}
    reply: "It is sunny in Paris."
  - name: weather-call
    match: {tools: true, prompt: {contains: weather}}
    reply:
      tool_calls: [{name: get_weather, arguments: {city: Paris}}]
  - name: spoken
    match: {audio_ms: {min: 500}}
    transcript: "What time is it?"
    reply: "It is noon, time for lunch."
  - name: story
    match: {prompt: "Tell me a story"}
    reply: "Once upon a time there was a mock server that spoke in tones instead of words, and everyone who listened heard exactly how long each sentence took to say."
"""

MODEL = "gpt-realtime"


@pytest.fixture(autouse=True)
def watchdog() -> Iterator[None]:
    """A realtime test that waits for an event that never comes fails after 30 s, not never."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("no realtime event within 30 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def realtime_server(session_pool):  # type: ignore[no-untyped-def]
    return session_pool.start(REALTIME_SCRIPT, name="realtime")


@pytest.fixture
def client(realtime_server) -> Iterator[openai.OpenAI]:  # type: ignore[no-untyped-def]
    with make_client(realtime_server.url) as c:
        yield c
    realtime_server.assert_alive()


def until(connection, last: str) -> list:  # type: ignore[no-untyped-def]
    """Events up to and including the first of type `last`."""
    events = []
    while True:
        event = connection.recv()
        events.append(event)
        if event.type == last:
            return events


def of(events: list, type_: str) -> list:  # type: ignore[type-arg]
    return [e for e in events if e.type == type_]


def speech(seconds: float, silence: float = 0.8, rate: int = 24_000) -> bytes:
    """PCM16 little-endian: a tone for `seconds`, then `silence` seconds of zeros."""
    tone = (int(8000 * math.sin(2 * math.pi * 200 * i / rate)) for i in range(int(seconds * rate)))
    return struct.pack(f"<{int(seconds * rate)}h", *tone) + bytes(2 * int(silence * rate))


def append_audio(connection, audio: bytes, chunk_ms: int = 100) -> None:  # type: ignore[no-untyped-def]
    step = 48 * chunk_ms  # bytes of 24 kHz PCM16 per chunk
    for i in range(0, len(audio), step):
        connection.input_audio_buffer.append(audio=base64.b64encode(audio[i : i + step]).decode())


def say(connection, text: str) -> None:  # type: ignore[no-untyped-def]
    connection.conversation.item.create(
        item={"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
    )


def test_text_session(client: openai.OpenAI) -> None:
    with client.realtime.connect(model=MODEL) as connection:
        created = connection.recv()
        assert created.type == "session.created"
        assert created.session.model == MODEL
        connection.session.update(session={"type": "realtime", "output_modalities": ["text"], "instructions": "Be brief."})
        updated = until(connection, "session.updated")[-1]
        assert updated.session.output_modalities == ["text"]
        assert updated.session.instructions == "Be brief."
        say(connection, "Hello there")
        connection.response.create()
        events = until(connection, "response.done")
        types = [e.type for e in events]
        assert types.index("response.created") < types.index("response.output_text.delta") < types.index("response.done")
        deltas = of(events, "response.output_text.delta")
        assert len(deltas) == 5  # word chunking
        assert "".join(d.delta for d in deltas) == "Hi! How can I help?"
        assert of(events, "response.output_text.done")[0].text == "Hi! How can I help?"
        done = events[-1].response
        assert done.status == "completed"
        assert done.output[0].content[0].text == "Hi! How can I help?"
        assert done.usage.output_tokens > 0
        assert connection.recv().type == "rate_limits.updated"


def test_audio_session(client: openai.OpenAI) -> None:
    with client.realtime.connect(model=MODEL) as connection:
        connection.session.update(
            session={
                "type": "realtime",
                "output_modalities": ["audio"],
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "transcription": {"model": "whisper-1"},
                        "turn_detection": {"type": "server_vad", "silence_duration_ms": 500},
                    },
                    "output": {"format": {"type": "audio/pcm", "rate": 24000}, "voice": "marin"},
                },
            }
        )
        until(connection, "session.updated")
        append_audio(connection, speech(1.5))
        events = until(connection, "response.done")
        types = [e.type for e in events]
        for expected in ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped",
                         "input_audio_buffer.committed", "conversation.item.input_audio_transcription.completed",
                         "response.created", "response.output_audio.delta", "response.output_audio_transcript.delta"]:
            assert expected in types, f"{expected} missing from {types}"
        assert 1450 <= of(events, "input_audio_buffer.speech_stopped")[0].audio_end_ms <= 1510
        assert of(events, "conversation.item.input_audio_transcription.completed")[0].transcript == "What time is it?"
        reply = "It is noon, time for lunch."
        audio = b"".join(base64.b64decode(d.delta) for d in of(events, "response.output_audio.delta"))
        words = len(reply.split())
        assert len(audio) == int(words * 60 / SPEECH_WPM * 24_000) * 2  # 24 kHz PCM16
        assert "".join(d.delta for d in of(events, "response.output_audio_transcript.delta")) == reply
        assert of(events, "response.output_audio_transcript.done")[0].transcript == reply
        assert events[-1].response.status == "completed"
        assert events[-1].response.output[0].content[0].transcript == reply


def test_tool_call_round_trip(client: openai.OpenAI) -> None:
    with client.realtime.connect(model=MODEL) as connection:
        connection.session.update(
            session={
                "type": "realtime",
                "output_modalities": ["text"],
                "tools": [
                    {
                        "type": "function",
                        "name": "get_weather",
                        "description": "The weather in a city",
                        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
                    }
                ],
            }
        )
        until(connection, "session.updated")
        say(connection, "What is the weather in Paris?")
        connection.response.create()
        events = until(connection, "response.done")
        call = of(events, "response.function_call_arguments.done")[0]
        assert call.name == "get_weather"
        assert call.arguments == '{"city": "Paris"}'
        item = events[-1].response.output[0]
        assert item.type == "function_call" and item.call_id == call.call_id
        connection.conversation.item.create(
            item={"type": "function_call_output", "call_id": call.call_id, "output": '{"weather": "sunny"}'}
        )
        connection.response.create()
        events = until(connection, "response.done")
        assert "".join(d.delta for d in of(events, "response.output_text.delta")) == "It is sunny in Paris."


def test_speech_interrupts_a_response_and_the_client_truncates(client: openai.OpenAI) -> None:
    with client.realtime.connect(model=MODEL) as connection:
        say(connection, "Tell me a story")
        connection.response.create()
        events = until(connection, "response.output_audio.delta")
        item_id = of(events, "response.output_item.added")[0].item.id
        append_audio(connection, speech(0.6, silence=0))
        events = until(connection, "response.done")
        assert of(events, "input_audio_buffer.speech_started")
        done = events[-1].response
        assert done.status == "cancelled"
        assert done.status_details.reason == "turn_detected"
        connection.conversation.item.truncate(item_id=item_id, content_index=0, audio_end_ms=500)
        truncated = until(connection, "conversation.item.truncated")[-1]
        assert truncated.item_id == item_id and truncated.audio_end_ms == 500


def test_the_client_cancels_a_response(client: openai.OpenAI) -> None:
    with client.realtime.connect(model=MODEL) as connection:
        say(connection, "Tell me a story")
        connection.response.create()
        until(connection, "response.output_audio.delta")
        connection.response.cancel()
        done = until(connection, "response.done")[-1].response
        assert done.status == "cancelled"
        assert done.status_details.reason == "client_cancelled"


def test_client_mistakes_are_error_events(client: openai.OpenAI) -> None:
    with client.realtime.connect(model=MODEL) as connection:
        connection.send({"type": "response.explode"})  # type: ignore[arg-type, typeddict-item]
        error = until(connection, "error")[-1].error
        assert error.type == "invalid_request_error"
        assert error.param == "type"
        connection.input_audio_buffer.commit()
        error = until(connection, "error")[-1].error
        assert error.code == "input_audio_buffer_commit_empty"
        # The session goes on.
        connection.session.update(session={"type": "realtime", "output_modalities": ["text"]})
        assert until(connection, "session.updated")[-1].type == "session.updated"


def test_the_api_key_is_checked_at_the_handshake(start_server) -> None:  # type: ignore[no-untyped-def]
    server = start_server(REALTIME_SCRIPT, extra_args=["--api-key", "sekret"])
    wrong = openai.OpenAI(base_url=f"{server.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        with wrong.realtime.connect(model=MODEL):
            pass
    assert refused.value.response.status_code == 401
    right = openai.OpenAI(base_url=f"{server.url}/v1", api_key="sekret", max_retries=0)
    with right.realtime.connect(model=MODEL) as connection:
        assert connection.recv().type == "session.created"


def test_the_beta_client_gets_the_beta_names(realtime_server) -> None:  # type: ignore[no-untyped-def]
    """`client.beta.realtime` sends `OpenAI-Beta: realtime=v1`: the beta's session shape and names.
    It always connects with wss unless given `websocket_base_url`."""
    url = realtime_server.url
    client = openai.OpenAI(base_url=f"{url}/v1", websocket_base_url=f"{url.replace('http', 'ws', 1)}/v1", api_key="test", max_retries=0)
    with client.beta.realtime.connect(model=MODEL) as connection:
        created = connection.recv()
        assert created.type == "session.created"
        assert created.session.modalities == ["text", "audio"]
        assert created.session.input_audio_format == "pcm16"
        connection.session.update(session={"modalities": ["text"], "instructions": "Be brief."})
        assert until(connection, "session.updated")[-1].session.modalities == ["text"]
        say(connection, "Hello there")
        connection.response.create()
        events = until(connection, "response.done")
        assert "conversation.item.created" in [e.type for e in events]
        assert "".join(d.delta for d in of(events, "response.text.delta")) == "Hi! How can I help?"
        assert of(events, "response.text.done")[0].text == "Hi! How can I help?"
        assert events[-1].response.status == "completed"


def test_a_session_ends_at_its_limit_as_openai_ends_one(client: openai.OpenAI) -> None:
    """`x-mockllm-session-limit-ms` on the handshake: the session's end as the API sends it at its
    maximum duration, a `session_expired` error event, then a 1001 close with the same words."""
    with client.realtime.connect(model=MODEL, extra_headers={"x-mockllm-session-limit-ms": "1500"}) as connection:
        assert connection.recv().type == "session.created"
        error = until(connection, "error")[-1].error
        assert error.type == "invalid_request_error"
        assert error.code == "session_expired"
        assert error.message == "Your session hit the maximum duration of 1.5 seconds."
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            connection.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1001
    assert closed.value.rcvd.reason == "Your session hit the maximum duration of 1.5 seconds."
