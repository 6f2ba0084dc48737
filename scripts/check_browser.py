"""Open report pages in headless Chromium at 1280 and 390 px, in light and dark colour schemes,
and fail on any console error, request leaving the file, page wider than its window, rendered text
under 11 px (chart text included: its size is measured on screen, after the SVG is scaled) or
text below WCAG AA contrast against what is behind it.

Usage: scripts/check_browser.py SCREENSHOT_DIR PAGE.html [PAGE.html ...]

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: file descriptors
3 and 4, NUL-separated JSON), so no websocket library is needed. Host names resolve nowhere, so
even a missed request cannot leave the machine. Also checks the HTML statically for http(s)
resource URLs, and saves a full-page screenshot per page, width and scheme:
SCREENSHOT_DIR/<page>-<width>-<scheme>.png.
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
RESOURCE_PATTERNS = [  # <a href> and <link rel="alternate"> (feed autodiscovery) load nothing
    (r"<(?!a\s|link\s+rel=\"alternate\")(\w+)[^>]*\s(?:src|href|srcset|poster|data|action|xlink:href)\s*=\s*[\"']?\s*(?:https?:)?//", "tag loading a remote URL"),
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


WIDTHS = ((1280, False), (390, True))
SCHEMES = ("light", "dark")
MIN_TEXT_PX = 11.0
# Every visible text run: its rendered size (SVG text scaled by the SVG's transform to the screen)
# and, for HTML text, its contrast with the first opaque background behind it.
MEASURE_JS = r"""
(() => {
  const rgb = c => { const m = /rgba?\(([^)]+)\)/.exec(c || ""); if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const behind = el => { for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor);
    if (c && c.a >= 0.5) return c; } return rgb(getComputedStyle(document.documentElement).backgroundColor) || {r: 255, g: 255, b: 255}; };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement, text = node.textContent.trim();
    if (!text || !el || el.closest(".visually-hidden") || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    const svg = el.closest("svg");
    const ctm = svg ? el.getScreenCTM() : null;  // rotated text (axis labels) scales by the matrix's norm
    const size = parseFloat(style.fontSize) * (ctm ? Math.hypot(ctm.a, ctm.b) : 1);
    let contrast = null;
    if (!svg) { const fg = rgb(style.color), bg = behind(el); const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      contrast = (hi + 0.05) / (lo + 0.05); }
    const large = size >= 24 || (size >= 18.66 && parseInt(style.fontWeight) >= 700);
    found.push({text: text.slice(0, 40), size, contrast, need: large ? 3 : 4.5});
  }
  return found;
})()
"""


def measure(tools: DevTools, where: str) -> list[str]:
    """Text too small to read, or too faint against its background."""
    problems = []
    for item in tools.page("Runtime.evaluate", expression=MEASURE_JS, returnByValue=True)["result"]["value"]:
        if item["size"] < MIN_TEXT_PX - 0.05:
            problems.append(f"{where}: text {item['text']!r} renders at {item['size']:.1f} px (< {MIN_TEXT_PX:g})")
        if item["contrast"] is not None and item["contrast"] < item["need"] - 0.01:
            problems.append(f"{where}: text {item['text']!r} has contrast {item['contrast']:.2f}:1 (< {item['need']:g}:1)")
    return problems


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
    return [f"{path.name}: page is {page_width} px wide in a {width} px window"] if page_width > width else []


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


def check(page: Path, out_dir: Path) -> list[str]:
    """Every width and colour scheme of one page: screenshots, and the problems found."""
    problems = static_problems(page.read_text(encoding="utf-8"))
    profile = tempfile.mkdtemp(prefix="lw-chromium-")
    try:
        tools = DevTools(profile)
        try:
            for domain in ("Page", "Runtime", "Log", "Network"):
                tools.page(f"{domain}.enable")
            tools.page("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
            tools.page("Page.navigate", url=page.resolve().as_uri())
            tools.wait_for("Page.loadEventFired")
            for scheme in SCHEMES:
                tools.page("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": scheme}])
                for width, mobile in WIDTHS:
                    shot = out_dir / f"{page.stem}-{width}-{scheme}.png"
                    problems += screenshot(tools, width, mobile, shot)
                    tools.page("Runtime.evaluate", expression="new Promise(r => setTimeout(r, 100))", awaitPromise=True)
                    problems += measure(tools, shot.stem)
            problems += browser_problems(tools.events)
        finally:
            tools.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return problems


def main() -> int:
    if len(sys.argv) < 3:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    out_dir, pages = Path(sys.argv[1]), [Path(arg) for arg in sys.argv[2:]]
    missing = [str(page) for page in pages if not page.is_file()]
    if missing:
        print(f"no such page: {', '.join(missing)}", file=sys.stderr)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = [problem for page in pages for problem in check(page, out_dir)]
    for problem in dict.fromkeys(problems):
        print(f"FAIL {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"ok: {', '.join(map(str, pages))} at {' and '.join(f'{w} px' for w, _ in WIDTHS)} in light and dark: "
          f"no console error, no outside request, no text under {MIN_TEXT_PX:g} px, no contrast below AA; "
          f"screenshots in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
