"""Open report pages in headless Chromium at 1280 and 390 px, in light and dark colour schemes and
in print, and fail on any console error, request leaving the file, page wider than its window,
rendered text under 11 px (chart text included: its size is measured on screen, after the SVG is
scaled) or text below WCAG AA contrast against what is behind it; and on what makes a report hard
to read (issue 23):

- a weekly report (a page with `.cards`) taller than 6 phone screens (6 x 844 px) at 390 px, or
  whose two verdict cards and legend (`#legend`) are not within the first screen;
- a verdict badge (`.badge`) or an index cell with a tick or a cross, or without a word;
- an index strip (`table.strips`) whose newest week is not in view without scrolling, whose weeks
  lack labels (the newest, the oldest and at least every 4th), or whose row labels scroll away;
- a chart drawn on a light background in the dark scheme (the rendered pixels are sampled);
- in print (emulated, in the dark scheme): a dark background, light text, a repo id (`.repo`)
  broken over two lines, or a <details> whose content stays hidden.

Usage: scripts/check_browser.py SCREENSHOT_DIR PAGE.html [PAGE.html ...]

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe: file descriptors
3 and 4, NUL-separated JSON), so no websocket library is needed. Host names resolve nowhere, so
even a missed request cannot leave the machine. Also checks the HTML statically for http(s)
resource URLs, and saves a full-page screenshot per page, width and scheme:
SCREENSHOT_DIR/<page>-<width>-<scheme>.png, and one of the print layout: <page>-print.png.
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
import zlib
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
            for match in re.finditer(pattern, html, re.IGNORECASE)]


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
            pass_fds=(3, 4), preexec_fn=lambda: (os.dup2(child_read, 3), os.dup2(child_write, 4)))  # noqa: PLW1509 (one thread)
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
SCREEN_HEIGHTS = {1280: 800, 390: 844}  # the first screen: a laptop, a phone (iPhone 12 to 15)
MAX_SCREENS = 6  # a weekly report at 390 px is at most this many phone screens tall
PRINT_WIDTH = 688  # A4 less 14 mm margins, in CSS px
MIN_PRINT_PX = 9.3  # 7 pt: small print on paper is fine, smaller is not
LABEL_GAP = 4  # the index labels at least every 4th week
TICKS = "✓✗✔✘☑☒"
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


def measure(tools: DevTools, where: str, min_px: float = MIN_TEXT_PX) -> list[str]:
    """Text too small to read, or too faint against its background."""
    problems = []
    for item in tools.page("Runtime.evaluate", expression=MEASURE_JS, returnByValue=True)["result"]["value"]:
        if item["size"] < min_px - 0.05:
            problems.append(f"{where}: text {item['text']!r} renders at {item['size']:.1f} px (< {min_px:g})")
        if item["contrast"] is not None and item["contrast"] < item["need"] - 0.01:
            problems.append(f"{where}: text {item['text']!r} has contrast {item['contrast']:.2f}:1 (< {item['need']:g}:1)")
    return problems


def screenshot(tools: DevTools, width: int, mobile: bool, path: Path) -> list[str]:
    """Lay the page out at a width and capture its whole height; a page wider than the
    screen (rather than a table scrolling inside it) is a problem on a phone."""
    tools.page("Emulation.setDeviceMetricsOverride", width=width, height=SCREEN_HEIGHTS.get(width, 900),
               deviceScaleFactor=1, mobile=mobile)
    size = tools.page("Runtime.evaluate", returnByValue=True,
                      expression="[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
    page_width, height = size["result"]["value"]
    shot = tools.page("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip={"x": 0, "y": 0, "width": width, "height": height, "scale": 1})
    path.write_bytes(base64.b64decode(shot["data"]))
    return [f"{path.name}: page is {page_width} px wide in a {width} px window"] if page_width > width else []


# The reading layout of a weekly report and of the index, measured at the current width.
LAYOUT_JS = r"""
(() => {
  const word = t => /[A-Za-z]{3,}/.test(t || "");
  const out = {height: document.documentElement.scrollHeight, screen: window.innerHeight, width: window.innerWidth,
               cards: [], legend: null, badges: [], cells: [], strips: null};
  const box = el => { const r = el.getBoundingClientRect(); return {top: r.top + scrollY, bottom: r.bottom + scrollY,
    left: r.left, right: r.right, width: r.width, height: r.height}; };
  out.weekly = !!document.querySelector(".cards");
  for (const card of document.querySelectorAll(".cards .card")) out.cards.push({id: card.id, ...box(card)});
  const legend = document.querySelector("#legend");
  if (legend) out.legend = box(legend);
  for (const b of document.querySelectorAll(".badge")) out.badges.push(b.textContent.trim());
  const table = document.querySelector("table.strips");
  if (table) {
    const scroller = table.closest(".scroll") || document.documentElement;
    const clip = scroller.getBoundingClientRect();
    const heads = [...table.querySelectorAll("thead th.wk")];
    const weekOf = c => c.dataset.week || ((/(\d{4}-W\d\d)\.html/.exec((c.querySelector("a") || {}).href || "") || [])[1]);
    const rows = [...table.querySelectorAll("tbody tr")].map((tr, i) => {
      const cells = [...tr.querySelectorAll(".cell")].filter(weekOf);
      const newest = cells.reduce((a, c) => (!a || weekOf(c) > weekOf(a)) ? c : a, null);
      const r = newest ? newest.getBoundingClientRect() : null;
      // in view without scrolling sideways; the first strip also on the first screen
      return {label: (tr.querySelector("th") || {}).textContent, newest: newest && weekOf(newest),
              visible: !!r && r.left >= Math.max(0, clip.left) - 0.5 && r.right <= Math.min(innerWidth, clip.right) + 0.5
                       && (i > 0 || (r.top >= 0 && r.bottom <= innerHeight)),
              cells: cells.map(c => ({week: weekOf(c), text: c.textContent, title: (c.querySelector("[title]") || c).title}))};
    });
    scroller.scrollLeft = scroller.scrollWidth;
    const label = table.querySelector("tbody th");
    const after = label ? label.getBoundingClientRect() : null;
    const stays = !!after && after.left >= clip.left - 0.5 && after.right > clip.left + 10;
    scroller.scrollLeft = 0;
    out.strips = {weeks: heads.map(h => h.dataset.week), labels: heads.map(h => (h.querySelector(".wk-label") || {}).textContent || ""),
                  rows, stickyLabels: stays};
  }
  return out;
})()
"""


def layout_problems(tools: DevTools, where: str, width: int) -> list[str]:
    """Height, first screen, badge words and the index strips, at the current width."""
    found = tools.page("Runtime.evaluate", expression=LAYOUT_JS, returnByValue=True)["result"]["value"]
    problems = []
    screen = found["screen"]
    if found["weekly"]:
        if width < 600 and found["height"] > MAX_SCREENS * screen:
            problems.append(f"{where}: the weekly page is {found['height']} px tall, over {MAX_SCREENS} screens "
                            f"({MAX_SCREENS * screen} px)")
        if len(found["cards"]) < 2:
            problems.append(f"{where}: {len(found['cards'])} verdict card(s), not two")
        for card in found["cards"]:
            if card["bottom"] > screen:
                problems.append(f"{where}: verdict card {card['id'] or '?'} ends at {card['bottom']:.0f} px, "
                                f"below the first screen ({screen} px)")
        if found["legend"] is None:
            problems.append(f"{where}: no legend of the verdict words (#legend)")
        elif found["legend"]["bottom"] > screen:
            problems.append(f"{where}: the legend ends at {found['legend']['bottom']:.0f} px, below the first screen "
                            f"({screen} px)")
    for text in dict.fromkeys(found["badges"]):
        if any(tick in text for tick in TICKS):
            problems.append(f"{where}: verdict badge {text!r} shows a tick or a cross")
        if not re.search(r"[A-Za-z]{3,}", text):
            problems.append(f"{where}: verdict badge {text!r} has no word")
    strips = found["strips"]
    if strips is not None:
        problems += strip_problems(strips, where)
    return problems


def strip_problems(strips: dict, where: str) -> list[str]:
    """The index's strips: newest week in view, week labels, cells with words, sticky row labels."""
    problems = []
    weeks, labels = strips["weeks"], strips["labels"]
    if not weeks:
        problems.append(f"{where}: the verdict strips have no week columns with labels (thead th.wk)")
    else:
        if weeks != sorted(weeks, reverse=True):
            problems.append(f"{where}: the verdict strips are not newest first")
        if not labels[0] or not labels[-1]:
            problems.append(f"{where}: the newest and the oldest week need a label")
        gap = max((len(run) for run in "".join("x" if label else "." for label in labels).split("x")), default=0)
        if gap >= LABEL_GAP:
            problems.append(f"{where}: {gap} weeks in a row without a label (at least every {LABEL_GAP}th week)")
    for row in strips["rows"]:
        if not row["visible"]:
            problems.append(f"{where}: strip {row['label'].strip()[:40]!r}: its newest week {row['newest']} is not in "
                            "view without scrolling")
        for cell in row["cells"]:
            if any(tick in cell["text"] for tick in TICKS) or not re.search(r"[A-Za-z]{3,}", cell["text"]) \
                    or cell["week"] not in cell["text"] + cell["title"]:
                problems.append(f"{where}: strip cell {cell['week']} ({cell['text'].strip()[:30]!r}) lacks its week "
                                "and word, or shows a tick")
                break
    if not strips["stickyLabels"]:
        problems.append(f"{where}: the strips' row labels scroll away")
    return problems


