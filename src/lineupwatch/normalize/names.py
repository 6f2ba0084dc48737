"""What a repo name says, read from the name alone: generation, line, variant, quant, size point.

Every real-Hub naming fix lands here: a new size token, a format suffix, a line word, a generation
spelled another way. Pure and cached (the same name and family always read the same); what the
name cannot settle alone (a derived product's generation, a copy's size) is for the second pass
(records.py), and which parameter count a record takes is sizes.py's.

Rules, and why:
- Generation: the family's pattern (config), at the start of a word or a CamelCase hump
  (CodeQwen1.5, not medgemma) and never running into a size (gemma-4b is a 4B model, not Gemma 4);
  spelled as the pattern spells it. A pattern match without a number is a product (QwQ, QVQ,
  Magistral-Small); Qwen's first generation has no number in its names (Qwen-7B is "Qwen1").
- The size label is the name's size token ("9B", "35B-A3B", "MoE-A2.7B", "E4B", "270M"). Names
  with no size keep their tier words ("Flash-Next", "Air", "mini"). A sparse autoencoder's size
  token is its host model's, so it labels the entry but is not the SAE's nominal total.
- Line: name keywords first (SAE, WebWorld/AgentWorld, PRM/RM/Reward, Guard/shield, Embedding,
  Reranker, TTS, ASR/ForcedAligner/speech, Audio/Voxtral, Omni/multimodal, OCR/docling, Image,
  Math/Prover, Coder/Code/Devstral/Codestral/codegemma, VL/VLM/vision/Pixtral/Drive/QVQ/"4.5V"),
  then the Hub's task list (lines.py). Qwen3.5 and later are natively multimodal with no VL in
  their names and stay "lm": image-text-to-text is text out, an LM.
- Variant: the name's variant words ("instruct", "chat", "base", "thinking", "it" -> instruct,
  "pt" -> base ...), or "main" for the unsuffixed checkpoint (the base model in older lines, the
  post-trained one since Qwen3), plus "+<quant>" for copies: "chat+int4". Everything from a format
  token on ("GPTQ-Int4", "FP8", "GGUF", "MLX-4bit", "hf") is the copy's format, not its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..config.settings import Family


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


@dataclass(frozen=True)
class NameParts:
    """parse_name's result plus what the second pass needs."""

    parsed: ParsedName
    versioned: bool  # the generation is a version from the name, not a product name
    prefix: str  # name tokens before the size token: "QwQ", "Qwen-Drive-1.0"
    stem: str  # the name without format, variant and date tokens: "Qwen-Image-2.1-PE-I2I"
    release_tag: str | None  # what sets this release apart from its size point's others: "2507", "SafeRL"


def parse_name(name: str, family: Family) -> ParsedName:
    """Generation, line, variant, quant and size point from a repo name (without "org/")."""
    return parse_name_parts(name, family).parsed


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
def parse_name_parts(name: str, family: Family) -> NameParts:
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
    return NameParts(ParsedName(generation, line, variant, quant, label, total, active), versioned, prefix, stem,
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


def name_params_b(name: str) -> float | None:
    """Total parameters (billions) a repo name states, format suffixes ignored: the name rule for
    repos of no watched family (the Hub-wide stream)."""
    quant = _QUANT_RE.search(name)
    size = _size((name[:quant.start()] if quant else name).split("-"))
    return size[2] if size else None
