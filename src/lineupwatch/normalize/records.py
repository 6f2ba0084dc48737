"""Hub JSON -> repo records: generation, line, variant, size point and parameter counts.

Pure: data in, records out (no I/O, no clock). Two passes, because a repo's meaning can depend
on other repos of the same poll: a quantized copy takes its size from its base, and a derived
product (QwQ, WebWorld, Qwen-Drive) takes its generation from the parent its tags name.

Rules, and why:
- Parameter counts, in order of trust: the Hub's `safetensors.total`, then `gguf.total`, then
  the name, then unknown. A quantized or re-formatted copy's totals are packed weights, not its
  size, so a copy takes total and active from its base ("base"): the parent of its
  `base_model:quantized:` tag if that parent is in the batch, else an original with the same
  entry key, else its name.
- Size class is the vendor's size point: the nominal total from the name when the name gives one,
  else the counted total. Qwen3.5-9B is "small" although the Hub counts ~9.65B, and
  Qwen2.5-Omni-7B (10.7B counted) is still the 7B point. MoE models are classed by TOTAL
  parameters (35B-A3B is "medium"); active parameters are reported beside it.
- The size label is the name's size token ("9B", "35B-A3B", "MoE-A2.7B", "E4B", "270M"). Names
  with no size keep their tier words ("Flash-Next", "Air", "mini"); failing those, an original's
  counted total gives a "~685B" label so frontier models named only by version (DeepSeek-V3.2,
  GLM-4.6) still form an entry. A sparse autoencoder's size token is its host model's, so it
  labels the entry but is not the SAE's nominal total.
- A derived product that inherits its parent's generation keeps its product name in the size
  label ("QwQ-32B", "Qwen-Drive-1.0-4B"), so it forms its own entry, next to its parent's.
- Line: name keywords first (SAE, WebWorld/AgentWorld, PRM/RM/Reward, Guard/shield, Embedding,
  Reranker, TTS, ASR/ForcedAligner/speech, Audio/Voxtral, Omni/multimodal, OCR/docling, Image,
  Math/Prover, Coder/Code/Devstral/Codestral/codegemma, VL/VLM/vision/Pixtral/Drive/QVQ/"4.5V"),
  then the Hub's task list (lines.py: pipeline tag, task tags, library, else "lm"); the record
  says which rule decided (`line_source`). Qwen3.5 and later are natively multimodal with no VL
  in their names and stay "lm": image-text-to-text is text out, an LM.
- Odd payloads never stop a poll: a missing field is None (a repo without `createdAt` is stored
  undated), `id` falls back to `modelId`, and every field is type-checked before use.
- Format copies are known by name, by `base_model:quantized:` tag, and by format: a GGUF or MLX
  repo (library or tag) is a copy even when its name does not say so. An original shipped packed
  (FP8, compressed-tensors, integer-packed safetensors) whose counted total is far below its
  name's size takes the name's size, source "name-packed".
- Variant: the name's variant words ("instruct", "chat", "base", "thinking", "it" -> instruct,
  "pt" -> base ...), or "main" for the unsuffixed checkpoint (the base model in older lines, the
  post-trained one since Qwen3), plus "+<quant>" for copies: "chat+int4".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from ..config.settings import Config, Family
from .known_facts import known_fact
from .lines import line_from_hub
from .payload import (
    PACKED_FRACTION,
    format_copy,
    packed,
    repo_id_of,
    tags_of,
    timestamp,
)

LINE_LABELS: dict[str, str] = {
    "lm": "LM", "coder": "Coder", "vl": "VL", "omni": "Omni", "math": "Math", "embedding": "Embedding",
    "reranker": "Reranker", "guard": "Guard", "audio": "Audio", "asr": "ASR", "tts": "TTS", "image": "Image",
    "reward": "Reward", "interpretability": "Interpretability", "world-model": "World model", "ocr": "OCR",
    "nlp": "NLP", "vision": "Vision", "video": "Video", "3d": "3D", "tabular": "Tabular", "robotics": "Robotics",
    "other": "Other",
}


@dataclass(frozen=True)
class ParsedName:
    """What the repo name alone says."""

    generation: str | None
    line: str
    variant: str
    quant: str | None
    size_label: str | None
    total_b: float | None
    active_b: float | None


@dataclass(frozen=True)
class RepoRecord:
    repo_id: str
    org: str
    name: str
    family: str
    generation: str | None
    line: str
    line_source: str  # which rule decided the line: name | pipeline | tags | library | default
    variant: str
    quant: str | None
    quantized: bool
    size_label: str | None
    entry_key: str | None
    params_total_b: float | None
    params_total_source: str
    params_active_b: float | None
    params_active_source: str
    nominal_total_b: float | None
    size_class: str | None
    created_at: str | None  # None when the Hub sent no createdAt: dated by the poll that saw it
    last_modified: str | None
    sha: str | None
    license: str | None
    gated: str
    pipeline_tag: str | None
    library_name: str | None
    base_models: tuple[tuple[str, str], ...]
    downloads: int | None
    downloads_all_time: int | None
    likes: int | None
    release_tag: str | None = None


# A quant/format suffix token group; everything from it on is the copy's format, not its name.
_QUANT_RE = re.compile(
    r"(?:^|-)(GPTQ-Int[48]|AWQ|MXFP[48]|NVFP4|FP8|FP4|GGUF|MLX(?:-(?:\d+bit|bf16|fp16))?|bnb-[48]bit"
    r"|Int[48]|QAT|ONNX|hf)(?=-|$)", re.IGNORECASE)
_SIZE_RE = re.compile(r"(\d+(?:[._]\d+)?)([bmt])(\d+)?", re.IGNORECASE)  # 9B, 1_8B, 270m, 2.4T, 1T05
_ACTIVE_RE = re.compile(r"a(\d+(?:\.\d+)?)b", re.IGNORECASE)  # A3B
_EFFECTIVE_RE = re.compile(r"e(\d+(?:\.\d+)?)b", re.IGNORECASE)  # E4B (gemma-3n): neither total nor active
_EXPERTS_RE = re.compile(r"\d+e", re.IGNORECASE)  # 16E (Llama 4)
_DATE_RE = re.compile(r"\d{4}")  # -2507, -0414: dates and versions, never sizes
_YYMM_SUFFIX_RE = re.compile(r"-\d{2}(?:0[1-9]|1[0-2])$")  # a date caught by a generation pattern
_PRODUCT_RE = re.compile(r"[A-Za-z][A-Za-z0-9.]*")
_DECIMALS_RE = re.compile(r"[._]\d+(?![\d.bmtBMT])")  # a version cut short by its pattern: "3" + ".1", "1" + "_5"
_UNITS = {"b": 1.0, "m": 0.001, "t": 1000.0}
_VARIANT_WORDS = {"base": "base", "pt": "base", "instruct": "instruct", "it": "instruct", "chat": "chat",
                  "thinking": "thinking", "think": "thinking", "reasoning": "reasoning", "preview": "preview"}
# Words that name a size point where a name has no number (Qwen3.8-Flash-Next, GLM-4.5-Air, Phi-4-mini).
_TIERS = {"flash", "next", "air", "pro", "mini", "nano", "micro", "tiny", "small", "medium", "large", "lite",
          "max", "ultra", "scout", "maverick", "behemoth"}
# Qwen's first generation is named without a number: Qwen-7B, Qwen-1_8B-Chat, Qwen-VL, Qwen-Audio.
_FIRST_GENERATION = {"qwen": "Qwen1"}
_FIRST_GENERATION_NEXT = {"vl", "audio", "tokenizer"}

_LINE_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple((line, re.compile(pattern)) for line, pattern in (
    ("interpretability", r"(?:^|-)SAE(?:-|$)"),
    ("world-model", r"WebWorld|AgentWorld"),
    ("reward", r"(?<![A-Za-z])P?RM(?![a-z])|(?i:reward)|WorldPM"),
    ("guard", r"(?i)guard|shield"),
    ("embedding", r"(?i)embedding|colbert"),
    ("reranker", r"(?i)rerank"),
    ("tts", r"(?i)(?<![a-z])tts(?![a-z])"),
    ("other", r"(?i)(?<![a-z])tokenizer(?![a-z])"),
    ("asr", r"(?i)(?<![a-z])asr(?![a-z])|forcedaligner|speech"),
    ("audio", r"(?i)audio|voxtral"),
    ("omni", r"(?i)omni|multimodal"),
    ("ocr", r"(?i)(?<![a-z])ocr(?![a-z])|docling"),
    ("image", r"(?i)(?<![a-z])image(?![a-z])"),
    ("math", r"(?i)(?<![a-z])math(?![a-z])|prover"),
    ("coder", r"(?i)(?<![a-z])coder?(?![a-z])|codeqwen|codegemma|devstral|codestral|(?<![a-z])dev(?![a-z])"),
    ("vl", r"VL|(?i:vision|pixtral|molmo|janus|qvq|(?<![a-z])drive(?![a-z]))|\dV(?![a-z])"),
))
_GATED = {False: "false", True: "auto", "auto": "auto", "manual": "manual"}


@dataclass(frozen=True)
class _Parse:
    """parse_name's result plus what the second pass needs."""

    parsed: ParsedName
    versioned: bool  # the generation is a version from the name, not a product name
    prefix: str  # name tokens before the size token: "QwQ", "Qwen-Drive-1.0"
    stem: str  # the name without format, variant and date tokens: "Qwen-Image-2.1-PE-I2I"
    release_tag: str | None  # what sets this release apart from its size point's others: "2507", "SafeRL"


