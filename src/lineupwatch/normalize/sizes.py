"""Parameter counts and their source: which figure a record takes, where it came from, and how a
size point the name does not state is labelled.

Rules, and why:
- Parameter counts, in order of trust: the Hub's `safetensors.total`, then `gguf.total`, then
  the name, then unknown. A quantized or re-formatted copy's totals are packed weights, not its
  size, so a copy takes total and active from its base ("base"; which repo is its base is the
  second pass's question, records.py).
- An original shipped packed (FP8, compressed-tensors, integer-packed safetensors) whose counted
  total is far below its name's size takes the name's size, source "name-packed".
- Size class is the vendor's size point: the nominal total from the name when the name gives one,
  else the counted total. Qwen3.5-9B is "small" although the Hub counts ~9.65B, and
  Qwen2.5-Omni-7B (10.7B counted) is still the 7B point. MoE models are classed by TOTAL
  parameters (35B-A3B is "medium"); active parameters are reported beside it.
- A name with neither a size token nor a tier word: an original's counted total gives a "~685B"
  label, so frontier models named only by version (DeepSeek-V3.2, GLM-4.6) still form an entry.
  A tier label gets its size beside it ("Flash-Next · 180B-A6B"), from the bundled facts when
  they know it, so a label always says how big the model is.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .known_facts import known_fact
from .names import ParsedName
from .payload import PACKED_FRACTION


@dataclass(frozen=True)
class Params:
    """A record's parameter counts (billions), each with where it came from, and the nominal
    total (the name's, or its base's) that classes it."""

    total_b: float | None
    total_source: str  # safetensors | gguf | name | name-packed | base | unknown
    active_b: float | None
    active_source: str  # name | base | facts | unknown
    nominal_b: float | None


def counted_total(model: dict) -> tuple[float | None, str]:
    """(total, field) as the Hub counts a repo's weights: `safetensors.total`, else `gguf.total`,
    else (None, "unknown")."""
    for field in ("safetensors", "gguf"):
        total = (model.get(field) or {}).get("total") if isinstance(model.get(field), dict) else None
        if isinstance(total, (int, float)) and not isinstance(total, bool) and total > 0:
            return round(total / 1e9, 6), field
    return None, "unknown"


def pick_params(parsed: ParsedName, counted_b: float | None, counted_source: str, quantized: bool, packed: bool,
                base: Params | None) -> Params:
    """The counts a record takes: its base's for a copy whose base is known, else the rules above."""
    if quantized and base is not None:
        return Params(base.total_b, "base" if base.total_b is not None else "unknown",
                      base.active_b, "base" if base.active_b is not None else "unknown",
                      parsed.total_b if parsed.total_b is not None else base.nominal_b)
    if (not quantized and packed and counted_b is not None and parsed.total_b is not None
            and counted_b < PACKED_FRACTION * parsed.total_b):
        total, source = parsed.total_b, "name-packed"
    elif not quantized and counted_b is not None:
        total, source = counted_b, counted_source
    elif parsed.total_b is not None:
        total, source = parsed.total_b, "name"
    else:
        total, source = None, "unknown"
    return Params(total, source, parsed.active_b, "name" if parsed.active_b is not None else "unknown", parsed.total_b)


def with_known_sizes(label: str | None, params: Params, repo_id: str) -> tuple[str | None, Params]:
    """Fill what the name is silent on from the bundled facts (active parameters of an MoE named
    by a tier word), and give a tier label its size: 'Flash-Next · 180B-A6B', so a label always
    says how big the model is."""
    fact = known_fact(repo_id)
    active, active_source = params.active_b, params.active_source
    if active is None and fact is not None and fact.params_active_b is not None:
        active, active_source = fact.params_active_b, "facts"
    known_total = fact.params_total_b if fact is not None else None
    suffix = f"-A{active:g}B" if active is not None else ""
    if label and label.startswith("~") and known_total:  # '~1T' -> '1T-A32B'
        label = approx_label(known_total).lstrip("~") + suffix
    elif tier_only(label) and (known_total or params.total_b) is not None:
        size = approx_label(known_total).lstrip("~") if known_total else approx_label(params.total_b)
        label = f"{label} · {size}{suffix}"
    return label, replace(params, active_b=active, active_source=active_source)


def tier_only(label: str | None) -> bool:
    """'Flash-Next', 'mini', 'Air': a size point named by a word, with no number in it."""
    return bool(label) and not any(c.isdigit() for c in label)


def approx_label(total_b: float) -> str:
    """'~685B', '~9.4B', '~350M', '~1.6T': a size point named by its counted total."""
    if total_b >= 1000:
        return f"~{total_b / 1000:.2g}T"
    if total_b >= 10:
        return f"~{round(total_b)}B"
    if total_b >= 1:
        return f"~{total_b:.1f}".rstrip("0").rstrip(".") + "B"
    return f"~{round(total_b * 1000)}M"
