"""The house style every chart shares: colours, rcParams, a titled figure, the empty-plot message,
and the two encodings (inline SVG, PNG) with fixed metadata so reruns are byte-identical.

Figures are built with matplotlib.figure.Figure (no pyplot state, so safe in threads).
"""

from __future__ import annotations

import functools
import html
import io
import json
import math
import re
import threading
from collections.abc import Callable

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from .chart import Chart

INK, MUTED = "#1f2328", "#59636e"
GRID = "#e6e6e6"
# The inline SVG follows the page's colour scheme: its ink, grid, paper and band tints become the
# page's CSS variables (style.css defines them for light, dark and print); the PNG keeps these colours.
THEMED = {INK: "var(--ink)", "#000000": "var(--ink)", MUTED: "var(--muted)", GRID: "var(--line)", "#ffffff": "var(--paper)",
          "#f2dede": "var(--supported-tint)", "#fcf8e3": "var(--open-tint)"}
_COLOUR = re.compile(r"((?:fill|stroke)(?::\s*|=\"))(#[0-9a-fA-F]{6})\b")
RC = {"svg.fonttype": "none", "svg.hashsalt": "lineupwatch", "font.size": 10, "axes.edgecolor": MUTED, "text.color": INK,
      "axes.labelcolor": INK, "xtick.color": MUTED, "ytick.color": MUTED, "hatch.color": "#6e6e6e",
      "hatch.linewidth": 0.6}
PNG_DPI = 144
MIN_TEXT_PX = 11  # the smallest text a reader gets on screen (scripts/check_browser.py holds pages to it)
CHARTS_KEPT = 8  # per chart kind: enough for a backfill's run of unchanged weeks
_RC_LOCK = threading.RLock()  # rcParams are process-global: one styled chart at a time


def styled(build: Callable[..., Chart]) -> Callable[..., Chart]:
    """Run a chart builder under the house rcParams (read both when drawing and when saving).
    Drawing costs ~0.3 s a chart and a backfill draws the same quarterly bars week after week, so
    a chart drawn from equal data is drawn once per process (its bytes are the same)."""
    drawn: dict[str, Chart] = {}

    @functools.wraps(build)
    def wrapper(*args: object) -> Chart:
        key = json.dumps(args, sort_keys=True, default=str)
        if key not in drawn:
            with _RC_LOCK, matplotlib.rc_context(RC):
                if len(drawn) >= CHARTS_KEPT:
                    drawn.pop(next(iter(drawn)))
                drawn[key] = build(*args)
        return drawn[key]
    return wrapper


def figure(title: str, has_data: bool, synthetic: bool = False) -> tuple[Figure, Axes]:
    """A titled figure; a low one when it will only hold a sentence saying why it is empty.
    `synthetic`: its numbers rest on made-up figures (the report's provenance), and the title says so."""
    title = f"SYNTHETIC: {title}" if synthetic else title
    fig = Figure(figsize=(8, 3.6 if has_data else 1.2), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, loc="left", fontsize=11, color=INK, parse_math=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def message(ax: Axes, text: str) -> None:
    """Say in the plot area why there is nothing to plot."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[:].set_visible(False)
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=MUTED, fontsize=11,
            parse_math=False)


def finish(fig: Figure, name: str) -> Chart:
    """Both encodings with fixed metadata; the SVG without prolog so it can be inlined."""
    label = fig.axes[0].get_title(loc="left")
    svg_buffer, png_buffer = io.StringIO(), io.BytesIO()
    fig.savefig(svg_buffer, format="svg", metadata={"Date": None, "Creator": None})
    fig.set_layout_engine("none")  # the layout is done; solving it again for the PNG costs ~0.1 s a chart
    fig.savefig(png_buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
    return Chart(name, _inline(svg_buffer.getvalue(), name, label), png_buffer.getvalue())


def _inline(svg: str, name: str, label: str) -> str:
    """Drop the XML prolog, doctype and metadata, theme the house colours (THEMED), and prefix ids with the chart's name: two charts
    of the same geometry would otherwise define the same clip-path ids on one HTML page."""
    svg = svg[svg.index("<svg"):]
    svg = _COLOUR.sub(lambda m: m.group(1) + THEMED.get(m.group(2).lower(), m.group(2)), svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{name}-\1"', svg)
    svg = re.sub(r'(url\(#|href="#)([^")]+)', rf"\1{name}-\2", svg)
    return svg.replace("<svg ", f'<svg role="img" aria-label="{html.escape(label)}" style="min-width: {_min_width(svg)}px" ',
                       1).strip() + "\n"


def _min_width(svg: str) -> int:
    """The width in CSS px below which the SVG's smallest text would render under MIN_TEXT_PX: on
    a narrow screen the chart scrolls sideways instead (style.css lets it)."""
    box = re.search(r'viewBox="[\d.]+ [\d.]+ ([\d.]+) ', svg)
    sizes = [float(size) for size in re.findall(r"font-size: ?([\d.]+)px", svg)]
    if not box or not sizes:
        return 0
    return math.ceil(MIN_TEXT_PX * float(box.group(1)) / min(sizes)) + 1