def parse_name(name: str, family: Family) -> ParsedName:
    """Generation, line, variant, quant and size point from a repo name (without "org/")."""
    return _parse(name, family).parsed


@lru_cache(maxsize=64)
def _generation_pattern(pattern: str) -> re.Pattern[str] | None:
    return re.compile(pattern, re.IGNORECASE) if pattern else None


@lru_cache(maxsize=1024)
def _canonical_case(word: str, pattern: str) -> str:
    """'phi' -> 'Phi', 'Olmo' -> 'OLMo': the spelling the family's pattern uses, so one generation
    is one string however a repo capitalises it."""
    found = re.search(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", pattern, re.IGNORECASE)
    return found.group(0) if found else word


def _at_word(name: str, start: int, end: int) -> bool:
    """A generation match must start a word (or a CamelCase hump: CodeQwen1.5, not medgemma) and
    must not run into a size (gemma-4b is a 4B model, not Gemma 4)."""
    if start > 0 and name[start - 1].isalnum() and not (name[start].isupper() and not name[start - 1].isupper()):
        return False
    if end < len(name) and name[end].isdigit():
        return False
    return not (end < len(name) and name[end] in "bBmMtT" and (end + 1 == len(name) or not name[end + 1].isalnum()))


def _generation(name: str, tokens: list[str], family: Family) -> tuple[str | None, bool]:
    pattern = _generation_pattern(family.generation)
    pos = 0
    while pattern and (match := pattern.search(name, pos)):
        start, end = match.span("generation")
        pos = match.start() + 1
        text = match.group("generation").rstrip("-")
        if text[-1:].isdigit() and (decimals := _DECIMALS_RE.match(name, end)):  # "Olmo-3" + ".1", "phi-1" + "_5"
            text, end = text + "." + decimals.group(0)[1:], decimals.end()
        if start < 0 or not text or not _at_word(name, start, end):
            continue
        text = _YYMM_SUFFIX_RE.sub("", text)
        first = re.match(r"[A-Za-z]+", text)
        if first:
            text = _canonical_case(first.group(0), family.generation) + text[first.end():]
        if any(c.isdigit() for c in text):
            return text, True
        following = name[end + 1:].split("-", 1)[0]
        if text.lower() in _FIRST_GENERATION and (following.lower() in _FIRST_GENERATION_NEXT
                                                  or _SIZE_RE.fullmatch(following)):
            return _FIRST_GENERATION[text.lower()], True
        if text.lower() not in _FIRST_GENERATION:
            return text, False  # a product named by the pattern: QwQ, QVQ, Magistral-Small
        break
    return _product(tokens, family), False


def _product(tokens: list[str], family: Family) -> str | None:
    """The product name a derived repo carries: 'QwQ', 'WebWorld', 'Qwen-Image', 'Llama-Guard'."""
    if not tokens or not _PRODUCT_RE.fullmatch(tokens[0]):
        return None
    if len(tokens) > 1 and tokens[0].lower() == family.name.lower() and tokens[1][:1].isalpha():
        return f"{tokens[0]}-{tokens[1]}"
    return tokens[0]


def _number(text: str) -> str:
    return text.replace("_", ".")


def _size(tokens: list[str]) -> tuple[int, str, float | None, float | None] | None:
    """(index of the size token, label, total, active) of the first size in the name."""
    for i, token in enumerate(tokens):
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token.lower() == "moe" and (active := _ACTIVE_RE.fullmatch(after)):
            return i, f"MoE-A{active.group(1)}B", None, float(active.group(1))
        if active := _ACTIVE_RE.fullmatch(token):
            return i, f"A{active.group(1)}B", None, float(active.group(1))
        if effective := _EFFECTIVE_RE.fullmatch(token):
            return i, f"E{effective.group(1)}B", None, None
        size = _SIZE_RE.fullmatch(token)
        if not size or (size.group(3) and size.group(2).lower() != "t"):
            continue
        number, unit = _number(size.group(1)), size.group(2).lower()
        if size.group(3):  # "1T05" is 1.05T
            number = f"{number}.{size.group(3)}"
        label, total = f"{number}{unit.upper()}", float(number) * _UNITS[unit]
        if total != int(total) and unit != "b":
            total = round(total, 6)
        if active := _ACTIVE_RE.fullmatch(after):
            return i, f"{label}-A{active.group(1)}B", total, float(active.group(1))
        if _EXPERTS_RE.fullmatch(after):  # Llama-4-Scout-17B-16E: 17B active, total not in the name
            tier = f"{tokens[i - 1]}-" if i > 0 and tokens[i - 1].lower() in _TIERS else ""
            return i, f"{tier}{label}-{after.upper()}", None, total
        second = _SIZE_RE.fullmatch(after)
        if second and not second.group(3):
            other = float(_number(second.group(1))) * _UNITS[second.group(2).lower()]
            both = f"{label}-{_number(second.group(1))}{second.group(2).upper()}"
            if "moe" in "".join(tokens).lower():  # OLMoE-1B-7B: active first, then total
                return i, both, other, total
            return i, both, round(total + other, 6), None  # t5gemma-9b-2b: encoder + decoder
        return i, label, total, None
    return None


def _line(name: str) -> str:
    for line, pattern in _LINE_RULES:
        if pattern.search(name):
            return line
    return "lm"


@lru_cache(maxsize=65536)
def _parse(name: str, family: Family) -> _Parse:
    quant_match = _QUANT_RE.search(name)
    quant = _normalize_quant(quant_match.group(1)) if quant_match else None
    core = name[:quant_match.start()] if quant_match else name
    tokens = core.split("-")
    generation, versioned = _generation(core, tokens, family)
    line = _line(name)
    words = [_VARIANT_WORDS[t.lower()] for t in tokens if t.lower() in _VARIANT_WORDS]
    variant = "-".join(dict.fromkeys(words)) or "main"
    if quant:
        variant = f"{variant}+{quant}"
    size = _size(tokens)
    stem = "-".join(t for t in tokens if t.lower() not in _VARIANT_WORDS and not _DATE_RE.fullmatch(t))
    if size:
        index, label, total, active = size
        prefix = "-".join(tokens[:index])
        if line == "interpretability":  # the host model's size, not the SAE's
            total = active = None
    else:
        tiers = [t for t in tokens[1:] if t.lower() in _TIERS and t not in (generation or "")]
        label, total, active, prefix = "-".join(dict.fromkeys(tiers)) or None, None, None, ""
    return _Parse(ParsedName(generation, line, variant, quant, label, total, active), versioned, prefix, stem,
                  _release_tag(tokens, generation, family, _size_span(tokens, size)))


def _size_span(tokens: list[str], size: tuple | None) -> set[int]:
    """Indexes of the tokens the size label was read from (size, then active/experts/second size)."""
    if size is None:
        return set()
    index = size[0]
    after = tokens[index + 1] if index + 1 < len(tokens) else ""
    companion = any(rx.fullmatch(after) for rx in (_ACTIVE_RE, _EXPERTS_RE)) or (
        "-" in size[1] and _SIZE_RE.fullmatch(after) is not None)
    return {index, index + 1} if companion else {index}


# Variant words that never mark a release of their own: every size point ships these together.
_PLAIN_VARIANTS = frozenset({"base", "pt", "instruct", "it", "chat"})


def _release_tag(tokens: list[str], generation: str | None, family: Family, size_span: set[int]) -> str | None:
    """The name's release qualifier: a date or revision tag ("2507", "0528") if there is one, else
    the words left once generation, size, tier and plain variant words are gone ("SafeRL",
    "Thinking", "1M", "VL-Embedding"). Entries split on it (analysis/entries.py), so that
    Qwen3-4B-Instruct-2507 and Qwen3-4B-SafeRL are releases of their own, not Qwen3-4B's."""
    if dates := [t for t in tokens if _DATE_RE.fullmatch(t)]:
        return dates[0]
    skip = {family.name.casefold(), *(part.casefold() for part in re.split(r"[-_ ]", generation or "") if part)}
    words = [t for i, t in enumerate(tokens) if t and i not in size_span and t.casefold().replace("_", ".") not in skip
             and t.casefold() not in _PLAIN_VARIANTS and t.casefold() not in _TIERS and t.casefold() != "moe"]
    return "-".join(words) or None


def _normalize_quant(text: str) -> str:
    """'GPTQ-Int4' -> 'gptq-int4', 'MLX-4bit' -> 'mlx-4bit', Qwen1's bare 'Int4' -> 'int4'."""
    return text.lower()


def family_of(repo_id: str, config: Config) -> Family | None:
    """The watched family whose orgs include the repo's org and whose repo_match its name matches."""
    org, _, name = repo_id.partition("/")
    for family in config.watched:
        if org.casefold() in (o.casefold() for o in family.orgs) and family.matches(name):
            return family
    return None


@dataclass
class _Pending:
    """One repo between the passes."""

    model: dict
    repo_id: str
    family: Family
    parse: _Parse
    base_models: tuple[tuple[str, str], ...]
    quantized: bool
    counted_b: float | None
    counted_source: str
    line: str
    line_source: str
    packed: bool  # the counted total may be packed weights (FP8, compressed-tensors, integer dtypes)


@dataclass(frozen=True)
class _Resolved:
    generation: str | None
    size_label: str | None
    entry_key: str | None
    total_b: float | None
    total_source: str
    active_b: float | None
    active_source: str
    nominal_b: float | None
    match_key: str | None = None  # the key before a tier label got its size: how copies find their original


def normalize_repos(models: Iterable[dict], config: Config) -> list[RepoRecord]:
    """Records for the repos of watched families, sorted by repo_id; others are skipped."""
    return Normalizer(config).normalize(models)


class Normalizer:
    """Normalizes poll after poll. Given each model's doc key (`keys`: equal exactly when the
    repo's JSON, counters aside, is equal), it re-derives only the repos whose inputs changed since
    the last poll and reuses the rest: a rebuild normalizes every poll of the history, and a day
    changes a few repos in a thousand. Without keys, or after a poll whose base-model graph had a
    cycle (where the result depends on the order of resolution), it normalizes everything. Either
    way the records are those `normalize_repos` gives (tests/normalize/test_normalize_incremental.py)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._by_key: dict[object, tuple[str, _Pending] | None] = {}  # doc key -> (repo_id, first pass)
        self._keys: dict[str, object] = {}  # repo_id -> doc key, as of the last poll
        self._resolver: _Resolver | None = None  # the last poll's second pass, kept when reusable
        self._records: dict[str, RepoRecord] = {}  # the last poll's records, counters aside
        self.resolved_anew = 0  # repos the last poll resolved again (the others were reused)

    def normalize(self, models: Iterable[dict], keys: Iterable[object] | None = None) -> list[RepoRecord]:
        models = list(models)
        keyed = keys is not None
        pending, current, newest = self._first_pass(models, list(keys) if keyed else [None] * len(models))
        pending = _transformers_originals(pending)
        resolver = _incremental(pending, self._resolver, current, self._keys) if keyed else None
        if resolver is None:
            resolver = _Resolver(pending)
            _resolve(resolver, set(pending))
        records = {r: self._records[r] if r not in resolver.fresh and r in self._records
                   else _record(pending[r], resolver.resolve(r), self.config) for r in pending}
        self.resolved_anew = len(resolver.fresh)
        kept = keyed and not resolver.cyclic
        self._keys, self._resolver, self._records = (current, resolver, records) if kept else ({}, None, {})
        return [_with_counters(records[r], newest[r]) for r in sorted(records)]

    def _first_pass(self, models: list[dict], keys: list[object]
                    ) -> tuple[dict[str, _Pending], dict[str, object], dict[str, dict]]:
        """(first pass by repo_id, doc key by repo_id, the model each record takes its counters from)."""
        pending: dict[str, _Pending] = {}
        current: dict[str, object] = {}
        newest: dict[str, dict] = {}
        by_key: dict[object, tuple[str, _Pending] | None] = {}
        for model, key in zip(models, keys):
            if key is not None and key in self._by_key:
                hit = self._by_key[key]
            else:
                item = _pending(model, self.config)
                hit = (item.repo_id, item) if item is not None else None
            if key is not None:
                by_key[key] = hit
            if hit is not None:
                pending[hit[0]], current[hit[0]], newest[hit[0]] = hit[1], key, model
        self._by_key = by_key
        return pending, current, newest


def _resolve(resolver: _Resolver, repos: set[str]) -> None:
    """The second pass over `repos`, in the order a whole pass takes: originals, then the index
    of originals by match key, then copies."""
    for repo_id in sorted(r for r in repos if not resolver.pending[r].quantized):
        resolver.resolve(repo_id)
    resolver.index_originals()
    for repo_id in sorted(r for r in repos if resolver.pending[r].quantized):
        resolver.resolve(repo_id)


def _incremental(pending: dict[str, _Pending], last: _Resolver | None, current: dict[str, object],
                 last_keys: dict[str, object]) -> _Resolver | None:
    """The second pass re-run only for the repos whose result may differ from the last poll's:
    the changed ones (new, gone, new doc), what reads them (children through base-model tags, an
    '-hf' repo whose original came or went), and copies whose match key an affected original had
    or has. None: resolve everything (no last poll, many changes, or a cycle met)."""
    changed = {r for r in current.keys() | last_keys.keys() if current.get(r) != last_keys.get(r)} if last else set()
    if last is None or len(changed) * 4 > len(pending):
        return None
    children: dict[str, list[str]] = {}
    for repo_id, item in pending.items():
        for _, parent in item.base_models:
            children.setdefault(parent, []).append(repo_id)
        if item.parse.parsed.quant == "hf":
            children.setdefault(repo_id[:-3].casefold(), []).append(repo_id)
    readers = _reach(changed, children) & pending.keys()
    resolver = _Resolver(pending, last, readers)
    originals = {r for r in readers if not pending[r].quantized}
    keys = {last.resolved[r].match_key for r in readers | changed if r in last.resolved}
    keys |= {resolver.resolve(r).match_key for r in sorted(originals)}
    copies = {r for r, item in pending.items() if item.quantized and r in last.resolved
              and last.resolved[r].match_key in keys}
    resolver.forget(_reach(copies, children) & pending.keys() - readers)
    _resolve(resolver, resolver.fresh)
    return None if resolver.cyclic else resolver


def _reach(start: set[str], children: dict[str, list[str]]) -> set[str]:
    """`start` and every repo that reads it, transitively (a casefolded id reaches its '-hf' repo)."""
    seen, todo = set(start), list(start)
    while todo:
        repo_id = todo.pop()
        for key in {repo_id, repo_id.casefold()}:
            for child in children.get(key, ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
    return seen


def _transformers_originals(pending: dict[str, _Pending]) -> dict[str, _Pending]:
    """A '-hf' repo is a re-packaging when its original is there too (Qwen3-ASR-0.6B-hf beside
    Qwen3-ASR-0.6B); alone, it is the transformers-format original (meta-llama/Llama-2-7b-hf).
    Returns new items for those, leaving the first pass (which a Normalizer keeps) untouched."""
    ids = {repo_id.casefold() for repo_id in pending}
    out = dict(pending)
    for repo_id, item in pending.items():
        if (item.quantized and item.parse.parsed.quant == "hf" and not any(rel == "quantized" for rel, _ in item.base_models)
                and item.repo_id[:-3].casefold() not in ids):
            out[repo_id] = replace(item, quantized=False)
    return out


class _Resolver:
    """The second pass: generations through parents, copies' sizes through their bases."""

    def __init__(self, pending: dict[str, _Pending], last: _Resolver | None = None,
                 fresh: set[str] | None = None) -> None:
        self.pending = pending
        self.fresh = set(pending) if last is None else set(fresh or ())  # repos resolved anew
        kept = pending.keys() - self.fresh
        self.generations: dict[str, str | None] = {r: last.generations[r] for r in kept if r in last.generations} if last else {}
        self.resolved: dict[str, _Resolved] = {r: last.resolved[r] for r in kept} if last else {}
        self.by_key: dict[str, str] = {}  # entry key -> first original with it
        self.active: set[str] = set()  # cycle guard: repos being resolved
        self.cyclic = False  # the guard stopped a walk: the result depends on the order of resolution

    def forget(self, repos: set[str]) -> None:
        self.fresh |= repos
        for repo_id in repos:
            self.resolved.pop(repo_id, None)

    def generation(self, repo_id: str) -> str | None:
        """A version from the name, else the generation of a same-family parent, else the product."""
        if repo_id not in self.generations:
            item = self.pending[repo_id]
            found = item.parse.parsed.generation
            self.cyclic |= not item.parse.versioned and repo_id in self.active
            if not item.parse.versioned and repo_id not in self.active:
                self.active.add(repo_id)
                parents = [p for _, p in item.base_models if p in self.pending and p != repo_id
                           and self.pending[p].family == item.family]
                found = next((g for p in parents if (g := self.generation(p))), found)
                self.active.discard(repo_id)
            self.generations[repo_id] = found
        return self.generations[repo_id]

    def resolve(self, repo_id: str) -> _Resolved:
        if repo_id in self.resolved:
            return self.resolved[repo_id]
        item = self.pending[repo_id]
        parsed = item.parse.parsed
        base = None
        self.active.add(repo_id)
        parents = [p for rel, p in item.base_models if rel == "quantized" and p in self.pending]
        parent = next((p for p in parents if p not in self.active), None)
        self.cyclic |= item.quantized and any(p in self.active for p in parents)
        if item.quantized and parent is not None:
            base = self.resolve(parent)
        self.active.discard(repo_id)
        generation = self.generation(repo_id)
        inherited = generation != parsed.generation
        if base is not None and (parsed.size_label is None or inherited):
            label = base.size_label
        elif inherited:
            label = f"{item.parse.prefix}-{parsed.size_label}" if item.parse.prefix else item.parse.stem
        else:
            label = parsed.size_label
        if label is None and not item.quantized and item.counted_b is not None:
            label = _approx_label(item.counted_b)
        match_key = _entry_key(generation, item, label)
        if base is None and item.quantized and match_key in self.by_key:
            base = self.resolve(self.by_key[match_key])
        if base is not None and _tier_only(label):
            label = base.size_label
        result = _params(item, generation, label, None, base)
        if not item.quantized:
            result = _with_known_sizes(result, item.repo_id)
        result = replace(result, entry_key=_entry_key(generation, item, result.size_label), match_key=match_key)
        self.resolved[repo_id] = result
        return result

    def index_originals(self) -> None:
        for repo_id in sorted(self.resolved):
            key = self.resolved[repo_id].match_key
            if key and not self.pending[repo_id].quantized:
                self.by_key.setdefault(key, repo_id)


def _entry_key(generation: str | None, item: _Pending, label: str | None) -> str | None:
    return f"{generation} · {LINE_LABELS[item.line]} · {label}" if generation and label else None


def _tier_only(label: str | None) -> bool:
    """'Flash-Next', 'mini', 'Air': a size point named by a word, with no number in it."""
    return bool(label) and not any(c.isdigit() for c in label)


def _with_known_sizes(result: _Resolved, repo_id: str) -> _Resolved:
    """Fill what the name is silent on from the bundled facts (active parameters of an MoE named
    by a tier word), and give a tier label its size: 'Flash-Next · 180B-A6B', so a label always
    says how big the model is."""
    fact = known_fact(repo_id)
    active, active_source = result.active_b, result.active_source
    if active is None and fact is not None and fact.params_active_b is not None:
        active, active_source = fact.params_active_b, "facts"
    known_total = fact.params_total_b if fact is not None else None
    suffix = f"-A{active:g}B" if active is not None else ""
    label = result.size_label
    if label and label.startswith("~") and known_total:  # '~1T' -> '1T-A32B'
        label = _approx_label(known_total).lstrip("~") + suffix
    elif _tier_only(label) and (known_total or result.total_b) is not None:
        size = _approx_label(known_total).lstrip("~") if known_total else _approx_label(result.total_b)
        label = f"{label} · {size}{suffix}"
    return replace(result, size_label=label, active_b=active, active_source=active_source)


def _params(item: _Pending, gen: str | None, label: str | None, key: str | None,
            base: _Resolved | None) -> _Resolved:
    parsed = item.parse.parsed
    if item.quantized and base is not None:
        return _Resolved(gen, label, key, base.total_b, "base" if base.total_b is not None else "unknown",
                         base.active_b, "base" if base.active_b is not None else "unknown",
                         parsed.total_b if parsed.total_b is not None else base.nominal_b)
    if (not item.quantized and item.packed and item.counted_b is not None and parsed.total_b is not None
            and item.counted_b < PACKED_FRACTION * parsed.total_b):
        total, source = parsed.total_b, "name-packed"
    elif not item.quantized and item.counted_b is not None:
        total, source = item.counted_b, item.counted_source
    elif parsed.total_b is not None:
        total, source = parsed.total_b, "name"
    else:
        total, source = None, "unknown"
    return _Resolved(gen, label, key, total, source, parsed.active_b, "name" if parsed.active_b is not None else "unknown",
                     parsed.total_b)


def _approx_label(total_b: float) -> str:
    """'~685B', '~9.4B', '~350M', '~1.6T': a size point named by its counted total."""
    if total_b >= 1000:
        return f"~{total_b / 1000:.2g}T"
    if total_b >= 10:
        return f"~{round(total_b)}B"
    if total_b >= 1:
        return f"~{total_b:.1f}".rstrip("0").rstrip(".") + "B"
    return f"~{round(total_b * 1000)}M"


def _pending(model: dict, config: Config) -> _Pending | None:
    repo_id = repo_id_of(model)
    if repo_id is None:
        return None
    family = family_of(repo_id, config)
    if family is None:
        return None
    parse = _parse(repo_id.partition("/")[2], family)
    base_models = _base_models(model)
    tags = {t.lower() for t in tags_of(model)}
    library = _text(model.get("library_name"))
    counted, source = None, "unknown"
    for field, name in (("safetensors", "safetensors"), ("gguf", "gguf")):
        total = (model.get(field) or {}).get("total") if isinstance(model.get(field), dict) else None
        if isinstance(total, (int, float)) and not isinstance(total, bool) and total > 0:
            counted, source = round(total / 1e9, 6), name
            break
    quantized = (parse.parsed.quant is not None or format_copy(library, tags, source)
                 or any(rel == "quantized" for rel, _ in base_models))
    line, line_source = parse.parsed.line, "name"
    if line == "lm":
        line, line_source = line_from_hub(model.get("pipeline_tag"), tags_of(model), library)
    return _Pending(model, repo_id, family, parse, base_models, quantized, counted, source, line, line_source,
                    packed(model, tags))


def _base_models(model: dict) -> tuple[tuple[str, str], ...]:
    """(relation, parent) from 'base_model:<relation>:<parent>' tags; the card's base_model only
    when no tag gives a relation."""
    pairs = []
    for tag in tags_of(model):
        parts = tag.split(":", 2)
        if len(parts) == 3 and parts[0] == "base_model" and parts[1] and parts[2]:
            pairs.append((parts[1], parts[2]))
    if not pairs:
        card = (model.get("cardData") or {}).get("base_model") if isinstance(model.get("cardData"), dict) else None
        parents = [card] if isinstance(card, str) else card if isinstance(card, list) else []
        pairs = [("card", p) for p in parents if isinstance(p, str) and p]
    return tuple(dict.fromkeys(pairs))


def _license(model: dict) -> str | None:
    card = model.get("cardData") if isinstance(model.get("cardData"), dict) else {}
    licence = card.get("license")
    if isinstance(licence, list):
        licence = next((x for x in licence if isinstance(x, str)), None)
    if licence == "other" and isinstance(card.get("license_name"), str):
        return card["license_name"]
    if isinstance(licence, str) and licence:
        return licence
    tags = [t for t in tags_of(model) if t.startswith("license:")]
    return tags[0].partition(":")[2] if tags else None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _record(item: _Pending, state: _Resolved, config: Config) -> RepoRecord:
    """The record without counters: a Normalizer keeps it while the repo's doc is unchanged."""
    model, parsed = item.model, item.parse.parsed
    gated = model.get("gated", False)
    nominal = state.nominal_b
    return RepoRecord(
        repo_id=item.repo_id, org=item.repo_id.partition("/")[0], name=item.repo_id.partition("/")[2],
        family=item.family.name, generation=state.generation, line=item.line, line_source=item.line_source,
        variant=parsed.variant,
        quant=parsed.quant, quantized=item.quantized, size_label=state.size_label, entry_key=state.entry_key,
        params_total_b=state.total_b, params_total_source=state.total_source, params_active_b=state.active_b,
        params_active_source=state.active_source, nominal_total_b=nominal,
        size_class=config.size_classes.classify(nominal if nominal is not None else state.total_b),
        created_at=timestamp(model.get("createdAt")), last_modified=_text(model.get("lastModified")),
        sha=_text(model.get("sha")), license=_license(model),
        gated=_GATED.get(gated, str(gated).lower()) if isinstance(gated, (bool, str)) else "false",
        pipeline_tag=_text(model.get("pipeline_tag")), library_name=_text(model.get("library_name")),
        base_models=item.base_models, downloads=None, downloads_all_time=None, likes=None,
        release_tag=item.parse.release_tag,
    )


def _with_counters(record: RepoRecord, model: dict) -> RepoRecord:
    """The record with this poll's counters; the record itself for a doc without any (rebuild
    replays docs, and reused records keep their identity). Built without __init__: it runs for
    every repo of every poll, where `dataclasses.replace` took 5 us a repo."""
    if "downloads" not in model and "downloadsAllTime" not in model and "likes" not in model:
        return record
    out = object.__new__(RepoRecord)
    out.__dict__.update(record.__dict__, downloads=_count(model.get("downloads")),
                        downloads_all_time=_count(model.get("downloadsAllTime")), likes=_count(model.get("likes")))
    return out


def lineage(model: dict) -> tuple[tuple[str, str], ...]:
    """(relation, parent) pairs of any Hub repo, watched or not: the rule above, for the Hub-wide stream."""
    return _base_models(model)


def name_params_b(name: str) -> float | None:
    """Total parameters (billions) a repo name states, format suffixes ignored: the name rule for
    repos of no watched family (the Hub-wide stream)."""
    quant = _QUANT_RE.search(name)
    size = _size((name[:quant.start()] if quant else name).split("-"))
    return size[2] if size else None
