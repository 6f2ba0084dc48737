"""The resilience chart: the components of the index for the local sizes, weekly since 2024, with
the baseline marked; drawn from the report's `resilience` block alone."""

from __future__ import annotations

from datetime import date

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

from .chart import Chart
from .chart_style import INK, figure, finish, message, styled

HHI_COLOUR, SHARE_COLOUR, EF_COLOUR, PUB_COLOUR = "#0072B2", "#E69F00", "#009E73", "#CC79A7"


@styled
def resilience_chart(resilience: dict, baseline_date: str | None, synthetic: bool = False) -> Chart:
    weeks = [w for w in resilience.get("weeks") or [] if w["local"].get("hhi") is not None]
    fig, ax = figure("Can one departure kill local AI? Concentration of new derivatives of local (<= 10B) bases",
                     len(weeks) >= 2, synthetic)
    if len(weeks) < 2:
        message(ax, "No Hub-wide stream yet: run a poll, or lineupwatch backfill-stream --since 2024-01-01")
        return finish(fig, "resilience")
    days = [date.fromisoformat(w["monday"]) for w in weeks]
    ax.axhspan(1_800, 10_000, color="#F2DEDE", linewidth=0, label="HHI high (> 1,800)")
    ax.axhspan(1_000, 1_800, color="#FCF8E3", linewidth=0, label="HHI moderate")
    ax.plot(days, [w["local"]["hhi"] for w in weeks], color=HHI_COLOUR, linewidth=1.6, label="HHI (points, left)")
    ax.plot(days, [10_000 * ((w["local"].get("largest") or {}).get("share") or 0) for w in weeks], color=SHARE_COLOUR,
            linewidth=1.2, label="largest family's share x 10,000 (left)")
    ax.set_ylim(0, 10_000)
    ax.set_ylabel("HHI points")
    right = ax.twinx()
    right.step(days, [w["local"]["elephant_factor"] for w in weeks], where="post", color=EF_COLOUR, linewidth=1.2,
               label="elephant factor (right)")
    right.step(days, [len(w["local"]["independent_publishers"]) for w in weeks], where="post", color=PUB_COLOUR,
               linewidth=1.2, linestyle=(0, (3, 2)), label="independent publishers, 180 days (right)")
    right.set_ylim(0, max(6, max(len(w["local"]["independent_publishers"]) for w in weeks) + 1))
    right.set_ylabel("families")
    if baseline_date:
        ax.axvline(date.fromisoformat(baseline_date), color=INK, linestyle=(0, (4, 3)), linewidth=1.2,
                   label=f"baseline {baseline_date}")
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    ax.set_xlim(days[0], days[-1])
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = right.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, loc="upper left", bbox_to_anchor=(1.08, 1), frameon=False,
              fontsize=8)
    return finish(fig, "resilience")
