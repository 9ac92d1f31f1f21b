#!/usr/bin/env python3
"""The dashboard (`GET /_mockllm/ui`) in a real browser: headless Chromium, driven over the
Chrome DevTools Protocol on `--remote-debugging-pipe` (file descriptors 3 and 4, messages
separated by NUL bytes), so the check needs the Python standard library and nothing else.

It starts the real server with an admin token, a script with rules, faults and an engine
model, puts load on it (`mockllm bench` streams plus a loop of plain requests, in test scopes
too), opens the page with `?token=`, and checks: the token leaves the address bar, the journal
table fills, the numbers change between polls, a click on a row (a real mouse event) shows
that request's body, every section has its data, and the page says plainly when the server is
gone. Screenshots go to --screenshots (default: a temporary directory). Every wait polls with a
deadline; nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import http.client
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

TOKEN = "dash-secret"
DEADLINE_S = 45.0

SCRIPT = """
engines:
  gpu:
    max_num_seqs: 6
    kv_cache_tokens: 60000
    step_time: {base_ms: 25, per_sequence_ms: 1, per_prefill_token_ms: 0, per_context_token_ms: 0}
models:
  - {id: engine-gpt, provider: openai, engine: gpu}
rules:
  - name: greeting
    match: {prompt: {prefix: "hello"}}
    reply: "Hello! How can I help you today?"
  - name: refund
    match: {prompt: {contains: "refund"}}
    reply: "Your refund of {{count}} is on its way."
  - name: rate-limited
    match: {prompt: {prefix: "pay"}}
    error: {status: 429, message: "Slow down.", retry_after: 1}
    times: 5
faults:
  - name: flaky-start
    match: {provider: anthropic}
    status: 503
    when: {every: 4}
  - name: storm
    scenario: storm
    stream: {after: 5, disconnect: fin}
responses:
  "What is the capital of France?": "Paris."