def png_pixels(data: bytes) -> tuple[int, int, list[tuple[int, ...]]]:
    """Width, height and RGB(A) pixels of an 8-bit, non-interlaced PNG (what Chromium captures)."""
    pos, chunks, width = 8, [], 0
    while pos < len(data):
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = body[0:4], body[4:8], body[8], body[9]
            width, height = int.from_bytes(width, "big"), int.from_bytes(height, "big")
            channels = {2: 3, 6: 4}[colour] if depth == 8 else 0
            if not channels:
                raise ValueError("only 8-bit RGB or RGBA PNGs")
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    raw, stride, rows, previous = zlib.decompress(b"".join(chunks)), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                best = min((abs(p - left), 0, left), (abs(p - up), 1, up), (abs(p - corner), 2, corner))[2]
                line[i] = (line[i] + best) & 255
        rows.append(line)
        previous = line
    pixels = [tuple(row[x * channels:x * channels + 3]) for row in rows for x in range(width)]
    return width, height, pixels


def luminance(rgb: tuple[int, ...]) -> float:
    def linear(v: int) -> float:
        v = v / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])


CHART_BOXES_JS = r"""
[...document.querySelectorAll("figure.chart svg")].map(svg => {
  const r = svg.getBoundingClientRect(), f = svg.closest("figure").getBoundingClientRect();
  return {x: Math.max(r.left, f.left) + scrollX, y: r.top + scrollY, w: Math.min(r.right, f.right) - Math.max(r.left, f.left),
          h: r.height, label: svg.getAttribute("aria-label") || "chart"};
})
"""


