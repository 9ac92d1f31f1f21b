"""Gemini's Live API through the real `google-genai` client: `client.aio.live.connect(...)`
holding a text session, an audio session (audio in, audio and transcripts out), a tool call
round trip, an interruption, session resumption, and the close frames of a refused key.

google-genai opens the Live WebSocket as wss:// whatever the base URL's scheme (with an API key
it swaps the scheme), and mockllm speaks plain HTTP: each test puts a small TLS front (a
certificate made with the openssl command, trusted through `async_client_args={"ssl": ...}`)
between the client and the server, bytes passed through unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import ssl
import struct
import subprocess
from pathlib import Path
from typing import AsyncIterator
from urllib.parse import urlparse

import pytest
from google import genai
from google.genai import errors, types

from test_vertex import LOCATION, PROJECT, StaticToken

MODEL = "gemini-live-2.5-flash-preview"
LONG = " ".join(f"word{i}" for i in range(60))
SCRIPT = f"""rules:
  - name: after-weather
    match: {{tool_result: {{name: get_weather}}}}
    reply: It is sunny in Paris.
  - name: weather
    match: {{prompt: {{contains: weather}}}}
    reply: {{tool_calls: [{{name: get_weather, arguments: {{city: Paris}}}}]}}
  - name: spoken
    match: {{audio_ms: {{min: 100}}}}
    transcript: good morning
    reply: Good morning to you
    pacing: {{ttft_ms: 20, speech_wpm: 600}}
  - name: long
    match: {{prompt: {{contains: long story}}}}
    reply: {LONG}
    pacing: {{ttft_ms: 10, itl_ms: 40, chunking: word}}
  - name: second-turn
    match: {{prompt: {{contains: again}}, turn: 2}}
    reply: You said hello before.
responses:
  hello: Hi there
"""
WEATHER = types.FunctionDeclaration(
    name="get_weather",
    description="Get the weather for a city",
    parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")}, required=["city"]),
)


@pytest.fixture(scope="module")
def live_server(session_pool):
    return session_pool.start(SCRIPT, name="gemini-live")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the Gemini Live tests need the openssl command for their TLS front", pytrace=False)
    directory = tmp_path_factory.mktemp("tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    return cert, key


@contextlib.asynccontextmanager
async def tls_front(server_url: str, certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    """An https:// URL whose connections are decrypted and passed to the server as they are."""
    target = urlparse(server_url)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        server_reader, server_writer = await asyncio.open_connection(target.hostname, target.port)
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    front = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    port = front.sockets[0].getsockname()[1]
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        front.close()


def live_client(url: str, certificate: tuple[Path, Path], api_key: str = "test", api_version: str = "v1beta") -> genai.Client:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    options = types.HttpOptions(base_url=url, api_version=api_version, async_client_args={"ssl": trust})
    return genai.Client(api_key=api_key, http_options=options)


