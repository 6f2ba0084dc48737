"""The report's `fits` block reshaped for reading: one row per budget with its picks worded (memory
at each context, licence, builds, why). Reshaping only; a missing block shows as nothing to show."""

from __future__ import annotations

OFFICIAL_SHOWN = 3  # official builds named per pick (the JSON has them all)


def _gb(value: object) -> str:
    return f"{value:.1f} GB" if isinstance(value, int | float) else "—"  # an estimate: tenths, not hundredths


def tokens_text(tokens: object) -> str:
    """8192 -> '8k'."""
    return f"{int(tokens) // 1024}k" if isinstance(tokens, int) else str(tokens)


def _pick(pick: dict, contexts: list) -> dict:
    total = pick.get("total_gb") or {}
    builds = pick.get("builds") or []
    official = [b for b in builds if b.get("official")]
    community = [b for b in builds if not b.get("official")]
    name = str(pick.get("repo") or pick.get("entry") or "?")
    on = str(pick["built_on"]).rpartition("/")[2] if pick.get("built_on") else None
    params = pick.get("params_total_b")
    active = pick.get("params_active_b")
    return {
        **pick, "name": name, "on": on, "uncertain": bool(pick.get("uncertain")),
        "params": (f"{params:g}B" + (f" ({active:g}B active)" if isinstance(active, int | float) else ""))
        if isinstance(params, int | float) else "—",
        "memory": [{"context": tokens_text(c), "text": _gb(total.get(str(c)))} for c in contexts],
        "memory_text": " / ".join(f"{_gb(total.get(str(c)))} at {tokens_text(c)}" for c in contexts),
        "format": f"{pick.get('quant')}" + (" (official)" if pick.get("native") else ""),
        "official": official[:OFFICIAL_SHOWN], "official_more": max(0, len(official) - OFFICIAL_SHOWN),
        "community": community,
        "builds_text": "; ".join([f"{b.get('repo')} ({b.get('format')})" for b in official[:OFFICIAL_SHOWN]]
                                 + [f"{b.get('repo')} ({b.get('format')}, community)" for b in community]) or "none seen",
        "offload_note": (pick.get("offload") or {}).get("note"),
        "licence_text": pick.get("licence") or "not stated",
    }


def fits_view(block: dict | None) -> dict:
    block = block or {}
    contexts = list(block.get("context_tokens") or [])
    budgets = {"gpu": [], "unified": []}
    for budget in block.get("budgets") or []:
        offload = budget.get("offload_pick")
        row = {"gb": budget.get("gb"), "usable_gb": budget.get("usable_gb"), "fitting": budget.get("fitting"),
               "picks": [_pick(p, contexts) for p in budget.get("picks") or []],
               "offload": _pick(offload, contexts) if isinstance(offload, dict) else None}
        budgets.setdefault(budget.get("memory") or "gpu", []).append(row)
    freshness = block.get("freshness") or {}
    notes: dict[str, str] = {}  # each MoE's offload note once, however many budgets pick it
    for row in budgets["gpu"]:
        for pick in [*row["picks"], *([row["offload"]] if row["offload"] else [])]:
            if pick["offload_note"]:
                notes.setdefault(pick["name"], pick["offload_note"])
    return {"any": bool(block.get("budgets")), "contexts": [tokens_text(c) for c in contexts], "gpu": budgets["gpu"],
            "unified": budgets["unified"], "rule": block.get("rule") or "", "method": block.get("method") or "",
            "usable_fraction": block.get("unified_usable_fraction"), "freshness": freshness.get("note") or "",
            "offload_notes": list(notes.items()), "system_ram_gb": block.get("offload_system_ram_gb")}
