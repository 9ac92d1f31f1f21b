"""`--api-key`: the real SDKs see the providers' own 401s for a wrong key and work with the right one."""

import anthropic
import openai
import pytest

KEY = "sk-mock-0123456789"
SCRIPT = 'responses:\n  "hello": "hi there"\n'


@pytest.fixture
def keyed_server(start_server):
    return start_server(SCRIPT, name="keyed", extra_args=["--api-key", KEY])


def test_openai_wrong_key_raises_authentication_error(keyed_server):
    client = openai.OpenAI(base_url=f"{keyed_server.url}/v1", api_key="sk-wrong", max_retries=0, timeout=30.0)
    with pytest.raises(openai.AuthenticationError) as raised:
        client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert raised.value.status_code == 401
    assert raised.value.code == "invalid_api_key"
    assert raised.value.type == "invalid_request_error"


def test_openai_right_key_is_answered(keyed_server):
    client = openai.OpenAI(base_url=f"{keyed_server.url}/v1", api_key=KEY, max_retries=0, timeout=30.0)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
    assert reply.choices[0].message.content == "hi there"


def test_anthropic_wrong_key_raises_authentication_error(keyed_server):
    client = anthropic.Anthropic(base_url=keyed_server.url, api_key="wrong", max_retries=0, timeout=30.0)
    with pytest.raises(anthropic.AuthenticationError) as raised:
        client.messages.create(model="claude-3-haiku-20240307", max_tokens=64,
                               messages=[{"role": "user", "content": "hello"}])
    assert raised.value.status_code == 401
    assert raised.value.body["error"]["type"] == "authentication_error"


def test_anthropic_right_key_streams(keyed_server):
    client = anthropic.Anthropic(base_url=keyed_server.url, api_key=KEY, max_retries=0, timeout=30.0)
    with client.messages.stream(model="claude-3-haiku-20240307", max_tokens=64,
                                messages=[{"role": "user", "content": "hello"}]) as stream:
        message = stream.get_final_message()
    assert message.content[0].text == "hi there"
