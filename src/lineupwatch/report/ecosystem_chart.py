"""The ecosystem chart: each base family's weekly share of new derivatives of small bases, with
the primary family's baseline band, drawn from the report's `ecosystem` block alone."""

from __future__ import annotations

from datetime import date

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.ticker import PercentFormatter

from .chart import Chart
from .chart_style import INK, figure, finish, message, styled
from .ecosystem_view import shown_families

# Okabe-Ito: the primary family in blue, then orange, green, purple; the rest grey.
FAMILY_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
REST_COLOUR = "#BDBDBD"


@styled
def ecosystem_chart(ecosystem: dict, baseline_date: str | None, synthetic: bool = False) -> Chart:
    weeks = [w for w in ecosystem.get("weeks") or [] if w.get("small_share")]
    families = shown_families(ecosystem)
    primary = ecosystem.get("family") or "the primary family"
    fig, ax = figure("Share of new derivatives of small (<= 10B) bases, by base family, per week", len(weeks) >= 2, synthetic)
    if len(weeks) < 2:
        message(ax, "No Hub-wide stream yet: run a poll, or lineupwatch backfill-stream --since DATE")
        return finish(fig, "ecosystem")
    days = [date.fromisoformat(w["monday"]) for w in weeks]
    series = [[w["small_share"].get(f, 0.0) for w in weeks] for f in families]
    rest = [max(0.0, 1.0 - sum(w["small_share"].get(f, 0.0) for f in families)) for w in weeks]
    ax.stackplot(days, *series, rest, labels=[*families, "other watched families"],
                 colors=[*FAMILY_COLOURS[: len(families)], REST_COLOUR], alpha=0.9, linewidth=0)
    band = ecosystem.get("band")
    if band:
        # an outline, not a fill: the shares under it stay readable, and its legend swatch is the same box
        ax.axhspan(band["low"], band["high"], facecolor="none", edgecolor=INK, linewidth=1.4,
                   label=f"{primary} baseline band ({band['low']:.0%}–{band['high']:.0%})")
    if baseline_date:
        ax.axvline(date.fromisoformat(baseline_date), color=INK, linestyle=(0, (4, 3)), linewidth=1.2)
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.set_xlim(days[0], days[-1])
    ax.set_ylabel("share of new small-base derivatives")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=9)
    return finish(fig, "ecosystem")
