"""The newest model of each family per size class, and how the terms of the watched families drift. Pure.

`what_to_run` lists, per size class, each family's newest open (not removed) model in the counted
lines, however old, with its licence, the memory analysis/fits.py gives it (weights at its official
native format, else Q4_K_M, plus the KV cache at each context and the runtime) and where to get it
(the official quantized builds, the original itself when it is natively quantized, and the most
downloaded community builds the Hub-wide stream saw). The budget picks (analysis/fits.py) answer
"what fits my machine"; this table is the reference behind them, and the report shows its large and
frontier classes in the appendix.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..config.settings import SIZE_CLASS_NAMES, FitsSettings
from .entries import Entry, family_entries
from .fits import builds_of, community_index, memory
from .licences import NOT_STATED, UNKNOWN, licence_note, licence_of, unclear_licences


def what_to_run(entries: list[Entry], families: list[str], as_of: date, settings: FitsSettings,
                community: Iterable[dict] | None = None) -> dict:
    """Per size class, every family's newest open counted entry in it, whatever its age."""
    copies = community_index(community)
    counted = {family: family_entries(entries, family) for family in families}
    classes = []
    for size_class in SIZE_CLASS_NAMES:
        rows = []
        for family in families:
            newest = [e for e in counted[family] if e.size_class == size_class and not e.removed]
            if newest:
                rows.append(_row(newest[-1], as_of, settings, copies))
        classes.append({"size_class": size_class, "rows": sorted(rows, key=lambda r: r["released"], reverse=True)})
    return {"context_tokens": list(settings.contexts),
            "method": ("Memory as in What fits your machine: weights at the official native format (MXFP4, QAT, "
                       "FP8) where the release has one, else at Q4_K_M (4.85 bits per weight), plus the KV cache at "
                       f"each context and {settings.runtime_overhead_gb:g} GB for the runtime; an MoE model loads "
                       "all its experts, so its total parameters count"),
            "classes": classes}


def _row(entry: Entry, as_of: date, settings: FitsSettings, copies: dict[str, list[dict]]) -> dict:
    figures = memory(entry, settings.contexts, settings.runtime_overhead_gb) or {}
    shown = {key: figures[key] for key in ("quant", "native", "weights_gb", "total_gb", "offload") if key in figures}
    return {"family": entry.family, "entry": entry.key, "repo": entry.primary, "released": entry.released.isoformat(),
            "age_days": (as_of - entry.released).days, "params_total_b": entry.params_total_b,
            "params_active_b": entry.params_active_b, **licence_of(entry).to_json(), "gated": entry.gated,
            "memory": shown or None,
            "builds": builds_of(entry, copies, settings.community_builds),
            "uncertain": list(entry.doubts), "built_on": entry.built_on}


def licence_drift(entries: list[Entry], events: list[dict], baseline: date) -> dict:
    """Licence changes of watched repos, and releases since the baseline without a stated
    licence, each with its date, newest first: `unstated` when the Hub listing carries no licence,
    `unknown` when the facts do not know it (analysis/licences.py). Each release says whether the
    forecasts count it (`counted`): the open-weights evidence names exactly the counted ones, in
    the same words (`note`)."""
    changes = [{"at": ev["at"][:10], "family": ev["family"], "repo": ev["repo_id"], "old": ev["old"], "new": ev["new"]}
               for ev in events if ev["kind"] == "licence_changed"]
    unclear = {NOT_STATED: [], UNKNOWN: []}
    for entry, state in unclear_licences(entries, baseline):
        unclear[state.status].append({
            "released": entry.released.isoformat(), "family": entry.family, "entry": entry.key, "repo": entry.primary,
            "counted": entry.counted, "built_on": entry.built_on, "status": state.status, "why": state.why,
            "note": licence_note(entry, state)})
    newest_first = {status: sorted(rows, key=lambda u: (u["released"], u["entry"]), reverse=True)
                    for status, rows in unclear.items()}
    return {"changes": sorted(changes, key=lambda c: (c["at"], c["repo"]), reverse=True),
            "unstated": newest_first[NOT_STATED], "unknown": newest_first[UNKNOWN]}