def speech(milliseconds: int, rate: int = 16000) -> bytes:
    """PCM16 of a loud 200 Hz square wave: what the server's voice detection hears as speech."""
    period = rate // 200
    return b"".join(struct.pack("<h", 8000 if (i // (period // 2)) % 2 == 0 else -8000)
                    for i in range(milliseconds * rate // 1000))


def vertex_live_client(url: str, certificate: tuple[Path, Path]) -> genai.Client:
    trust = ssl.create_default_context(cafile=str(certificate[0]))
    options = types.HttpOptions(base_url=url, async_client_args={"ssl": trust})
    return genai.Client(vertexai=True, project=PROJECT, location=LOCATION, credentials=StaticToken("ya29.mock-token"),
                        http_options=options)


def user(text: str) -> types.Content:
    return types.Content(role="user", parts=[types.Part(text=text)])


async def one_turn(session) -> list[types.LiveServerMessage]:
    """The messages of one model turn, up to its turnComplete (or a tool call)."""
    return [message async for message in session.receive()]


def text_of(messages: list[types.LiveServerMessage]) -> str:
    return "".join(part.text for m in messages if m.server_content and m.server_content.model_turn
                   for part in m.server_content.model_turn.parts or [] if part.text)


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 30))


# --- sessions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("api_version", ["v1alpha", "v1beta"])
def test_a_text_session_answers_each_turn_from_the_script(live_server, certificate, api_version):
    async def main():
        async with tls_front(live_server.url, certificate) as url:
            client = live_client(url, certificate, api_version=api_version)
            config = types.LiveConnectConfig(response_modalities=["TEXT"], system_instruction="Be brief.")
            async with client.aio.live.connect(model=MODEL, config=config) as session:
                await session.send_client_content(turns=user("hello"), turn_complete=True)
                return await one_turn(session)

    messages = run(main())
    assert text_of(messages) == "Hi there"
    assert any(m.server_content and m.server_content.generation_complete for m in messages)
    last = messages[-1]
    assert last.server_content.turn_complete is True
    assert last.usage_metadata.response_token_count == 2
    assert last.usage_metadata.total_token_count == last.usage_metadata.prompt_token_count + 2


def test_a_vertex_ai_session_is_served_at_its_own_path(live_server, certificate):
    async def main():
        async with tls_front(live_server.url, certificate) as url:
            client = vertex_live_client(url, certificate)
            config = types.LiveConnectConfig(response_modalities=["TEXT"])
            async with client.aio.live.connect(model="gemini-2.5-flash", config=config) as session:
                await session.send_client_content(turns=user("hello"), turn_complete=True)
                return await one_turn(session)

    messages = run(main())
    assert text_of(messages) == "Hi there"
    # Vertex AI's name for the reply's tokens, read by google-genai's Vertex converter.
    assert messages[-1].usage_metadata.response_token_count == 2


def test_an_audio_session_hears_audio_and_answers_with_speech_and_transcripts(live_server, certificate):
    async def main():
        async with tls_front(live_server.url, certificate) as url:
            client = live_client(url, certificate)
            config = types.LiveConnectConfig(
                response_modalities=["AUDIO"],
                input_audio_transcription=types.AudioTranscriptionConfig(),
                output_audio_transcription=types.AudioTranscriptionConfig(),
            )
            async with client.aio.live.connect(model=MODEL, config=config) as session:
                # 300 ms of speech in three chunks, then 600 ms of silence: the server hears the
                # speech end (its default: 500 ms of silence) and answers.
                for _ in range(3):
                    await session.send_realtime_input(audio=types.Blob(data=speech(100), mime_type="audio/pcm;rate=16000"))
                await session.send_realtime_input(audio=types.Blob(data=bytes(19200), mime_type="audio/pcm;rate=16000"))
                return await one_turn(session)

    messages = run(main())
    heard = "".join(m.server_content.input_transcription.text for m in messages
                    if m.server_content and m.server_content.input_transcription)
    said = "".join(m.server_content.output_transcription.text for m in messages
                   if m.server_content and m.server_content.output_transcription)
    audio = b"".join(m.data for m in messages if m.data)
    mime_types = {part.inline_data.mime_type for m in messages if m.server_content and m.server_content.model_turn
                  for part in m.server_content.model_turn.parts or [] if part.inline_data}
    assert heard == "good morning"
    assert said == "Good morning to you"
    assert mime_types == {"audio/pcm;rate=24000"}
    # Four words at 600 words a minute: 0.4 s of 24 kHz PCM16.
    assert len(audio) == 4 * 2400 * 2
    assert messages[-1].server_content.turn_complete is True
    assert messages[-1].usage_metadata.response_tokens_details[0].modality == types.MediaModality.AUDIO


def test_manual_activity_signals_bound_the_users_turn(live_server, certificate):
    async def main():
        async with tls_front(live_server.url, certificate) as url:
            client = live_client(url, certificate)
            config = types.LiveConnectConfig(
                response_modalities=["TEXT"],
                realtime_input_config=types.RealtimeInputConfig(automatic_activity_detection=types.AutomaticActivityDetection(disabled=True)),
            )
            async with client.aio.live.connect(model=MODEL, config=config) as session:
                await session.send_realtime_input(activity_start=types.ActivityStart())
                await session.send_realtime_input(audio=types.Blob(data=bytes(6400), mime_type="audio/pcm;rate=16000"))
                await session.send_realtime_input(activity_end=types.ActivityEnd())
                return await one_turn(session)

    # 200 ms of audio between the signals: the `spoken` rule (audio_ms >= 100) answers, in text.
    assert text_of(run(main())) == "Good morning to you"


def test_a_tool_call_round_trip_continues_the_turn(live_server, certificate):
    async def main():
        async with tls_front(live_server.url, certificate) as url:
            client = live_client(url, certificate)
            config = types.LiveConnectConfig(response_modalities=["TEXT"], tools=[types.Tool(function_declarations=[WEATHER])])
            async with client.aio.live.connect(model=MODEL, config=config) as session:
                await session.send_client_content(turns=user("What is the weather in Paris?"), turn_complete=True)
                first = []
                async for message in session.receive():
                    first.append(message)
                    if message.tool_call:
                        break
                call = first[-1].tool_call.function_calls[0]
                await session.send_tool_response(
                    function_responses=[types.FunctionResponse(id=call.id, name=call.name, response={"forecast": "sunny"})])
                return call, await one_turn(session)

    call, after = run(main())
    assert call.name == "get_weather"
    assert call.args == {"city": "Paris"}
    assert call.id
    assert text_of(after) == "It is sunny in Paris."
    assert after[-1].server_content.turn_complete is True


def test_new_input_interrupts_the_model_and_the_rest_is_dropped(live_server, certificate):
    async def main():
        async with tls_front(live_server.url, certificate) as url:
            client = live_client(url, certificate)
            config = types.LiveConnectConfig(response_modalities=["TEXT"])
            async with client.aio.live.connect(model=MODEL, config=config) as session:
                await session.send_client_content(turns=user("tell me a long story"), turn_complete=True)
                received = []
                async for message in session.receive():
                    received.append(message)
                    if text_of(received):
                        break
                await session.send_realtime_input(text="hello")
                interrupted = await one_turn(session)
                answer = await one_turn(session)
                return received, interrupted, answer

    received, interrupted, answer = run(main())
    assert interrupted[-1].server_content.turn_complete is True
    assert any(m.server_content and m.server_content.interrupted for m in interrupted)
    assert len((text_of(received) + text_of(interrupted)).split()) < len(LONG.split())
    assert text_of(answer) == "Hi there"


def test_a_resumed_session_keeps_its_conversation(live_server, certificate):
    async def main():
        async with tls_front(live_server.url, certificate) as url:
            client = live_client(url, certificate)
            config = types.LiveConnectConfig(response_modalities=["TEXT"], session_resumption=types.SessionResumptionConfig())
            async with client.aio.live.connect(model=MODEL, config=config) as session:
                await session.send_client_content(turns=user("hello"), turn_complete=True)
                await one_turn(session)
                update = await session._receive()
            handle = update.session_resumption_update.new_handle
            resumed = types.LiveConnectConfig(response_modalities=["TEXT"], session_resumption=types.SessionResumptionConfig(handle=handle))
            async with client.aio.live.connect(model=MODEL, config=resumed) as session:
                await session.send_client_content(turns=user("say it again"), turn_complete=True)
                return update, await one_turn(session)

    update, messages = run(main())
    assert update.session_resumption_update.resumable is True
    assert text_of(messages) == "You said hello before."


def test_an_unknown_resumption_handle_closes_with_1008(live_server, certificate):
    async def main():
        async with tls_front(live_server.url, certificate) as url:
            client = live_client(url, certificate)
            config = types.LiveConnectConfig(session_resumption=types.SessionResumptionConfig(handle="nope"))
            async with client.aio.live.connect(model=MODEL, config=config) as session:
                await one_turn(session)

    with pytest.raises(errors.APIError) as raised:
        run(main())
    assert raised.value.code == 1008
    assert "BidiGenerateContent session not found" in str(raised.value)


def test_a_wrong_key_is_refused_with_a_1007_close(start_server, certificate):
    server = start_server(SCRIPT, extra_args=["--api-key", "right"])

    async def main():
        async with tls_front(server.url, certificate) as url:
            async with live_client(url, certificate, api_key="wrong").aio.live.connect(model=MODEL) as session:
                await one_turn(session)

    with pytest.raises(errors.APIError) as raised:
        run(main())
    assert raised.value.code == 1007
    assert "API key not valid. Please pass a valid API key." in str(raised.value)


def test_a_limited_connection_says_go_away_then_closes_with_1011(start_server, certificate):
    """`settings.session_limit_ms` and `go_away_ms`: the connection's end as Google's front end
    sends it, a `goAway` with the time left, then a 1011 close."""
    server = start_server(SCRIPT + "settings: {session_limit_ms: 1500, go_away_ms: 1000}\n")

    async def main():
        seen = []
        async with tls_front(server.url, certificate) as url:
            client = live_client(url, certificate)
            config = types.LiveConnectConfig(response_modalities=["TEXT"])
            async with client.aio.live.connect(model=MODEL, config=config) as session:
                await session.send_client_content(turns=user("hello"), turn_complete=True)
                with pytest.raises(errors.APIError) as raised:
                    while True:
                        seen.append(await session._receive())
        return seen, raised.value

    seen, error = run(main())
    assert text_of(seen) == "Hi there"
    warnings = [m.go_away for m in seen if m.go_away]
    assert len(warnings) == 1
    assert warnings[0].time_left == "1s"
    assert error.code == 1011
    assert "Deadline expired before operation could complete." in str(error)
