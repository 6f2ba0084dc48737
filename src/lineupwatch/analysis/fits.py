"""What fits your machine: memory that holds up, picks per memory budget, where to get each build. Pure.

Memory of one model at one context (gigabytes are 10^9 bytes), what must fit in the budget:

- **weights**: total parameters x bits per weight / 8. An MoE model loads every expert, so its total
  counts, not its active share. Bits per weight are llama.cpp's published averages for each quant
  type over a whole file (the quantize tool's table and the k-quants pull request, ggml-org/llama.cpp
  #1684: Q4_K_M ~4.85, Q5_K_M ~5.69, Q6_K ~6.56, Q8_0 8.5; the embedding and output tensors kept at
  higher precision are part of the average). A model whose official release is natively quantized
  is counted at its native format: MXFP4 (gpt-oss: 4-bit values plus one 8-bit scale per 32, ~4.25),
  FP8 (8 bits plus scales, ~8.0 counted as 8.5 to hold the unquantized norms and embeddings), QAT
  (quantization-aware trained Q4_0 copies: 4.5). docs/fits.md compares these estimates with real
  GGUF file sizes.
- **KV cache** at 8k and 32k tokens, FP16 (llama.cpp's default): 2 (K and V) x layers x KV heads x
  head dim x 2 bytes per token, from the architecture when ARCHITECTURES knows it (each row's
  config.json on the Hub); sliding-window layers hold at most their window. Otherwise a stated
  allowance: ALLOWANCE_BYTES x sqrt(total parameters in B) per token, fitted on dense GQA models
  (Llama-3.1-8B 131 KB, Qwen2.5-32B 262 KB, Llama-3.1-70B 328 KB per token): generous for MoE and
  hybrid-attention models, which cache less.
- **runtime**: a stated overhead (`fits.runtime_overhead_gb`): the runtime's context and compute
  buffers.

Picks per budget: the counted entries that fit at the shorter context, ranked by PICK_RULE, at most
`fits.picks_per_budget`, one per family while other families are left.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ..config.settings import FitsSettings
from .entries import Entry
from .licences import licence_of

GB = 1e9
# llama.cpp's average bits per weight of a whole file per quant type (see the module docstring).
QUANT_BPW = {"Q4_K_M": 4.85, "Q5_K_M": 5.69, "Q6_K": 6.56, "Q8_0": 8.5}
DEFAULT_QUANT = "Q4_K_M"  # what most local users run, and what the picks are sized at
# Official native formats: bits per weight of the whole checkpoint.
NATIVE_BPW = {"MXFP4": 4.25, "QAT": 4.5, "FP8": 8.5, "MXFP8": 8.5}
# Families whose original checkpoints are natively quantized (their model cards): gpt-oss ships its
# MoE weights in MXFP4, so the original repo is the 4-bit build.
NATIVE_FAMILY_FORMAT = {"gpt-oss": "MXFP4"}
# An MoE whose active share is at most this can keep its experts in system RAM and still run at a
# usable speed (llama.cpp --n-cpu-moe / -ot "exps=CPU"): the offload note.
OFFLOAD_ACTIVE_SHARE = 0.25
# KV allowance per token when the architecture is unknown (see the module docstring): 46 KB x sqrt(B).
ALLOWANCE_BYTES = 46_000
KV_BYTES = 2  # FP16 cache


@dataclass(frozen=True)
class Architecture:
    layers: int
    kv_heads: int
    head_dim: int
    sliding_layers: int = 0  # layers with a sliding window (they hold at most `window` tokens)
    window: int = 0
    source: str = ""

    def kv_bytes(self, tokens: int) -> int:
        per_layer = 2 * self.kv_heads * self.head_dim * KV_BYTES
        full = self.layers - self.sliding_layers
        return per_layer * (full * tokens + self.sliding_layers * min(tokens, self.window))


# Architectures by repo name (case-insensitive, searched in the name after "org/"), each from the
# repo's config.json on the Hub (num_hidden_layers, num_key_value_heads, head_dim). Only real,
# published configs: a model not listed here gets the allowance, and says so.
ARCHITECTURES: tuple[tuple[str, Architecture], ...] = (
    (r"^gpt-oss-(safeguard-)?20b", Architecture(
        24, 8, 64, 12, 128, "openai/gpt-oss-20b config.json (sliding window 128 on alternate layers)")),
    (r"^gpt-oss-(safeguard-)?120b", Architecture(
        36, 8, 64, 18, 128, "openai/gpt-oss-120b config.json (sliding window 128 on alternate layers)")),
    (r"^Qwen3-30B-A3B", Architecture(48, 4, 128, source="Qwen/Qwen3-30B-A3B config.json")),
    (r"^Qwen3-235B-A22B", Architecture(94, 4, 128, source="Qwen/Qwen3-235B-A22B config.json")),
    (r"^Qwen3-32B", Architecture(64, 8, 128, source="Qwen/Qwen3-32B config.json")),
    (r"^Qwen3-14B", Architecture(40, 8, 128, source="Qwen/Qwen3-14B config.json")),
    (r"^Qwen3-8B", Architecture(36, 8, 128, source="Qwen/Qwen3-8B config.json")),
    (r"^Qwen3-4B", Architecture(36, 8, 128, source="Qwen/Qwen3-4B config.json")),
    (r"^Qwen3-1\.7B", Architecture(28, 8, 128, source="Qwen/Qwen3-1.7B config.json")),
    (r"^Qwen3-0\.6B", Architecture(28, 8, 128, source="Qwen/Qwen3-0.6B config.json")),
    (r"^Qwen2\.5-(Coder-)?72B", Architecture(80, 8, 128, source="Qwen/Qwen2.5-72B-Instruct config.json")),
    (r"^Qwen2\.5-(Coder-)?32B|^QwQ-32B", Architecture(64, 8, 128, source="Qwen/Qwen2.5-32B-Instruct config.json")),
    (r"^Qwen2\.5-(Coder-)?14B", Architecture(48, 8, 128, source="Qwen/Qwen2.5-14B-Instruct config.json")),
    (r"^Qwen2\.5-(Coder-)?7B", Architecture(28, 4, 128, source="Qwen/Qwen2.5-7B-Instruct config.json")),
    (r"^DeepSeek-R1-Distill-Qwen-32B", Architecture(64, 8, 128, source="Qwen/Qwen2.5-32B config.json (its base)")),
    (r"^DeepSeek-R1-0528-Qwen3-8B", Architecture(36, 8, 128, source="Qwen/Qwen3-8B config.json (its base)")),
    (r"^(Meta-)?Llama-3\.[13]-70B", Architecture(80, 8, 128, source="meta-llama/Llama-3.1-70B-Instruct config.json")),
    (r"^(Meta-)?Llama-3\.1-8B", Architecture(32, 8, 128, source="meta-llama/Llama-3.1-8B-Instruct config.json")),
    (r"^Llama-3\.2-3B", Architecture(28, 8, 128, source="meta-llama/Llama-3.2-3B-Instruct config.json")),
    (r"^Llama-3\.2-1B", Architecture(16, 8, 64, source="meta-llama/Llama-3.2-1B-Instruct config.json")),
    (r"^Mistral-7B-(Instruct-)?v0\.3", Architecture(32, 8, 128, source="mistralai/Mistral-7B-Instruct-v0.3 config.json")),
)
ALLOWANCE_NOTE = (f"KV cache not known from the architecture: an allowance of {ALLOWANCE_BYTES // 1000} KB x "
                  "sqrt(total parameters in B) per token at FP16")

# The ranking, in the words the report prints.
PICK_RULE = ("Among the watched families' counted models that fit at the shorter context: a counted mainline LM "
             "before other lines and experimental or derived models; then the models that need this budget (those "
             "that would not fit the next smaller one, then those that need more than half of it: a budget is for "
             "the biggest model it holds); then this monitor's adoption score (when it has one); then the newest; "
             "then an open licence. One model per family while other families need the budget.")
OPEN_LICENCES = frozenset({"apache-2.0", "mit", "bsd-3-clause", "bsd-2-clause", "cc-by-4.0", "openrail", "lfm1.0"})


def architecture(repo_id: str) -> Architecture | None:
    name = repo_id.rpartition("/")[2]
    return next((arch for pattern, arch in ARCHITECTURES if re.search(pattern, name, re.IGNORECASE)), None)


def weights_gb(params_b: float, bits_per_weight: float) -> float:
    return params_b * 1e9 * bits_per_weight / 8 / GB


def kv_gb(repo_id: str, params_b: float, tokens: int) -> tuple[float, str | None]:
    """KV cache in GB at `tokens`, and where the figure came from (the architecture's source, or None
    for the allowance)."""
    arch = architecture(repo_id)
    if arch is not None:
        return arch.kv_bytes(tokens) / GB, arch.source
    return ALLOWANCE_BYTES * math.sqrt(params_b) * tokens / GB, None


def native_format(entry: Entry) -> str | None:
    """The official native format of the entry's release: gpt-oss's MXFP4, or a QAT copy it published."""
    if entry.family in NATIVE_FAMILY_FORMAT:
        return NATIVE_FAMILY_FORMAT[entry.family]
    if any(re.search(r"(^|-)qat(-|$)", r.rpartition("/")[2], re.IGNORECASE) for r in entry.repos):
        return "QAT"
    return None


FORMAT_WORDS = (("MXFP4", "MXFP4"), ("MXFP8", "MXFP8"), ("NVFP4", "NVFP4"), ("FP8", "FP8"), ("GGUF", "GGUF"),
                ("MLX", "MLX"), ("AWQ", "AWQ"), ("GPTQ", "GPTQ"), ("EXL2", "EXL2"), ("EXL3", "EXL3"),
                ("QAT", "QAT"), ("bnb-4bit", "bnb-4bit"), ("Int4", "GPTQ"), ("Int8", "GPTQ"))


def build_format(repo_id: str, library: str | None = None) -> str | None:
    """A quantized copy's format from its name's words, else its library (gguf, mlx)."""
    name = repo_id.rpartition("/")[2]
    for word, fmt in FORMAT_WORDS:
        if re.search(rf"(^|[-_.]){re.escape(word)}([-_.]|$)", name, re.IGNORECASE):
            return fmt
    lib = (library or "").lower()
    return {"gguf": "GGUF", "mlx": "MLX"}.get(lib)


def memory(entry: Entry, contexts: Iterable[int], overhead_gb: float, quant: str | None = None) -> dict | None:
    """The entry's memory figures at `quant` (default: its native format, else Q4_K_M), or None when
    its size is unknown."""
    if entry.params_total_b is None:
        return None
    native = native_format(entry)
    quant = quant or native or DEFAULT_QUANT
    bpw = QUANT_BPW.get(quant) or NATIVE_BPW[quant]
    params = entry.params_total_b
    weights = weights_gb(params, bpw)
    kv, kv_source = {}, None
    for tokens in contexts:
        value, kv_source = kv_gb(entry.primary, params, tokens)
        kv[str(tokens)] = round(value, 2)
    total = {key: round(weights + value + overhead_gb, 2) for key, value in kv.items()}
    result = {"quant": quant, "native": quant == native, "bits_per_weight": bpw, "weights_gb": round(weights, 2),
              "weights_gb_by_quant": {q: round(weights_gb(params, b), 2) for q, b in QUANT_BPW.items()},
              "kv_gb": kv, "kv_source": kv_source or ALLOWANCE_NOTE, "runtime_gb": overhead_gb, "total_gb": total}
    if native and native not in QUANT_BPW:
        result["weights_gb_by_quant"][native] = round(weights_gb(params, NATIVE_BPW[native]), 2)
    offload = offload_note(entry, bpw, kv, overhead_gb)
    if offload:
        result["offload"] = offload
    return result


def offload_note(entry: Entry, bpw: float, kv: dict[str, float], overhead_gb: float) -> dict | None:
    """For an MoE with a small active share: what must stay in VRAM with the experts in system RAM
    (the active parameters' weights, the KV cache, the runtime), and what goes to system RAM."""
    total, active = entry.params_total_b, entry.params_active_b
    if not total or not active or active / total > OFFLOAD_ACTIVE_SHARE:
        return None
    vram = {key: round(weights_gb(active, bpw) + value + overhead_gb, 2) for key, value in kv.items()}
    ram = round(weights_gb(total - active, bpw), 2)
    shortest = min(vram, key=int)
    return {"active_share": round(active / total, 3), "vram_gb": vram, "system_ram_gb": ram,
            "note": (f"MoE with {active:g}B of {total:g}B active ({active / total:.0%}): with the experts offloaded to "
                     f"system RAM (llama.cpp --n-cpu-moe), about {vram[shortest]:g} GB must stay in VRAM at "
                     f"{int(shortest) // 1024}k context and about {ram:g} GB goes to system RAM, at a lower speed")}


def usable_gb(budget_gb: float, kind: str, unified_usable_fraction: float) -> float:
    return budget_gb if kind == "gpu" else round(budget_gb * unified_usable_fraction, 2)


# Words of an experimental or derived release in a repo name: not the family's main series.
EXPERIMENTAL_WORDS = re.compile(r"^t5|diffusion|linear|distill|preview|(^|-)exp(-|$)|experimental", re.IGNORECASE)


def mainline(entry: Entry) -> bool:
    """A counted LM of the family's main series: not a derivative, not built on another family's base,
    named after its generation (gemma-4-12B-it, not medgemma), a numbered generation or the family's
    own name (gpt-oss), and no experimental word in its name (diffusiongemma, t5gemma, Kimi-Linear,
    R1-Distill)."""
    name = entry.primary.rpartition("/")[2]
    generation = entry.generation or ""
    return (entry.counted and entry.line == "lm" and not entry.derivative_of and not entry.built_on
            and bool(generation) and name.casefold().startswith(generation.casefold())
            and (any(c.isdigit() for c in generation) or generation.casefold() == entry.family.casefold())
            and not EXPERIMENTAL_WORDS.search(name))


def adoption_index(adoption: Iterable[dict] | None) -> dict[tuple[str, str], float]:
    """(family, entry) -> its adoption score at the latest age measured (the figure that has seen most of
    the model's life)."""
    found = {}
    for row in adoption or []:
        scores = [(int(age), value) for age, value in (row.get("scores") or {}).items() if value is not None]
        if scores:
            found[(row.get("family"), row.get("entry"))] = max(scores)[1]
    return found


def community_index(builds: Iterable[dict] | None) -> dict[str, list[dict]]:
    """parent repo id -> its quantized copies seen in the Hub-wide stream, most downloaded first."""
    found: dict[str, list[dict]] = {}
    for row in builds or []:
        found.setdefault(row["parent"], []).append(row)
    for rows in found.values():
        rows.sort(key=lambda r: (-(r.get("downloads_all_time") or 0), r["repo_id"]))
    return found


def builds_of(entry: Entry, community: dict[str, list[dict]], listed: int) -> list[dict]:
    """Where to get it: the official quantized builds (the entry's copies, and the original itself
    when it is natively quantized), then the `listed` most downloaded community builds of its repos
    seen in the stream."""
    official = []
    native = NATIVE_FAMILY_FORMAT.get(entry.family)
    if native:
        official.append({"repo": entry.primary, "format": native, "official": True})
    for repo_id in entry.repos:
        fmt = build_format(repo_id)
        if repo_id != entry.primary and fmt:
            official.append({"repo": repo_id, "format": fmt, "official": True})
    seen = {b["repo"] for b in official}
    copies = sorted((row for repo_id in entry.repos for row in community.get(repo_id, [])
                     if row["repo_id"] not in seen),
                    key=lambda r: (-(r.get("downloads_all_time") or 0), r["repo_id"]))
    others = []
    for row in copies:
        if row["repo_id"] in seen:
            continue
        seen.add(row["repo_id"])
        others.append({"repo": row["repo_id"], "format": build_format(row["repo_id"], row.get("library_name")) or "other",
                       "official": False, "downloads": row.get("downloads_all_time")})
        if len(others) >= listed:
            break
    return official + others


def fits_block(entries: list[Entry], settings: FitsSettings, as_of: date, *, adoption: Iterable[dict] | None = None,
               community: Iterable[dict] | None = None, last_poll: str | None = None,
               last_stream_run: str | None = None, stream_synthetic: bool = False) -> dict:
    """The report's `fits` block: per budget (GPU memory, then unified memory), the picks with their
    memory, licence, builds and uncertainty; the method and the freshness of the data behind it."""
    contexts = list(settings.contexts)
    short = str(min(contexts))
    scores = adoption_index(adoption)
    copies = community_index(community)
    candidates = []
    for entry in entries:
        if not entry.counted or entry.removed or entry.params_total_b is None:
            continue
        figures = memory(entry, contexts, settings.runtime_overhead_gb)
        if figures is not None:
            candidates.append((entry, figures))
    freshness = {"last_poll": last_poll, "last_stream_run": last_stream_run, "stream_synthetic": stream_synthetic,
                 "note": _freshness_note(last_poll, last_stream_run, as_of, stream_synthetic)}
    budgets = []
    for kind in ("gpu", "unified"):
        smaller = None
        for budget in sorted(settings.budgets_gb):
            usable = usable_gb(budget, kind, settings.unified_usable_fraction)
            floor = smaller if smaller is not None else usable / 2
            smaller = usable
            fitting = [(e, f) for e, f in candidates if f["total_gb"][short] <= usable]
            ranked = sorted(((e, f, _tier(f["total_gb"][short], floor, usable)) for e, f in fitting),
                            key=lambda item: _rank(item[0], item[2], scores))
            chosen = _one_per_family(ranked, settings.picks_per_budget)
            row = {"gb": budget, "memory": kind, "usable_gb": usable,
                   "picks": [_pick(e, f, usable, short, scores, copies, settings, freshness) for e, f, _ in chosen],
                   "fitting": len(fitting)}
            if kind == "gpu":
                row["offload_pick"] = _offload_pick(candidates, usable, short, scores, copies, settings, freshness)
            budgets.append(row)
    return {"context_tokens": contexts, "budgets": budgets, "rule": PICK_RULE,
            "unified_usable_fraction": settings.unified_usable_fraction,
            "runtime_overhead_gb": settings.runtime_overhead_gb,
            "offload_system_ram_gb": settings.offload_system_ram_gb,
            "bits_per_weight": {**QUANT_BPW, **NATIVE_BPW},
            "method": (f"Memory = weights at the quant's real bits per weight (llama.cpp's averages: "
                       + ", ".join(f"{q} {b}" for q, b in QUANT_BPW.items())
                       + "; official native formats: MXFP4 4.25, QAT 4.5, FP8 8.5) + the KV cache at FP16 at each "
                       "context (from the architecture when known, else an allowance) + "
                       f"{settings.runtime_overhead_gb:g} GB for the runtime. An MoE loads all its experts. "
                       f"Unified memory counts {settings.unified_usable_fraction:.0%} of the budget: the rest stays "
                       "with the system. Gigabytes are 10^9 bytes."),
            "freshness": freshness}


def _offload_pick(candidates: list[tuple[Entry, dict]], usable: float, short: str, scores: dict, copies: dict,
                  settings: FitsSettings, freshness: dict) -> dict | None:
    """The best MoE (by the same rule) that does not fit the GPU whole but runs with its experts in
    system RAM: the active weights, the KV cache and the runtime fit the budget, the experts fit
    `offload_system_ram_gb`."""
    found = [(e, f) for e, f in candidates
             if f["total_gb"][short] > usable and f.get("offload") and f["offload"]["vram_gb"][short] <= usable
             and f["offload"]["system_ram_gb"] <= settings.offload_system_ram_gb]
    if not found:
        return None
    entry, figures = min(found, key=lambda pair: (_rank(pair[0], 0, scores), -pair[1]["total_gb"][short]))
    return _pick(entry, figures, usable, short, scores, copies, settings, freshness)


def _tier(total: float, smaller: float, usable: float) -> int:
    """0: would not fit the next smaller budget; 1: needs more than half of this one; 2: the rest."""
    return 0 if total > smaller else 1 if total > usable / 2 else 2


def _rank(entry: Entry, tier: int, scores: dict) -> tuple:
    score = scores.get((entry.family, entry.key))
    licence = (licence_of(entry).licence or "").casefold()
    return (not mainline(entry), tier, -(score or 0.0), -entry.released.toordinal(),
            licence not in OPEN_LICENCES, entry.key)


def _one_per_family(ranked: list[tuple[Entry, dict, int]], limit: int) -> list[tuple[Entry, dict, int]]:
    """At most `limit`, in rank order: first one per family among the models that need this budget
    (tiers 0 and 1), then the best of the rest."""
    chosen, families = [], set()
    for item in ranked:
        if len(chosen) < limit and item[2] < 2 and item[0].family not in families:
            chosen.append(item)
            families.add(item[0].family)
    for item in ranked:
        if len(chosen) < limit and item not in chosen and (item[2] < 2 or item[0].family not in families):
            chosen.append(item)
            families.add(item[0].family)
    for item in ranked:
        if len(chosen) < limit and item not in chosen:
            chosen.append(item)
    return sorted(chosen, key=ranked.index)


def _pick(entry: Entry, figures: dict, usable: float, short: str, scores: dict, copies: dict, settings: FitsSettings,
          freshness: dict) -> dict:
    licence = licence_of(entry)
    score = scores.get((entry.family, entry.key))
    reasons = []
    reasons.append("a counted mainline LM" if mainline(entry) else f"a counted {entry.line} model"
                   + (" (derived or experimental)" if entry.line == "lm" else ""))
    if score is not None:
        reasons.append(f"adoption score {score:g}")
    reasons.append(f"released {entry.released.isoformat()}")
    if (licence.licence or "").casefold() in OPEN_LICENCES:
        reasons.append(f"open licence {licence.licence}")
    reasons.append(f"needs {figures['total_gb'][short]:g} of {usable:g} GB at {int(short) // 1024}k")
    if entry.built_on:
        reasons.append(f"built on {entry.built_on.rpartition('/')[2]}")
    fitting_quants = [q for q, w in figures["weights_gb_by_quant"].items()
                      if w + figures["kv_gb"][short] + figures["runtime_gb"] <= usable]
    return {"repo": entry.primary, "entry": entry.key, "family": entry.family, "why": "; ".join(reasons),
            **{k: figures[k] for k in ("quant", "native", "bits_per_weight", "weights_gb", "kv_gb", "kv_source",
                                        "total_gb", "weights_gb_by_quant")},
            "fits_quants": fitting_quants,
            "params_total_b": entry.params_total_b, "params_active_b": entry.params_active_b,
            "offload": figures.get("offload"), "mainline": mainline(entry), "adoption_score": score,
            "released": entry.released.isoformat(), "licence": licence.text, **licence.to_json(),
            "built_on": entry.built_on, "uncertain": list(entry.doubts), "shaky": entry.shaky,
            "builds": builds_of(entry, copies, settings.community_builds),
            "data_as_of": {"last_poll": freshness["last_poll"], "last_stream_run": freshness["last_stream_run"]}}


def _freshness_note(last_poll: str | None, last_stream: str | None, as_of: date, synthetic: bool) -> str:
    def age(moment: str | None) -> str:
        if not moment:
            return "none by this report's day"
        days = (as_of - date.fromisoformat(moment[:10])).days
        return f"{moment[:10]}, {days} day{'s' if days != 1 else ''} before this report"
    note = (f"Data behind the picks: models and official builds from the last poll ({age(last_poll)}); "
            f"community builds from the last Hub-wide stream run ({age(last_stream)}).")
    if synthetic:
        note += " The stream's labels say it is made up: its community builds are SYNTHETIC."
    return note
