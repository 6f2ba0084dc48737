"""Hub JSON -> repo records: one batch, resolved in two passes.

Pure: data in, records out (no I/O, no clock). Two passes, because a repo's meaning can depend
on other repos of the same poll: a quantized copy takes its size from its base, and a derived
product (QwQ, WebWorld, Qwen-Drive) takes its generation from the parent its tags name. The
first pass reads each repo alone (its name through names.py, its counts through sizes.py, the
Hub's task list through lines.py); the second resolves it against the others.

Rules, and why:
- A copy's base: the parent of its `base_model:quantized:` tag if that parent is in the batch,
  else an original with the same entry key, else its name.
- A derived product that inherits its parent's generation keeps its product name in the size
  label ("QwQ-32B", "Qwen-Drive-1.0-4B"), so it forms its own entry, next to its parent's.
- Line: the name's line word (names.py), else the Hub's task list (lines.py); the record says
  which rule decided (`line_source`).
- Format copies are known by name, by `base_model:quantized:` tag, and by format: a GGUF or MLX
  repo (library or tag) is a copy even when its name does not say so. A '-hf' repo is a copy only
  beside its original.
- Lineage: (relation, parent) from the `base_model:<relation>:<parent>` tags; the card's
  `base_model` only when no tag gives a relation.
- Odd payloads never stop a poll: a missing field is None (a repo without `createdAt` is stored
  undated), `id` falls back to `modelId`, and every field is type-checked before use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..config.settings import Config, Family
from .lines import LINE_LABELS, line_from_hub
from .names import NameParts, parse_name_parts
from .payload import format_copy, packed, repo_id_of, tags_of, timestamp
from .sizes import Params, approx_label, counted_total, pick_params, tier_only, with_known_sizes

_GATED = {False: "false", True: "auto", "auto": "auto", "manual": "manual"}


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
    parse: NameParts
    base_models: tuple[tuple[str, str], ...]
    quantized: bool
    counted_b: float | None
    counted_source: str
    line: str
    line_source: str
    packed: bool  # the counted total may be packed weights (FP8, compressed-tensors, integer dtypes)


@dataclass(frozen=True)
class _Resolved:
    """One repo after the second pass."""

    generation: str | None
    size_label: str | None
    entry_key: str | None
    params: Params
    match_key: str | None  # the key before a tier label got its size: how copies find their original


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
            label = approx_label(item.counted_b)
        match_key = _entry_key(generation, item, label)
        if base is None and item.quantized and match_key in self.by_key:
            base = self.resolve(self.by_key[match_key])
        if base is not None and tier_only(label):
            label = base.size_label
        params = pick_params(parsed, item.counted_b, item.counted_source, item.quantized, item.packed,
                             base.params if base is not None else None)
        if not item.quantized:
            label, params = with_known_sizes(label, params, item.repo_id)
        result = _Resolved(generation, label, _entry_key(generation, item, label), params, match_key)
        self.resolved[repo_id] = result
        return result

    def index_originals(self) -> None:
        for repo_id in sorted(self.resolved):
            key = self.resolved[repo_id].match_key
            if key and not self.pending[repo_id].quantized:
                self.by_key.setdefault(key, repo_id)


def _entry_key(generation: str | None, item: _Pending, label: str | None) -> str | None:
    return f"{generation} · {LINE_LABELS[item.line]} · {label}" if generation and label else None


def _pending(model: dict, config: Config) -> _Pending | None:
    repo_id = repo_id_of(model)
    if repo_id is None:
        return None
    family = family_of(repo_id, config)
    if family is None:
        return None
    parse = parse_name_parts(repo_id.partition("/")[2], family)
    base_models = _base_models(model)
    tags = {t.lower() for t in tags_of(model)}
    library = _text(model.get("library_name"))
    counted, source = counted_total(model)
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


def as_count(value: object) -> int | None:
    """A counter (downloads, likes) if the Hub sent an integer, else None (a bool is no count)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _record(item: _Pending, state: _Resolved, config: Config) -> RepoRecord:
    """The record without counters: a Normalizer keeps it while the repo's doc is unchanged."""
    model, parsed = item.model, item.parse.parsed
    gated = model.get("gated", False)
    params = state.params
    nominal = params.nominal_b
    return RepoRecord(
        repo_id=item.repo_id, org=item.repo_id.partition("/")[0], name=item.repo_id.partition("/")[2],
        family=item.family.name, generation=state.generation, line=item.line, line_source=item.line_source,
        variant=parsed.variant,
        quant=parsed.quant, quantized=item.quantized, size_label=state.size_label, entry_key=state.entry_key,
        params_total_b=params.total_b, params_total_source=params.total_source, params_active_b=params.active_b,
        params_active_source=params.active_source, nominal_total_b=nominal,
        size_class=config.size_classes.classify(nominal if nominal is not None else params.total_b),
        created_at=timestamp(model.get("createdAt")), last_modified=timestamp(model.get("lastModified")) or _text(model.get("lastModified")),
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
    out.__dict__.update(record.__dict__, downloads=as_count(model.get("downloads")),
                        downloads_all_time=as_count(model.get("downloadsAllTime")), likes=as_count(model.get("likes")))
    return out


def lineage(model: dict) -> tuple[tuple[str, str], ...]:
    """(relation, parent) pairs of any Hub repo, watched or not: the rule above, for the Hub-wide stream."""
    return _base_models(model)
