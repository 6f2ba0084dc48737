"""Open a report in headless Chromium and fail on any console error or request leaving the file.

Usage: scripts/check_browser.py REPORT.html SCREENSHOT.png

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: file descriptors
3 and 4, NUL-separated JSON), so no websocket library is needed. Host names resolve nowhere, so
even a missed request cannot leave the machine. Also checks the HTML statically for http(s)
resource URLs, and saves a full-page screenshot at 1280 px plus a phone-width one beside it.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--remote-debugging-pipe"]
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
DEADLINE_S = 60.0
# Anything that makes a browser fetch: only plain <a href> hyperlinks may point at http(s).
RESOURCE_PATTERNS = [
    (r"<(?!a\s)(\w+)[^>]*\s(?:src|href|srcset|poster|data|action|xlink:href)\s*=\s*[\"']?\s*(?:https?:)?//", "tag loading a remote URL"),
    (r"url\(\s*[\"']?\s*(?:https?:)?//", "CSS url() to a remote URL"),
    (r"@import", "CSS @import"),
    (r"<script", "script element"),
    (r"<(?:iframe|object|embed)\b", "embedded document"),
]


def static_problems(html: str) -> list[str]:
    """Remote resources visible in the source, before any browser runs."""
    return [f"{what}: {match.group(0)[:120]!r}" for pattern, what in RESOURCE_PATTERNS
            for match in re.finditer(pattern, html, re.I)]


class DevTools:
    """A DevTools protocol session with one page, over Chromium's debugging pipe."""

    def __init__(self, user_data_dir: str) -> None:
        to_browser_read, self._write = os.pipe()
        self._read, from_browser_write = os.pipe()
        # Chromium reads commands on fd 3 and writes on fd 4; move the child's ends out of the way
        # first so that placing one cannot overwrite the other.
        child_read, child_write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (to_browser_read, from_browser_write))
        self._process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(child_read, 3), os.dup2(child_write, 4)))
        for fd in (to_browser_read, from_browser_write, child_read, child_write):
            os.close(fd)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.deadline = time.monotonic() + DEADLINE_S
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]

    def call(self, method: str, session: str | None = None, **params: object) -> dict:
        """Send one command and wait for its answer, keeping every event that arrives meanwhile."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._write, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def page(self, method: str, **params: object) -> dict:
        return self.call(method, self.session, **params)

    def wait_for(self, method: str) -> None:
        while not any(e["method"] == method for e in self.events):
            self.events.append(self._receive())

    def _receive(self) -> dict:
        while b"\0" not in self._buffer:
            left = self.deadline - time.monotonic()
            if left <= 0 or not select.select([self._read], [], [], left)[0]:
                raise TimeoutError(f"Chromium did not answer within {DEADLINE_S:.0f} s")
            chunk = os.read(self._read, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        os.close(self._read)
        os.close(self._write)


def screenshot(tools: DevTools, width: int, mobile: bool, path: Path) -> list[str]:
    """Lay the page out at a width and capture its whole height; a page wider than the
    screen (rather than a table scrolling inside it) is a problem on a phone."""
    tools.page("Emulation.setDeviceMetricsOverride", width=width, height=900, deviceScaleFactor=1, mobile=mobile)
    size = tools.page("Runtime.evaluate", returnByValue=True,
                      expression="[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    page_width, height = size["result"]["value"]
    shot = tools.page("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
    path.write_bytes(base64.b64decode(shot["data"]))
    return [f"page is {page_width} px wide in a {width} px window"] if page_width > width else []


def browser_problems(events: list[dict]) -> list[str]:
    """Console errors, uncaught exceptions, failed loads and any request to a non-local URL."""
    problems = []
    for event in events:
        method, params = event["method"], event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert", "warning"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            problems.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            problems.append(f"exception: {params['exceptionDetails'].get('text')}")
        elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
            entry = params["entry"]
            problems.append(f"log {entry['level']}: {entry['text']} {entry.get('url', '')}".strip())
        elif method == "Network.requestWillBeSent" and not params["request"]["url"].startswith(LOCAL_SCHEMES):
            problems.append(f"request leaving the file: {params['request']['url']}")
        elif method == "Network.loadingFailed":
            problems.append(f"load failed: {params.get('errorText')}")
    return problems


def check(report: Path, out: Path) -> list[str]:
    problems = static_problems(report.read_text(encoding="utf-8"))
    profile = tempfile.mkdtemp(prefix="lw-chromium-")
    try:
        tools = DevTools(profile)
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                tools.page(f"{domain}.enable")
            tools.page("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
            tools.page("Page.navigate", url=report.resolve().as_uri())
            tools.wait_for("Page.loadEventFired")
            tools.page("Runtime.evaluate", expression="new Promise(r => setTimeout(r, 300))", awaitPromise=True)
            problems += screenshot(tools, 1280, False, out)
            problems += screenshot(tools, 390, True, out.with_name(f"{out.stem}-phone{out.suffix}"))
            problems += browser_problems(tools.events)
        finally:
            tools.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return problems


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    report, out = Path(sys.argv[1]), Path(sys.argv[2])
    if not report.is_file():
        print(f"no such report: {report}", file=sys.stderr)
        return 2
    out.parent.mkdir(parents=True, exist_ok=True)
    problems = check(report, out)
    for problem in problems:
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {report} loads with no console error and no request leaving the file; "
          f"screenshots {out} and {out.with_name(f'{out.stem}-phone{out.suffix}')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