"""


class Failure(Exception):
    pass


def wait_for(what: str, check, deadline_s: float = DEADLINE_S, every_s: float = 0.2):
    """Polls `check` until it returns something truthy; fails after the deadline."""
    end = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    raise Failure(f"timed out waiting for {what} (last value: {last!r})")


# ---- the server ------------------------------------------------------------------------------

class Server:
    def __init__(self, binary: str, script: Path):
        self.process = subprocess.Popen(
            [binary, "serve", "--port", "0", "--responses", str(script), "--admin-token", TOKEN],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = ""
        self.log: list[str] = []
        ready = threading.Event()

        def drain():
            for raw in self.process.stderr:
                line = raw.decode("utf-8", "replace")
                self.log.append(line)
                m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
                if m and not self.url:
                    self.url = m.group(1)
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        if not ready.wait(30) or not self.url:
            self.stop()
            raise Failure("the server did not start:\n" + "".join(self.log))

    def request(self, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, bytes, "http.client.HTTPMessage"]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, headers={"content-type": "application/json", **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=10) as response:
                return response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            return error.code, error.read(), error.headers

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def load(server: Server, binary: str, stop: threading.Event) -> list[subprocess.Popen]:
    """Streams from `mockllm bench` (one on the engine model) and a loop of plain requests
    that touch every rule, a fault, a few test scopes and the other protocols."""
    benches = [
        subprocess.Popen([binary, "bench", server.url, "--concurrency", "8", "--duration", "600", "--itl-ms", "15",
                          "--ttft-ms", "40"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen([binary, "bench", server.url, "--concurrency", "10", "--duration", "600", "--model", "engine-gpt"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
    ]

    def chat(prompt: str, headers: dict | None = None, model: str = "gpt-4o-mini"):
        server.request("/v1/chat/completions", {"model": model, "messages": [{"role": "user", "content": prompt}]}, headers)

    def loop():
        i = 0
        while not stop.is_set():
            chat("hello there")
            chat("I would like a refund for order %d" % i, {"x-mockllm-test": "test_refund_%d" % (i % 3)})
            chat("pay invoice %d" % i)
            chat("What is the capital of France?")
            server.request("/v1/messages", {"model": "claude-3-5-sonnet-latest", "max_tokens": 64,
                                            "messages": [{"role": "user", "content": "hello from anthropic"}]},
                           {"anthropic-version": "2023-06-01"})
            i += 1
            time.sleep(0.02)

    threading.Thread(target=loop, daemon=True).start()
    return benches


# ---- the browser, over the DevTools protocol on a pipe ----------------------------------------

class Browser:
    def __init__(self, chromium: str, profile: str, width: int, height: int, log):
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # The child finds the pipe on fds 3 (commands in) and 4 (replies out); the ends are
        # moved out of the way first, in case either already is 3 or 4.
        def child_fds():
            commands, replies = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(commands, 3)
            os.dup2(replies, 4)
        self.process = subprocess.Popen(
            [chromium, "--headless", "--remote-debugging-pipe", "--no-sandbox", "--disable-gpu",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars",
             "--force-device-scale-factor=1", f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            close_fds=False, preexec_fn=child_fds,  # dup2 leaves 3 and 4 open across exec; the rest are close-on-exec
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.out = os.fdopen(to_browser_w, "wb", buffering=0)
        self.inp = os.fdopen(from_browser_r, "rb", buffering=0)
        self.buffer = b""
        self.next_id = 0
        self.events: list[dict] = []
        self.session = None

    def _read_message(self) -> dict:
        while b"\0" not in self.buffer:
            chunk = self.inp.read(65536)
            if not chunk:
                raise Failure("Chromium closed its DevTools pipe")
            self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: bool = True) -> dict:
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            message["sessionId"] = self.session
        self.out.write(json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise Failure(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def open(self, url: str, width: int, height: int):
        target = self.send("Target.createTarget", {"url": "about:blank"}, session=False)["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        self.send("Page.navigate", {"url": url})

    def eval(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise Failure(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def center(self, selector: str):
        return self.eval(f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
                         " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
                         " return [r.x + r.width / 2, r.y + r.height / 2]; })()")

    def click(self, selector: str):
        """A real click: the mouse moves onto the element (the journal stops refreshing while
        the pointer is on it), then is pressed and released at its middle."""
        box = self.center(selector)
        if box is None:
            raise Failure(f"nothing matches {selector}")
        self.send("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": box[0], "y": box[1]})
        box = self.center(selector)  # where it is now that the table holds still
        if box is None:
            raise Failure(f"{selector} went away before the click")
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1})

    def screenshot(self, path: Path, full: bool = True):
        params = {"format": "png"}
        if full:
            size = self.eval("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
            params.update({"captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}})
        data = self.send("Page.captureScreenshot", params)["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"screenshot: {path} ({path.stat().st_size // 1024} KiB)")

    def close(self):
        try:
            self.send("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---- the checks -------------------------------------------------------------------------------

def check(condition, message: str):
    if not condition:
        raise Failure(message)
    print(f"ok: {message}")


def run(binary: str, chromium: str, shots: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix="mockllm-dashboard-"))
    script = work / "dashboard.yml"
    script.write_text(SCRIPT)
    server = Server(binary, script)
    stop = threading.Event()
    benches: list[subprocess.Popen] = []
    browser = None
    chromium_log = open(work / "chromium.log", "wb")
    failed = True
    try:
        # Outside the browser: the page is behind the token, and it takes ?token=.
        status, body, _ = server.request("/_mockllm/ui")
        check(status == 401 and b"?token=" in body, "without the token the page is a 401 that says to add ?token=")
        status, body, headers = server.request("/_mockllm/ui?token=" + TOKEN)
        check(status == 200 and headers.get("Content-Type", "").startswith("text/html") and b"<title>mockllm dashboard</title>" in body,
              "with ?token= the page is served as HTML")

        benches = load(server, binary, stop)
        wait_for("requests answered", lambda: b"mockllm_requests_total{" in server.request(
            "/metrics", headers={"authorization": "Bearer " + TOKEN})[1])
        server.request("/_mockllm/scenario", None, {"authorization": "Bearer " + TOKEN})  # a GET: is the admin API up

        width, height = 1360, 1000
        browser = Browser(chromium, str(work / "profile"), width, height, chromium_log)
        browser.open(f"{server.url}/_mockllm/ui?token={TOKEN}", width, height)

        wait_for("the page's first poll", lambda: browser.eval("Number(document.body && document.body.dataset.polls || 0)") >= 1)
        check(browser.eval("location.search") == "", "the token left the address bar")
        check(browser.eval("sessionStorage.getItem('mockllm-admin-token')") == TOKEN, "the tab keeps the token for its requests")
        rows = wait_for("journal rows", lambda: browser.eval("document.querySelectorAll('#journal tbody tr').length"))
        check(rows > 5, f"the journal table filled ({rows} rows)")

        first = browser.eval("document.getElementById('t-total').textContent")
        later = wait_for("the request count to change",
                         lambda: (lambda t: t if t not in (first, "–") else None)(browser.eval("document.getElementById('t-total').textContent")))
        check(first != later, f"the numbers update between polls ({first} -> {later})")
        wait_for("a request rate", lambda: browser.eval("document.getElementById('t-rps').textContent") not in ("–", "0.0"))
        wait_for("rule counters", lambda: browser.eval(
            "[...document.querySelectorAll('#rules tbody tr')].some(r => r.textContent.includes('greeting'))"))
        wait_for("a fired fault", lambda: browser.eval(
            "[...document.querySelectorAll('#faults tbody tr')].some(r => r.cells[0].textContent === 'flaky-start' && r.cells[4].textContent !== '0')"))
        wait_for("test scopes", lambda: browser.eval("document.querySelectorAll('#scopes tbody tr').length") >= 3)
        wait_for("a time-to-first-token histogram", lambda: browser.eval("document.querySelectorAll('#hist-ttft rect').length") > 0)
        wait_for("an inter-token histogram", lambda: browser.eval("document.querySelectorAll('#hist-itl rect').length") > 0)
        wait_for("the engine's gauges", lambda: browser.eval(
            "(() => { const e = document.getElementById('e0-running'); return e && Number(e.textContent) > 0; })()"))
        # vLLM's gauges are on /metrics for every model (a model without an engine: its requests in
        # flight); the section shows the engine's model alone.
        shown = browser.eval("[...document.querySelectorAll('#engines .engine h3')].map(h => h.textContent)")
        check(shown == ["engine-gpt"], f"the engines section shows the engine model alone ({shown})")
        wait_for("a few seconds of history", lambda: browser.eval("Number(document.body.dataset.polls)") >= 8, every_s=0.5)
        shots.mkdir(parents=True, exist_ok=True)
        browser.screenshot(shots / "dashboard.png")

        # Click a chat request: its body (with the prompt) appears.
        selector = wait_for("a row of the refund rule", lambda: browser.eval(
            "(() => { const r = [...document.querySelectorAll('#journal tbody tr')].find(r => r.textContent.includes('rule refund'));"
            " return r ? '#journal tbody tr[data-seq=\"' + r.dataset.seq + '\"]' : null; })()"))
        seq = re.search(r'data-seq="(\d+)"', selector).group(1)
        browser.click(selector)
        body_text = wait_for("the request body", lambda: browser.eval(
            "(() => { const e = document.getElementById('detail-body'); return e && e.textContent; })()"))
        check("refund for order" in body_text and '"messages"' in body_text, "a click on a row shows that request's body")
        check(browser.eval("document.querySelector('#detail h2').textContent").startswith("Request #" + seq), "the detail is the clicked row's")
        reply = browser.eval("document.getElementById('detail-reply').textContent")
        check("Your refund of" in reply, "the detail shows the reply body")
        # The detail stays while the table refreshes.
        polls = browser.eval("Number(document.body.dataset.polls)")
        wait_for("another poll", lambda: browser.eval("Number(document.body.dataset.polls)") > polls)
        check(browser.eval("!!document.getElementById('detail-body')"), "the detail stays open across polls")
        browser.screenshot(shots / "dashboard-request.png", full=False)
        browser.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27})
        browser.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Escape", "code": "Escape", "windowsVirtualKeyCode": 27})
        wait_for("Escape to close the detail", lambda: browser.eval("!document.getElementById('detail').classList.contains('shown')"))

        # A refused poll (what a server restarted with another token answers) is shown plainly,
        # and the next good poll clears it.
        browser.eval("showProblem(new HTTPError(401, 'Incorrect admin token.'))")
        banner = browser.eval("document.getElementById('banner').textContent")
        check("401" in banner and "?token=TOKEN" in banner, "a 401 says which address to open")
        wait_for("the next poll to clear the banner", lambda: not browser.eval("document.getElementById('banner').classList.contains('shown')"))

        # A hidden tab stops polling (the browser's visibility as the page sees it), and a shown
        # one starts again at once.
        browser.eval("Object.defineProperty(document, 'hidden', {configurable: true, get: () => true});"
                     " document.dispatchEvent(new Event('visibilitychange'))")
        wait_for("the page to pause", lambda: "paused" in browser.eval("document.getElementById('status-text').textContent"))
        paused_at = browser.eval("Number(document.body.dataset.polls)")
        time.sleep(2.5)  # longer than two poll intervals: none may happen
        check(browser.eval("Number(document.body.dataset.polls)") == paused_at, "a hidden tab asks the server nothing")
        browser.eval("Object.defineProperty(document, 'hidden', {configurable: true, get: () => false});"
                     " document.dispatchEvent(new Event('visibilitychange'))")
        wait_for("polling to resume", lambda: browser.eval("Number(document.body.dataset.polls)") > paused_at)

        # The server goes away: the page says so plainly.
        stop.set()
        for bench in benches:
            bench.terminate()
        server.stop()
        wait_for("the 'server gone' banner", lambda: "No answer from" in browser.eval("document.getElementById('banner').textContent"))
        check(browser.eval("document.getElementById('status-text').textContent") == "server gone", "the status says the server is gone")
        browser.eval("window.scrollTo(0, 0)")
        browser.send("Emulation.setDeviceMetricsOverride", {"width": width, "height": 260, "deviceScaleFactor": 1, "mobile": False})
        browser.screenshot(shots / "dashboard-server-gone.png", full=False)
        failed = False
    finally:
        stop.set()
        for bench in benches:
            if bench.poll() is None:
                bench.terminate()
                bench.wait()
        if browser:
            if failed:  # what the page showed when a check failed, for whoever reads the log
                try:
                    shots.mkdir(parents=True, exist_ok=True)
                    browser.screenshot(shots / "dashboard-failure.png")
                except Exception as error:  # the browser may be what failed
                    print(f"no failure screenshot: {error}", file=sys.stderr)
            browser.close()
        server.stop()
        chromium_log.close()
        if failed:
            print("chromium's log:\n" + (work / "chromium.log").read_text(errors="replace")[-4000:], file=sys.stderr)
            print("the server's log:\n" + "".join(server.log)[-4000:], file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mockllm", default=os.environ.get("MOCKLLM_BIN", ".build/debug/mockllm"))
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--screenshots", type=Path, default=None, help="where the PNGs go (default: a temporary directory)")
    args = parser.parse_args()
    shots = args.screenshots or Path(tempfile.mkdtemp(prefix="mockllm-dashboard-shots-"))
    try:
        run(str(Path(args.mockllm).resolve()), args.chromium, shots)
    except Failure as failure:
        print(f"FAIL: {failure}", file=sys.stderr)
        return 1
    print("dashboard: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
