"""What a reader can run today, and how the terms of the watched families drift. Pure.

"What to run now" answers the reader who wants to act: per size class, each family's newest open
(not removed) model in the counted lines, however old, with its licence, an estimate of the
memory its weights need, and which official quantized builds its family published (the copies
polled under the family's own orgs, read from their names' format suffix).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..config.settings import SIZE_CLASS_NAMES, AnalysisSettings
from ..store.facts import Repo
from .entries import Entry, family_entries
from .licences import NOT_STATED, UNKNOWN, licence_note, licence_of, unclear_licences

BITS = (4, 8)
# A copy's format suffix (normalize's quant, lower case) -> the build a reader looks for.
# Qwen 1's bare Int4/Int8 repos are GPTQ builds.
BUILD_PREFIXES = (("gguf", "GGUF"), ("awq", "AWQ"), ("gptq", "GPTQ"), ("int4", "GPTQ"), ("int8", "GPTQ"),
                  ("mlx", "MLX"), ("fp8", "FP8"))
BUILDS = ("GGUF", "AWQ", "GPTQ", "MLX", "FP8")


def memory_estimate(params_total_b: float | None, bits: int, overhead: float) -> float | None:
    """GB to hold the weights at `bits` per parameter, plus `overhead` of that for the context
    cache and runtime; an MoE loads every expert, so its total counts, not its active share."""
    if params_total_b is None:
        return None
    return round(params_total_b * bits / 8 * (1 + overhead), 1)


def build_of(repo: Repo) -> str | None:
    """The official quantized build a copy is (GGUF, AWQ, ...): its name's format suffix, else
    its library (a GGUF or MLX repo named without a suffix)."""
    if not repo.quantized:
        return None
    quant = repo.variant.split("+", 1)[1] if "+" in repo.variant else (repo.library or "").lower()
    return next((build for prefix, build in BUILD_PREFIXES if quant.startswith(prefix)), None)


def quantized_builds(entry: Entry, repos: dict[str, Repo]) -> list[str]:
    """The formats among the entry's repos that are still listed, in BUILDS order."""
    found = {build_of(repos[r]) for r in entry.repos if r in repos and not repos[r].removed}
    return [build for build in BUILDS if build in found]


def what_to_run(entries: list[Entry], repos: Iterable[Repo], families: list[str], as_of: date,
                settings: AnalysisSettings) -> dict:
    """Per size class, every family's newest open counted entry in it, whatever its age."""
    by_id = {repo.repo_id: repo for repo in repos}
    counted = {family: family_entries(entries, family) for family in families}
    classes = []
    for size_class in SIZE_CLASS_NAMES:
        rows = []
        for family in families:
            newest = [e for e in counted[family] if e.size_class == size_class and not e.removed]
            if newest:
                rows.append(_row(newest[-1], by_id, as_of, settings.memory_overhead_fraction))
        classes.append({"size_class": size_class, "rows": sorted(rows, key=lambda r: r["released"], reverse=True)})
    return {"bits": list(BITS), "overhead_fraction": settings.memory_overhead_fraction,
            "method": (f"Memory = total parameters x bits / 8, plus {settings.memory_overhead_fraction:.0%} for the "
                       "context cache and runtime (short contexts; long contexts need more); an MoE model loads "
                       "all its experts, so its total parameters count"),
            "classes": classes}


def _row(entry: Entry, repos: dict[str, Repo], as_of: date, overhead: float) -> dict:
    return {"family": entry.family, "entry": entry.key, "repo": entry.primary, "released": entry.released.isoformat(),
            "age_days": (as_of - entry.released).days, "params_total_b": entry.params_total_b,
            "params_active_b": entry.params_active_b, **licence_of(entry).to_json(), "gated": entry.gated,
            "memory_gb": {str(bits): memory_estimate(entry.params_total_b, bits, overhead) for bits in BITS},
            "quantized_builds": quantized_builds(entry, repos), "uncertain": list(entry.doubts),
            "built_on": entry.built_on}


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
