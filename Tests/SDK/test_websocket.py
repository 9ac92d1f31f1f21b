"""The WebSocket layer (RFC 6455) under OpenAI Realtime's endpoint, with the `websockets` library
(the client the openai SDK's realtime support runs on) as a real client: the handshake, text
messages both ways, a message sent in fragments, ping and pong, and the close handshake in both
directions with its codes. The Realtime events themselves are test_realtime's business; here
only the first event's `type` is read."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.sync.client import connect

MODEL = "gpt-realtime"


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + f"/v1/realtime?model={MODEL}"


def test_the_handshake_upgrades_and_the_first_event_is_json(base_url):
    with connect(ws_url(base_url), open_timeout=10) as ws:
        assert ws.response.status_code == 101
        assert ws.response.headers["Upgrade"].lower() == "websocket"
        event = json.loads(ws.recv(timeout=10))
        assert event["type"] == "session.created"


def test_a_fragmented_message_is_read_whole(base_url):
    with connect(ws_url(base_url), open_timeout=10) as ws:
        json.loads(ws.recv(timeout=10))
        update = json.dumps({"type": "session.update", "session": {"type": "realtime", "instructions": "Be brief."}})
        # websockets sends an iterable as one message in several frames (text, continuation...).
        ws.send([update[:10], update[10:25], update[25:]])
        event = json.loads(ws.recv(timeout=10))
        assert event["type"] == "session.updated"


def test_a_ping_is_answered_with_a_pong(base_url):
    with connect(ws_url(base_url), open_timeout=10) as ws:
        pong = ws.ping(b"are you there")
        assert pong.wait(timeout=10), "no pong for the ping"
        assert ws.latency >= 0


def test_the_clients_close_is_echoed_with_its_code(base_url):
    ws = connect(ws_url(base_url), open_timeout=10)
    json.loads(ws.recv(timeout=10))
    ws.close(code=1000, reason="done")
    assert ws.close_code == 1000
    assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000
    assert ws.protocol.close_rcvd.reason == "done"


def test_a_binary_message_where_text_is_expected_does_not_break_the_framing(base_url):
    # Whatever the Realtime protocol answers (an error event or a close), the frames stay valid:
    # websockets fails on any framing error of the server's as a 1002 it raises here.
    with connect(ws_url(base_url), open_timeout=10) as ws:
        json.loads(ws.recv(timeout=10))
        ws.send(b"\x00\x01")
        try:
            reply = ws.recv(timeout=10)
        except ConnectionClosedOK:
            return
        except ConnectionClosedError as closed:
            assert closed.rcvd is not None, "the server went away without a close frame"
            assert closed.rcvd.code not in (1002,), f"closed as a protocol error: {closed.rcvd}"
            return
        assert isinstance(reply, str)


def test_a_plain_get_to_the_websocket_path_is_refused_with_426(base_url):
    response = httpx.get(f"{base_url}/v1/realtime?model={MODEL}", timeout=10)
    assert response.status_code == 426
    assert "error" in response.json()


@pytest.mark.parametrize("version", ["8", "12"])
def test_another_websocket_version_is_refused_with_426_naming_13(base_url, version):
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": version,
    }
    response = httpx.get(f"{base_url}/v1/realtime?model={MODEL}", headers=headers, timeout=10)
    assert response.status_code == 426
    assert response.headers["sec-websocket-version"] == "13"
