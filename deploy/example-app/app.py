"""The app under test in docker-compose.yml: it talks to "OpenAI" and "Anthropic" through their
official clients, configured the way a real app is, by environment only:

    OPENAI_BASE_URL=http://mockllm:8000/v1     OPENAI_API_KEY=...
    ANTHROPIC_BASE_URL=http://mockllm:8000     ANTHROPIC_API_KEY=...

Pointed at mockllm, each call gets the scripted reply (config/responses.yml). Exits 0 when every
call got the reply it expected, 1 otherwise.
"""

import sys

from anthropic import Anthropic
from openai import OpenAI

# From config/responses.yml.
EXPECTED = {"hello": "Hello! How can I help you today?", "ping": "pong"}


def main() -> int:
    openai = OpenAI()  # OPENAI_BASE_URL, OPENAI_API_KEY
    anthropic = Anthropic()  # ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY
    results = {}

    reply = openai.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    results["openai chat"] = (reply.choices[0].message.content, EXPECTED["hello"])

    stream = openai.chat.completions.create(
        model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": "ping"}])
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    results["openai stream"] = (text, EXPECTED["ping"])

    message = anthropic.messages.create(
        model="claude-3-haiku", max_tokens=100, messages=[{"role": "user", "content": "hello"}])
    results["anthropic messages"] = (message.content[0].text, EXPECTED["hello"])

    with anthropic.messages.stream(
            model="claude-3-haiku", max_tokens=100,
            messages=[{"role": "user", "content": "ping"}]) as events:
        results["anthropic stream"] = ("".join(events.text_stream), EXPECTED["ping"])

    failed = 0
    for name, (got, expected) in results.items():
        ok = got == expected
        failed += not ok
        print(f"{'ok ' if ok else 'BAD'} {name}: {got!r}" + ("" if ok else f" (expected {expected!r})"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
