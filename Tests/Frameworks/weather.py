"""What every framework test asks: a weather report for Paris, with one function tool.

The bundled script has no rule for it: automatic mode calls `get_weather` with the city the
prompt names, then answers the typed output from the prompt and the tool's result.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

PROMPT = "What is the weather in Paris?"
TWO_THINGS = "What is the time in CET and the weather in Paris?"


class Weather(BaseModel):
    """A weather report."""

    city: str
    temperature_c: float
    conditions: str


# Paris from the prompt; 15 and "sunny" from get_weather's result.
EXPECTED = Weather(city="Paris", temperature_c=15, conditions="sunny")


def get_weather(city: str) -> str:
    """Get the current weather for a city."""
    return f"Sunny, 15 degrees in {city}"


def get_time(timezone: str) -> str:
    """Get the current time in a time zone."""
    return f"It is 09:30 in {timezone}"


class User(BaseModel):
    name: str
    age: int


EXTRACT = "Extract: Jason is 25 years old"
JASON = User(name="Jason", age=25)


def arguments(text: str) -> dict:
    return json.loads(text)
