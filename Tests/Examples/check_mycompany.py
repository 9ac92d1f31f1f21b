"""The original mockllm's documentation example, `POST /v1/mycompany/chat` answering
`{"response": ...}`, against a running server: the Swift provider of Examples/CustomProvider or
the same provider declared in Tests/Examples/mycompany.yml. Standard library only.

    python3 check_mycompany.py http://127.0.0.1:PORT
"""
import json
import sys
import urllib.error
import urllib.request

base = sys.argv[1]
failures = []


def post(path, body, headers=None):
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def check(what, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(f"{what}: {detail}")


# The request of the original's docs: a chat request, answered as {"response": ...}.
chat = {"model": "mycompany-model-1", "messages": [{"role": "user", "content": "hello"}]}
status, headers, body = post("/v1/mycompany/chat", chat)
check("the chat request is answered {\"response\": ...} from the script",
      status == 200 and json.loads(body) == {"response": "Hello! How can I help you today?"}, f"{status} {body}")
check("the reply says which rule answered", headers.get("x-mockllm-rule") == "responses", headers)

status, _, body = post("/v1/mycompany/chat", dict(chat, stream=True))
events = [line[len("data: "):] for line in body.split("\n") if line.startswith("data: ")]
check("a stream is one event per character, then [DONE]",
      status == 200 and events[-1] == "[DONE]"
      and "".join(json.loads(e)["delta"] for e in events[:-1]) == "Hello! How can I help you today?", body[:200])

status, _, body = post("/v1/mycompany/chat", chat, {"x-mockllm-fault": "429"})
check("faults apply: a scripted 429 in OpenAI's envelope",
      status == 429 and json.loads(body)["error"]["type"] == "rate_limit_exceeded", f"{status} {body}")

status, _, body = post("/v1/mycompany/chat", {"model": "mycompany-model-1"})
check("a request without a prompt is a 400 with a message", status == 400 and json.loads(body)["error"]["message"], body)

with urllib.request.urlopen(base + "/providers", timeout=10) as response:
    providers = json.load(response)
mine = providers.get("mycompany", {})
check("/providers lists it beside the built-in ones",
      {"openai", "anthropic", "mycompany"} <= set(providers) and mine.get("description") == "MyCompany LLM Provider"
      and mine.get("models") == ["mycompany-model-1", "mycompany-model-2"], mine)

with urllib.request.urlopen(base + "/_mockllm/requests?limit=1", timeout=10) as response:
    journal = json.load(response)
entries = journal.get("requests", journal if isinstance(journal, list) else [])
check("the journal records it as its provider's",
      any(e.get("provider") == "mycompany" for e in entries), json.dumps(journal)[:300])

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
