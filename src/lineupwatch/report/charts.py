"""The report's charts, drawn from the report dict alone: inline SVG for HTML, PNG for Markdown.

Figures are built with matplotlib.figure.Figure (no pyplot state, so safe in threads), and every
output is byte-identical across reruns: a fixed SVG hash salt, no dates, no version stamps.
"""

from __future__ import annotations

from datetime import date

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .chart import CHART_NAMES, Chart
from .chart_style import INK, figure, finish, message, styled
from .ecosystem_chart import ecosystem_chart
from .resilience_chart import resilience_chart
from .view import SIZE_CLASSES

# Okabe-Ito blues for the classes that run on ordinary hardware; greys for the rest, so the eye goes
# to small models first. Hatches tell the greys apart without relying on colour.
CLASS_STYLE = {
    "tiny": {"color": "#0072B2", "hatch": ""},
    "small": {"color": "#56B4E9", "hatch": ""},
    "medium": {"color": "#8C8C8C", "hatch": ""},
    "large": {"color": "#BDBDBD", "hatch": "//"},
    "frontier": {"color": "#E3E3E3", "hatch": "\\\\"},
}
OTHER_STYLE = {"color": "#6E6E6E", "hatch": "xx"}  # a size class this renderer does not know yet
SMALL_COLOUR, LARGER_COLOUR = "#0072B2", "#D55E00"


def render_charts(report: dict) -> dict[str, Chart]:
    """Every chart of the report, keyed by the name used in file names (`<week>-<name>.png`)."""
    drawn = {"releases": releases_chart(report.get("quarterly") or {}, report.get("baseline_date")),
             "adoption": adoption_chart(report.get("indicators") or {}, synthetic_section(report, "adoption")),
             "ecosystem": ecosystem_chart(report.get("ecosystem") or {}, report.get("baseline_date"),
                                          synthetic_section(report, "ecosystem")),
             "resilience": resilience_chart(report.get("resilience") or {}, report.get("baseline_date"),
                                            synthetic_section(report, "resilience"))}
    return {name: drawn[name] for name in CHART_NAMES}


def synthetic_section(report: dict, section: str) -> bool:
    """The report's provenance says this section's numbers rest on made-up figures."""
    sections = ((report.get("provenance") or {}).get("sections") or {})
    return bool((sections.get(section) or {}).get("synthetic"))


@styled
def releases_chart(quarterly: dict, baseline_date: str | None) -> Chart:
    """Stacked bars of counted entries per quarter by size class, with the baseline marked."""
    quarters: list[str] = list(quarterly.get("quarters") or [])
    counts: dict[str, list[int]] = quarterly.get("counts") or {}
    family = quarterly.get("family") or "the watched family"
    fig, ax = figure(f"{family}: new lineup entries per quarter, by size class", bool(quarters))
    if not quarters:
        message(ax, "No counted entries yet")
        return finish(fig, "releases")
    x = range(len(quarters))
    bottom = [0] * len(quarters)
    for size_class in quarterly.get("size_classes") or SIZE_CLASSES:
        values = list(counts.get(size_class) or [0] * len(quarters))[:len(quarters)]
        values += [0] * (len(quarters) - len(values))
        style = CLASS_STYLE.get(size_class, OTHER_STYLE)
        ax.bar(x, values, bottom=bottom, width=0.72, label=size_class, color=style["color"],
               hatch=style["hatch"], edgecolor="white", linewidth=0.6)
        bottom = [b + v for b, v in zip(bottom, values)]
    ax.set_xticks(list(x), quarters, rotation=45 if len(quarters) > 10 else 0,
                  ha="right" if len(quarters) > 10 else "center")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("entries released")
    ax.set_ylim(0, max(bottom) * 1.18 + 1)
    position = _baseline_position(quarters, quarterly.get("baseline_quarter"), baseline_date)
    if position is not None:
        ax.axvline(position, color=INK, linestyle=(0, (4, 3)), linewidth=1.2)
        ax.annotate(f"baseline {baseline_date or quarterly.get('baseline_quarter')}", (position, 1),
                    xycoords=("data", "axes fraction"), xytext=(4, -2), textcoords="offset points",
                    ha="left", va="top", color=INK, fontsize=9, parse_math=False,
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"})
    handles, labels = ax.get_legend_handles_labels()  # reversed: the legend reads like the stack
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False,
              fontsize=9, title="size class", title_fontsize=9)
    return finish(fig, "releases")


@styled
def adoption_chart(indicators: dict, synthetic: bool = False) -> Chart:
    """30-day downloads of small versus larger entries at each poll; a trend needs two polls."""
    points = sorted(indicators.get("points") or [], key=lambda p: p.get("date") or "")
    family = indicators.get("family") or "the watched family"
    fig, ax = figure(f"{family}: 30-day downloads, small (<= 10B) vs larger entries", len(points) >= 2, synthetic)
    if len(points) < 2:
        message(ax, f"{'Only 1 poll' if points else 'No polls'} so far: a trend needs at least two.")
    else:
        days = [date.fromisoformat(str(p["date"])[:10]) for p in points]
        for key, label, colour, marker in (("small_downloads", "small entries", SMALL_COLOUR, "o"),
                                           ("larger_downloads", "larger entries", LARGER_COLOUR, "s")):
            ax.plot(days, [p.get(key) or 0 for p in points], label=label, color=colour, marker=marker,
                    markersize=3.5, linewidth=1.8)
        locator = AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _compact(value)))
        ax.set_ylim(bottom=0)
        ax.set_ylabel("downloads, last 30 days")
        ax.legend(loc="upper left", frameon=False, fontsize=9)
    return finish(fig, "adoption")


def _baseline_position(quarters: list[str], baseline_quarter: str | None, baseline_date: str | None) -> float | None:
    """x of the baseline: inside its quarter's bar, as far along as the day is into the quarter."""
    if not baseline_quarter or baseline_quarter not in quarters:
        return None
    fraction = 0.0
    try:
        day = date.fromisoformat(str(baseline_date))
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        end = date(day.year + (start.month == 10), (start.month + 2) % 12 + 1, 1)
        fraction = (day - start).days / (end - start).days
    except ValueError:
        pass
    return quarters.index(baseline_quarter) - 0.5 + fraction


def _compact(value: float) -> str:
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:g}{suffix}"
    return f"{value:g}"


