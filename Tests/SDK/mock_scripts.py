"""The YAML scripts the SDK suite serves, and the replies the tests expect from them."""

from __future__ import annotations

import json
from typing import Optional


def _quoted(text: str) -> str:
    """A YAML double-quoted scalar: JSON's string syntax is valid YAML (kept as raw UTF-8)."""
    return json.dumps(text, ensure_ascii=False)


def script_yaml(
    responses: dict[str, str],
    unknown_response: Optional[str] = None,
    settings: Optional[dict[str, object]] = None,
    models: Optional[list[dict[str, object]]] = None,
) -> str:
    """The text of a responses.yml in the original mockllm's format (plus this server's
    `models:` section when `models` is given, each entry written as a JSON flow mapping)."""
    lines = ["responses:"]
    lines += [f"  {_quoted(prompt)}: {_quoted(reply)}" for prompt, reply in responses.items()]
    if unknown_response is not None:
        lines += ["defaults:", f"  unknown_response: {_quoted(unknown_response)}"]
    if settings:
        lines.append("settings:")
        lines += [f"  {key}: {json.dumps(value)}" for key, value in settings.items()]
    if models:
        lines.append("models:")
        lines += [f"  - {json.dumps(model, ensure_ascii=False)}" for model in models]
    return "\n".join(lines) + "\n"


# The suite's own script: each reply is chosen to exercise one part of the protocol.
UNICODE_REPLY = "héllo wörld 😀 世界"
TRICKY_REPLY = 'She said "hi" \\ then left: C:\\temp\\new\nsecond line\n\ttabbed {"json": [1, 2]} </script> \u00a0end'
LONG_REPLY = (
    "The quick brown fox jumps over the lazy dog, and then the dog chases the fox "
    "around the garden until both of them are tired and fall asleep in the sun."
)
TWENTY_CHARACTERS = "abcdefghij0123456789"
# About 2,300 characters: as a lag-free stream, over 256 KiB of events are due at once.
VERY_LONG_REPLY = " ".join([LONG_REPLY] * 15)
SUITE_UNKNOWN_REPLY = "The SDK suite has no scripted answer for that."

SUITE_RESPONSES = {
    "hello": "Hello! This is the mock speaking.",
    "unicode please": UNICODE_REPLY,
    "tricky text please": TRICKY_REPLY,
    "a long answer please": LONG_REPLY,
    "twenty characters please": TWENTY_CHARACTERS,
    "first part\nsecond part": "Both text parts arrived, joined by a newline.",
    "héllo 世界?": "Non-ASCII prompts match too.",
}

SUITE_SCRIPT = script_yaml(SUITE_RESPONSES, unknown_response=SUITE_UNKNOWN_REPLY)
