"""What the report templates show of the `resilience` block (analysis/resilience.py): the first-screen
sentence, the latest week's figures for local and medium sizes, and the recent weeks."""

from __future__ import annotations

RECENT_WEEKS = 12


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{round(value * 100)}%"


def _group(row: dict) -> dict:
    largest = row.get("largest") or {}
    return {
        "derivatives": row["new_derivatives"], "attributed": row["attributed"], "unknown_root": row["unknown_root"],
        "shares": ", ".join(f"{k} {_pct(v)}" for k, v in list(row["shares"].items())[:6]) or "–",
        "downloads_shares": ", ".join(f"{k} {_pct(v)}" for k, v in list((row.get("downloads_shares") or {}).items())[:4])
                            or "no downloads read",
        "hhi": "–" if row["hhi"] is None else f"{row['hhi']:,}", "band": row["band"] or "–",
        "effective": "–" if row["effective_families"] is None else row["effective_families"],
        "elephant": "–" if row["elephant_factor"] is None else row["elephant_factor"],
        "largest": f"{largest['family']} {_pct(largest['share'])}" if largest else "–",
        "publishers": ", ".join(row["independent_publishers"]) or "none",
        "publisher_count": len(row["independent_publishers"]),
        "dependents": row["dependents"],
    }


def resilience_view(block: dict | None) -> dict:
    if not block:
        return {"has_data": False, "sentence": None}
    weeks = block["weeks"]
    latest = next((w for w in weeks if w["week"] == block.get("latest_week")), None)
    recent = [w for w in weeks if w["local"]["hhi"] is not None][-RECENT_WEEKS:]
    return {
        "has_data": any(w["local"]["hhi"] is not None for w in weeks),
        "sentence": block.get("sentence"),
        "latest": {"week": latest["week"], "local": _group(latest["local"]), "medium": _group(latest["medium"]),
                   "unknown_size": latest["unknown_size"]} if latest else None,
        "rows": [{"week": w["week"], "complete": w["complete"], **_group(w["local"])} for w in reversed(recent)],
        "first_week": block.get("first_week"), "baseline_week": block.get("baseline_week"),
        "publisher_days": block.get("publisher_days"),
        "attributed_by": block.get("attributed_by") or {},
    }
