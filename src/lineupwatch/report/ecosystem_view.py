"""The report's `ecosystem` block reshaped for reading: the weekly share table, the fillers, the
stream's health. Reshaping only; a missing or empty block shows as "no stream data yet"."""

from __future__ import annotations

SHOWN_FAMILIES = 4  # families with their own column and band in the chart; the rest are summed


def shown_families(ecosystem: dict) -> list[str]:
    """The primary family first, then the families with the most small-base derivatives."""
    totals: dict[str, float] = {}
    for week in ecosystem.get("weeks") or []:
        for family, sizes in (week.get("by_base") or {}).items():
            if family != "other":
                totals[family] = totals.get(family, 0) + sum(n for c, n in sizes.items() if c in ("tiny", "small"))
    primary = ecosystem.get("family")
    ranked = [f for f, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0])) if f != primary]
    return ([primary] if primary else []) + ranked[: SHOWN_FAMILIES - 1]


def ecosystem_view(ecosystem: dict | None) -> dict:
    ecosystem = ecosystem or {}
    weeks = ecosystem.get("weeks") or []
    families = shown_families(ecosystem)
    rows = []
    for week in reversed(weeks):
        small = week.get("small_share") or {}
        every = week.get("share") or {}
        rows.append({
            "week": week.get("week"), "complete": week.get("complete"), "new_repos": week.get("new_repos"),
            "derivatives": week.get("new_derivatives"),
            "small_derivatives": sum(n for f, sizes in (week.get("by_base") or {}).items() if f != "other"
                                     for c, n in sizes.items() if c in ("tiny", "small")),
            "shares": [_percent(small.get(f)) if small else None for f in families],
            "rest": _percent(sum(v for f, v in small.items() if f not in families)) if small else None,
            "hhi": _points(week.get("small_hhi")), "primary_all": _percent(every.get(ecosystem.get("family"))) if every else None,
            "hhi_all": _points(week.get("hhi")), "in_band": week.get("primary_in_band")})
    stream = ecosystem.get("stream") or {}
    band = ecosystem.get("band")
    return {
        "has_data": any(w.get("new_repos") for w in weeks), "family": ecosystem.get("family"), "families": families,
        "rows": rows, "band": band and {**band, "low_pct": _percent(band.get("low")), "high_pct": _percent(band.get("high"))},
        "latest": next((r for r in rows if r["complete"]), None),
        "fillers": ecosystem.get("fillers") or [], "top_other": ecosystem.get("top_other_parents") or [],
        "top_other_since": ecosystem.get("top_other_since"), "stream": stream, "notes": ecosystem.get("notes") or [],
        "adoption": ecosystem.get("adoption") or [],
        "adoption_ages": list(((ecosystem.get("adoption") or [{}])[0].get("scores") or {}).keys()),
    }


def _points(hhi: float | None) -> str | None:
    """A Herfindahl index of shares (0-1) in the points the resilience index and the merger
    guidelines use (0-10,000), so the report speaks one scale."""
    return None if hhi is None else f"{round(hhi * 10_000):,}"


def _percent(value: float | None) -> str | None:
    return None if value is None else f"{100 * value:.0f}%"
