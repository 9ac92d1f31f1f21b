"""Small helpers shared by the Anthropic SDK tests: one user turn, the usual checks, raw SSE parsing."""

from __future__ import annotations

import json
from typing import Any

import anthropic
from anthropic.types import Message

from chat_helpers import MOCK_ID, REQUEST_ID

CLAUDE = "claude-3-haiku-20240307"
MAX_TOKENS = 1024
# Anthropic's own ids are `msg_...`; the mock keeps the original mockllm's `mock-<uuid4>` (docs/MIGRATING.md).
MESSAGE_ID = MOCK_ID
# The event names of one text reply, in order; `content_block_delta` repeats once per character.
EVENT_ORDER = ["message_start", "content_block_start", "ping", "content_block_delta",
               "content_block_stop", "message_delta", "message_stop"]


def user(content: Any) -> list[dict[str, Any]]:
    """A conversation of one user message (`content` may also be a list of content blocks)."""
    return [{"role": "user", "content": content}]


def say(client: anthropic.Anthropic, prompt: Any, **kwargs: Any) -> Message:
    kwargs.setdefault("model", CLAUDE)
    kwargs.setdefault("max_tokens", MAX_TOKENS)
    return client.messages.create(messages=user(prompt), **kwargs)


def text_of(message: Message) -> str:
    """The text of a reply, which must be exactly one text block."""
    assert [block.type for block in message.content] == ["text"], message.content
    return message.content[0].text


def assert_usage(usage: Any) -> None:
    assert type(usage.input_tokens) is int and usage.input_tokens > 0, usage
    assert type(usage.output_tokens) is int and usage.output_tokens >= 0, usage


def sse_events(raw: str) -> list[tuple[str, Any]]:
    """`event:` name and decoded `data:` of each server-sent event of a body, in order; an event
    without a name or without data is kept with None in its place so the tests can see it."""
    events = []
    for block in raw.split("\n\n"):
        if not block.strip():
            continue
        name, data = None, None
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[len("event: "):]
            elif line.startswith("data: "):
                data = line[len("data: "):]
        events.append((name, json.loads(data) if data is not None else None))
    return events


def collapse_deltas(names: list[str]) -> list[str]:
    """The event names with each run of `content_block_delta` shown once."""
    out: list[str] = []
    for name in names:
        if not (out and out[-1] == name == "content_block_delta"):
            out.append(name)
    return out
