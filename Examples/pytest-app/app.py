"""A small app that calls two LLM APIs: what the example's tests exercise.

It knows nothing of mockllm: it takes base URLs like any app configured for a gateway or a
proxy, and the tests give it the URLs of their own scope on the mock server.
"""

from __future__ import annotations

from dataclasses import dataclass

from anthropic import Anthropic
from openai import OpenAI
from pydantic import BaseModel

OPENAI_MODEL = "gpt-4o-mini"
CLAUDE_MODEL = "claude-3-haiku"


class Invoice(BaseModel):
    """What `extract_invoice` reads out of a text (OpenAI structured output)."""

    vendor: str
    total: float
    currency: str


@dataclass
class Reviewed:
    draft: str
    review: str


@dataclass
class Assistant:
    openai: OpenAI
    anthropic: Anthropic

    @classmethod
    def connect(cls, openai_base_url: str, anthropic_base_url: str, api_key: str = "sk-test",
                max_retries: int = 2) -> "Assistant":
        """Both clients with the SDKs' own retry logic: up to `max_retries` more attempts on 408,
        409, 429 and 5xx, waiting what the server's retry-after(-ms) header asks."""
        return cls(
            openai=OpenAI(base_url=openai_base_url, api_key=api_key, max_retries=max_retries),
            anthropic=Anthropic(base_url=anthropic_base_url, api_key=api_key, max_retries=max_retries),
        )

    def answer(self, question: str) -> str:
        """One chat completion."""
        reply = self.openai.chat.completions.create(
            model=OPENAI_MODEL, messages=[{"role": "user", "content": question}])
        return reply.choices[0].message.content

    def charge(self, amount: int) -> str:
        """A call to a flaky backend: the OpenAI client retries it when it answers 503."""
        return self.answer(f"charge {amount} EUR")

    def summarize(self, text: str) -> str:
        """One Anthropic message."""
        message = self.anthropic.messages.create(
            model=CLAUDE_MODEL, max_tokens=200, messages=[{"role": "user", "content": f"Summarize: {text}"}])
        return message.content[0].text

    def answer_with_review(self, question: str) -> Reviewed:
        """Two calls: a draft from OpenAI, then Claude reviews it."""
        draft = self.answer(question)
        message = self.anthropic.messages.create(
            model=CLAUDE_MODEL, max_tokens=200,
            messages=[{"role": "user", "content": f"Review this answer to '{question}': {draft}"}])
        return Reviewed(draft=draft, review=message.content[0].text)

    def extract_invoice(self, text: str) -> Invoice:
        """Structured output: the reply is parsed into an `Invoice` (the SDK sends its JSON Schema
        as `response_format` and validates the reply against the model)."""
        completion = self.openai.chat.completions.parse(
            model=OPENAI_MODEL, response_format=Invoice,
            messages=[{"role": "system", "content": "Extract the invoice."}, {"role": "user", "content": text}])
        return completion.choices[0].message.parsed
