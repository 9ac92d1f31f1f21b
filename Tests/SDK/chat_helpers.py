"""Small helpers shared by the SDK tests: one user turn, a whole stream, the usual checks."""

from __future__ import annotations

import re
import time
from typing import Any

import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk

MODEL = "gpt-4o-mini"
# Both providers' request ids (OpenAI's `x-request-id`, Anthropic's `request-id` header).
REQUEST_ID = re.compile(r"^req_[0-9a-f]{24}$")
MOCK_ID = re.compile(r"^mock-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def user(text: Any) -> list[dict[str, Any]]:
    """A conversation of one user message (`text` may also be a list of content parts)."""
    return [{"role": "user", "content": text}]


def ask(client: openai.OpenAI, prompt: Any, **kwargs: Any) -> ChatCompletion:
    kwargs.setdefault("model", MODEL)
    return client.chat.completions.create(messages=user(prompt), **kwargs)


def stream(client: openai.OpenAI, prompt: Any, **kwargs: Any) -> list[ChatCompletionChunk]:
    """Every chunk of a `stream=True` completion, read to the end through the SDK."""
    kwargs.setdefault("model", MODEL)
    with client.chat.completions.create(messages=user(prompt), stream=True, **kwargs) as chunks:
        return list(chunks)


def seconds_to_first_content(client: openai.OpenAI, **request: Any) -> float:
    """Seconds from sending a chat stream to its first content delta, as the client sees them."""
    sent = time.monotonic()
    first = None
    for chunk in client.chat.completions.create(stream=True, **request):
        if first is None and chunk.choices and chunk.choices[0].delta.content:
            first = time.monotonic() - sent
    assert first is not None, "the stream carried no content"
    return first


def streamed_text(chunks: list[ChatCompletionChunk]) -> str:
    return "".join(choice.delta.content or "" for chunk in chunks for choice in chunk.choices)


def finish_reasons(chunks: list[ChatCompletionChunk]) -> list[str]:
    return [choice.finish_reason for chunk in chunks for choice in chunk.choices if choice.finish_reason is not None]


def assert_usage_adds_up(usage: Any) -> None:
    assert usage is not None
    for field in ("prompt_tokens", "completion_tokens", "total_tokens"):
        assert type(getattr(usage, field)) is int, f"usage.{field} is {getattr(usage, field)!r}"
    assert usage.prompt_tokens > 0
    assert usage.completion_tokens >= 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def assert_one_stream(chunks: list[ChatCompletionChunk], *, model: str, finish_reason: str = "stop") -> None:
    """One id, one model, one creation time, chunk objects, a role first and one finish reason last."""
    assert chunks, "the stream had no chunks"
    assert {chunk.id for chunk in chunks} == {chunks[0].id}, "chunks of one stream must share one id"
    assert MOCK_ID.match(chunks[0].id), chunks[0].id
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert {chunk.model for chunk in chunks} == {model}
    assert {chunk.created for chunk in chunks} == {chunks[0].created}
    assert chunks[0].choices[0].delta.role == "assistant"
    assert finish_reasons(chunks) == [finish_reason]
    with_choices = [chunk for chunk in chunks if chunk.choices]
    assert with_choices[-1].choices[0].finish_reason == finish_reason, "the finish reason comes last"
    assert all(choice.index == 0 for chunk in chunks for choice in chunk.choices)