def chart_background_problems(tools: DevTools, where: str) -> list[str]:
    """In the dark scheme, the colour the reader sees behind each chart: four corners, sampled from
    the rendered page; a light one is a white card on the dark page."""
    problems = []
    boxes = tools.page("Runtime.evaluate", expression=CHART_BOXES_JS, returnByValue=True)["result"]["value"]
    for box in boxes:
        if box["w"] < 20 or box["h"] < 20:
            continue
        samples = []
        for fx, fy in ((0.01, 0.02), (0.99, 0.02), (0.01, 0.98), (0.99, 0.98)):
            x, y = box["x"] + box["w"] * fx - 2, box["y"] + box["h"] * fy - 2
            shot = tools.page("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                              clip={"x": x, "y": y, "width": 4, "height": 4, "scale": 1})
            _, _, pixels = png_pixels(base64.b64decode(shot["data"]))
            samples += pixels
        light = sum(1 for p in samples if luminance(p) > 0.4)
        if light > len(samples) / 2:
            problems.append(f"{where}: chart {box['label'][:50]!r} is drawn on a light background in the dark scheme")
    return problems


PRINT_JS = r"""
(() => {
  const rgb = c => { const m = /rgba?\(([^)]+)\)/.exec(c || ""); if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const out = {dark: [], light: [], broken: [], closed: []};
  for (const el of [document.documentElement, document.body, ...document.body.querySelectorAll("*")]) {
    if (el.closest("svg") || !el.getClientRects().length) continue;
    const s = getComputedStyle(el), bg = rgb(s.backgroundColor);
    if (bg && bg.a >= 0.5 && lum(bg) < 0.6) out.dark.push(el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
  }
  const body = rgb(getComputedStyle(document.body).color);
  out.bodyText = body ? lum(body) : 0;
  for (const el of [...document.querySelectorAll(".repo")].slice(0, 60)) {
    const range = document.createRange(); range.selectNodeContents(el.querySelector("a") || el);  // the id, not its tags
    const tops = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
    if (tops.size > 1) out.broken.push(el.textContent.trim().slice(0, 60));
  }
  for (const d of document.querySelectorAll("details")) {
    const inner = [...d.children].filter(c => c.tagName !== "SUMMARY");
    const shown = c => (c.checkVisibility ? c.checkVisibility() : true) && c.getBoundingClientRect().height > 0;
    if (inner.length && !inner.some(shown))
      out.closed.push((d.querySelector("summary") || d).textContent.trim().slice(0, 50));
  }
  return out;
})()
"""


def print_problems(tools: DevTools, page: Path, out_dir: Path) -> list[str]:
    """The page as printed from the dark scheme: light on white, ids whole, every <details> open."""
    where = f"{page.stem}-print"
    tools.page("Emulation.setEmulatedMedia", media="print",
               features=[{"name": "prefers-color-scheme", "value": "dark"}])
    tools.page("Emulation.setDeviceMetricsOverride", width=PRINT_WIDTH, height=1000, deviceScaleFactor=1, mobile=False)
    tools.page("Runtime.evaluate", expression="new Promise(r => setTimeout(r, 100))", awaitPromise=True)
    found = tools.page("Runtime.evaluate", expression=PRINT_JS, returnByValue=True)["result"]["value"]
    problems = [f"{where}: dark background on {', '.join(dict.fromkeys(found['dark']))[:200]}"] if found["dark"] else []
    if found["bodyText"] > 0.2:
        problems.append(f"{where}: body text is light (luminance {found['bodyText']:.2f}) on paper")
    problems += [f"{where}: repo id {text!r} broken over two lines" for text in found["broken"][:5]]
    problems += [f"{where}: <details> {text!r} stays closed in print" for text in found["closed"][:5]]
    problems += measure(tools, where, MIN_PRINT_PX)
    height = tools.page("Runtime.evaluate", returnByValue=True,
                        expression="document.documentElement.scrollHeight")["result"]["value"]
    shot = tools.page("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip={"x": 0, "y": 0, "width": PRINT_WIDTH, "height": min(height, 16000), "scale": 1})
    (out_dir / f"{where}.png").write_bytes(base64.b64decode(shot["data"]))
    tools.page("Emulation.setEmulatedMedia", media="")
    return problems


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
                    problems += layout_problems(tools, shot.stem, width)
                    if scheme == "dark":
                        problems += chart_background_problems(tools, shot.stem)
            problems += print_problems(tools, page, out_dir)
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
    print(f"ok: {', '.join(map(str, pages))} at {' and '.join(f'{w} px' for w, _ in WIDTHS)} in light and dark, and "
          f"in print: no console error, no outside request, no text under {MIN_TEXT_PX:g} px, no contrast below AA, "
          f"weekly pages under {MAX_SCREENS} phone screens with the verdicts and legend on the first, badges with "
          f"words, the index's newest weeks in view, charts on the page's colours, print light with whole ids; "
          f"screenshots in {out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
