"""TOML config -> typed, validated settings.

Every threshold and window of lineupwatch is defined once, here, as a dataclass default; the
shipped config/lineupwatch.toml repeats them with comments. The dataclasses are the schema: each
field's type (with its range as an `Annotated` constraint, pydantic's Field keywords) is checked
strictly by pydantic, so a wrong key, type or range, an unknown family, a bad regex or a cron that
never fires is a one-line `ConfigError` naming the file and the key. A value of a plain type
within its range (nearly every value of a usable config) is accepted without pydantic, which is
imported only to judge the rest: `status` and every command start ~0.1 s sooner.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import re
import tomllib
import typing
from dataclasses import dataclass, field
from datetime import date
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

DEFAULT_CONFIG_PATH = Path("config/lineupwatch.toml")
DEFAULT_HUB_ENDPOINT = "https://huggingface.co"


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key."""


class Check:
    """A field's range, in pydantic's Field keywords (gt, ge, lt, le, min_length)."""

    __slots__ = ("bounds",)

    def __init__(self, **bounds: float) -> None:
        self.bounds = bounds

    def __repr__(self) -> str:
        return f"Check({', '.join(f'{k}={v!r}' for k, v in self.bounds.items())})"


# Ranges, checked by pydantic; a new field with a plain type is checked for its type alone.
Seconds = Annotated[float, Check(gt=0)]
Wait = Annotated[float, Check(ge=0)]
Count = Annotated[int, Check(ge=0)]
AtLeastOne = Annotated[int, Check(ge=1)]
Billions = Annotated[float, Check(gt=0)]
Fraction = Annotated[float, Check(gt=0, le=1)]
Margin = Annotated[float, Check(ge=1)]
Percentile = Annotated[float, Check(ge=0, le=100)]
Port = Annotated[int, Check(ge=1, le=65535)]
Name = Annotated[str, Check(min_length=1)]


@dataclass(frozen=True)
class Family:
    """A watched family: the Hub orgs that publish it and how its repo names read."""

    name: str
    orgs: tuple[str, ...]
    # Regex searched (case-insensitive) in the repo name after "org/"; empty means every repo.
    repo_match: str = ""
    # Regex with a named group `generation`, searched in the repo name.
    generation: str = ""

    def matches(self, repo_name: str) -> bool:
        return not self.repo_match or re.search(self.repo_match, repo_name, re.IGNORECASE) is not None


@dataclass(frozen=True)
class HubSettings:
    endpoint: str = ""  # empty: HF_ENDPOINT, else https://huggingface.co
    token_env: str = "HF_TOKEN"  # environment variable holding an optional Hub token
    request_timeout_s: Seconds = 30.0
    max_retries: Count = 3
    retry_wait_s: Wait = 1.0  # first wait between retries; doubles up to 8x
    poll_deadline_s: Seconds = 900.0
    children_budget: Count = 100
    children_refresh_days: Count = 7
    # The Hub-wide stream of new repos (stream_poll.py), read by every poll beside the org listings.
    stream: bool = True
    stream_rescan_days: Count = 7  # re-read this far behind the last poll's newest repo: tags come late
    stream_page_size: Annotated[int, Check(ge=1, le=1000)] = 1000
    stream_max_pages: AtLeastOne = 60  # a poll reads at most this many stream pages; backfill-stream does the rest
    stream_rate_reserve: int = 50  # wait for the next rate-limit window when fewer requests are left; -1: never


@dataclass(frozen=True)
class StorageSettings:
    database: Name = "data/lineupwatch.db"
    reports_dir: Name = "reports"
    # Retention (retention.py): keep every poll's download/like counters this many days back from
    # the newest poll, then one poll per `counters_keep_every` ("week" or "month"); 0 keeps all.
    counters_daily_days: Count = 0
    counters_keep_every: str = "week"  # week | month


@dataclass(frozen=True)
class SizeClasses:
    """Upper bounds in billions of total parameters; above `large` is `frontier`."""

    tiny: Billions = 2.0
    small: Billions = 10.0
    medium: Billions = 40.0
    large: Billions = 150.0

    def classify(self, params_b: float | None) -> str | None:
        if params_b is None:
            return None
        for name in ("tiny", "small", "medium", "large"):
            if params_b <= getattr(self, name):
                return name
        return "frontier"


SIZE_CLASS_NAMES = ("tiny", "small", "medium", "large", "frontier")
SMALL_CLASSES = ("tiny", "small")


@dataclass(frozen=True)
class AnalysisSettings:
    baseline_date: date = date(2026, 3, 4)
    counted_lines: tuple[str, ...] = ("lm", "coder", "vl", "omni", "math")
    count_derivatives: bool = False
    wave_gap_days: AtLeastOne = 21
    completion_window_days: AtLeastOne = 42
    coverage_window_days: AtLeastOne = 180
    gap_percentile: Percentile = 90.0
    # open-weights: cadence after the baseline below this fraction of the pre-baseline cadence...
    cadence_drop_fraction: Fraction = 0.5
    # ...where the pre-baseline cadence is measured over this many days before the baseline
    cadence_window_days: AtLeastOne = 365
    # The cadence is secondary evidence, used only with at least this many release waves in each
    # window (before the baseline, and since it): fewer waves make a rate of noise.
    cadence_min_waves: AtLeastOne = 4
    # A verdict change no event caused (a rate drifting between releases) is reported only once it
    # has held this many days; an event (a release, a licence, gating or removal) changes it at once.
    verdict_hold_days: Count = 14
    # "Bigger than any model it had opened before": at least this many times the previous largest.
    bigger_margin: Margin = 1.25
    # Ecosystem (analysis/ecosystem.py): derivative shares by base family, from this many weeks
    # before the baseline; a family's baseline band is the range of its weekly small share in the
    # last `ecosystem_band_weeks` weeks before the baseline.
    ecosystem_weeks_before_baseline: Count = 52
    ecosystem_band_weeks: AtLeastOne = 12
    ecosystem_top_other: Count = 10  # "other" parents named in the report
    # Who fills the small sizes: originals from outside the watched orgs whose pipeline is of a
    # counted line (lines.py), and community repos named after a watched family's post-baseline
    # generation, ranked by downloads.
    filler_min_downloads: Count = 50_000  # all-time downloads an original needs ...
    filler_after_days: Count = 30  # ... this many days after its release
    fillers_listed: Count = 20
    # Adoption score (analysis/adoption.py): cumulative downloads N days after release, divided by
    # the `adoption_rank`-th best entry of the same size class at the same day.
    adoption_days: tuple[int, ...] = (7, 30, 90, 180, 365)
    adoption_rank: AtLeastOne = 10
    # Resilience index (analysis/resilience.py): weekly from this day; independent publishers are
    # families with a new small open original in the last `resilience_publisher_days` days.
    resilience_since: date = date(2024, 1, 1)
    resilience_publisher_days: AtLeastOne = 180


@dataclass(frozen=True)
class AlertRules:
    verdict_changed: bool = True
    new_generation: bool = True
    wave_without_small: bool = True
    small_gap_over_p90: bool = True
    licence_or_gating: bool = True
    repos_removed: bool = True
    small_share_drop: bool = True
    small_share_fraction: Fraction = 0.5
    small_share_window_days: AtLeastOne = 180
    monitor_health: bool = True
    ecosystem_share_band: bool = True  # the primary family's small-base derivative share leaves its band ...
    ecosystem_band_breach_weeks: AtLeastOne = 2  # ... this many complete weeks in a row
    ecosystem_family_share: bool = True  # another family's weekly small-base share reaches ...
    ecosystem_family_share_threshold: Fraction = 0.25  # ... this share
    community_adoption: bool = True  # a community small model reaches ...
    community_adoption_downloads: Count = 500_000  # ... these all-time downloads
    resilience_elephant_factor: bool = True  # the elephant factor of the local sizes changes
    resilience_hhi: bool = True  # the local HHI crosses a band, or rises by more than ...
    resilience_hhi_rise_points: AtLeastOne = 100  # ... these points within ...
    resilience_hhi_rise_weeks: AtLeastOne = 4  # ... these complete weeks
    resilience_publishers: bool = True  # independent small-model publishers fall below ...
    resilience_min_publishers: AtLeastOne = 3  # ... this many
    failed_polls_in_a_row: AtLeastOne = 3
    stale_poll_hours: Seconds = 48.0
    org_failing: bool = True
    org_failing_polls: AtLeastOne = 2  # polls in a row (that stored other orgs) an org failed before its alert


@dataclass(frozen=True)
class MailSettings:
    enabled: bool = False
    host: Name = "localhost"
    port: Port = 25
    security: str = "plain"  # plain | starttls | tls
    username: str = ""
    password_env: str = "LINEUPWATCH_SMTP_PASSWORD"
    password_file: str = ""
    sender: Name = "lineupwatch@localhost"
    recipients: tuple[str, ...] = ()
    digest: bool = True
    announce_resolved: bool = True
    timeout_s: Seconds = 30.0
    report_url: str = ""  # public base URL where reports/ is published, for links in every channel
    domain: str = ""  # Message-ID and List-Id domain; empty: the sender's domain


@dataclass(frozen=True)
class WebhookSettings:
    """Apprise URLs (discord://, slack://, matrix://, ntfy://, json://...): the alerts mail gets."""

    urls: tuple[str, ...] = ()
    # more URLs, whitespace-separated, from the environment: webhook URLs carry their tokens
    urls_env: str = "LINEUPWATCH_WEBHOOK_URLS"
    digest: bool = True  # all alerts of one run in one post (false: one post per alert)


@dataclass(frozen=True)
class SiteSettings:
    """Where the reports directory is published: links in pages, feed and mail become absolute."""

    base_url: str = ""  # e.g. https://example.org/lineupwatch/ ; empty: relative links, no og:url


@dataclass(frozen=True)
class FitsSettings:
    """What fits your machine (analysis/fits.py, docs/fits.md): memory budgets and contexts."""

    budgets_gb: tuple[Annotated[float, Check(gt=0)], ...] = (8, 12, 16, 24, 32, 48, 64)  # GPU memory and unified memory
    contexts: tuple[Annotated[int, Check(ge=512)], ...] = (8192, 32768)  # the picks must fit at the first
    # Unified memory (Apple silicon) is shared with the system: macOS lets the GPU use about 2/3 of it
    # up to 36 GB and 3/4 above (Metal's recommendedMaxWorkingSetSize); 0.75 leaves the rest to the
    # system and the apps beside the model.
    unified_usable_fraction: Fraction = 0.75
    runtime_overhead_gb: Annotated[float, Check(ge=0)] = 0.6  # the runtime's context and compute buffers
    picks_per_budget: Annotated[int, Check(ge=1, le=10)] = 3
    community_builds: Count = 3  # most downloaded community builds named per pick (from the stream)
    # An MoE that does not fit a GPU whole may run with its experts in system RAM: the offload pick
    # of a GPU budget needs at most this much system RAM (a desktop with 64 GB).
    offload_system_ram_gb: Annotated[float, Check(ge=0)] = 64.0


@dataclass(frozen=True)
class ScheduleSettings:
    run_cron: str = "17 6 * * *"
    timezone: str = "UTC"
    misfire_grace_s: AtLeastOne = 3600


@dataclass(frozen=True)
class Config:
    path: Path
    watch: tuple[str, ...]
    families: dict[str, Family]
    hub: HubSettings = field(default_factory=HubSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    size_classes: SizeClasses = field(default_factory=SizeClasses)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    alerts: AlertRules = field(default_factory=AlertRules)
    mail: MailSettings = field(default_factory=MailSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    site: SiteSettings = field(default_factory=SiteSettings)
    fits: FitsSettings = field(default_factory=FitsSettings)

    @property
    def watched(self) -> list[Family]:
        return [self.families[name] for name in self.watch]

    def resolve(self, relative: str) -> Path:
        """Paths in the config are relative to the working directory, as a user types them."""
        return Path(relative)

    @property
    def database_path(self) -> Path:
        return self.resolve(self.storage.database)

    @property
    def reports_path(self) -> Path:
        return self.resolve(self.storage.reports_dir)

    def endpoint(self, override: str | None = None) -> str:
        """--endpoint, else HF_ENDPOINT, else the config, else huggingface.co."""
        chosen = override or os.environ.get("HF_ENDPOINT") or self.hub.endpoint or DEFAULT_HUB_ENDPOINT
        return chosen.rstrip("/")


# Qwen first; every family of the bundled facts. Patterns are searched in the repo name.
DEFAULT_FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("Qwen", ("Qwen",), "", r"(?P<generation>Qwen\d+(?:\.\d+)?|Qwen(?=-)|QwQ|QVQ)"),
        Family("Llama", ("meta-llama",), "llama", r"(?P<generation>Llama-?\d+(?:\.\d+)?)"),
        Family("Gemma", ("google",), "gemma", r"(?P<generation>gemma-?\d+n?)"),
        Family("Mistral", ("mistralai",), "", r"(?P<generation>(?:Mistral|Ministral|Magistral|Devstral|Voxtral|Codestral|Pixtral|Mixtral)(?:-(?:Small|Medium|Large))?(?:-\d+(?:\.\d+)?(?=-|$))?)"),
        Family("DeepSeek", ("deepseek-ai",), "", r"(?P<generation>DeepSeek-(?:V\d+(?:\.\d+)?|R\d+|OCR(?:-\d+)?|Prover-V\d+|Math-V\d+|Coder-V\d+|VL\d*|Janus\S*|[A-Za-z]+))"),
        Family("Phi", ("microsoft",), r"phi", r"(?P<generation>Phi-\d+(?:\.\d+)?)"),
        Family("gpt-oss", ("openai",), "gpt-oss", r"(?P<generation>gpt-oss)"),
        Family("SmolLM", ("HuggingFaceTB",), r"smol", r"(?P<generation>Smol(?:LM|VLM)\d*)"),
        Family("Granite", ("ibm-granite",), "granite", r"(?P<generation>granite-(?:[a-z]+-)?\d+(?:\.\d+)?)"),
        Family("Liquid", ("LiquidAI",), "lfm", r"(?P<generation>LFM\d+(?:\.\d+)?)"),
        Family("OLMo", ("allenai",), "olmo", r"(?P<generation>OLMo-?\d*)"),
        Family("GLM", ("zai-org",), "glm", r"(?P<generation>GLM-\d+(?:\.\d+)?)"),
        Family("Kimi", ("moonshotai",), "", r"(?P<generation>Kimi-[A-Za-z]*\d+(?:\.\d+)?|Moonlight)"),
        Family("MiniMax", ("MiniMaxAI",), "", r"(?P<generation>MiniMax-[A-Za-z]*\d*(?:\.\d+)?)"),
    )
}

_SECTIONS: dict[str, type] = {
    "hub": HubSettings,
    "storage": StorageSettings,
    "size_classes": SizeClasses,
    "analysis": AnalysisSettings,
    "alerts": AlertRules,
    "mail": MailSettings,
    "webhooks": WebhookSettings,
    "schedule": ScheduleSettings,
    "site": SiteSettings,
    "fits": FitsSettings,
}


def load_config(path: Path | str | None = None) -> Config:
    """Read and validate a config file; `None` means $LINEUPWATCH_CONFIG or the default path."""
    path = Path(path or os.environ.get("LINEUPWATCH_CONFIG") or DEFAULT_CONFIG_PATH)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found (run `lineupwatch init` to write one here, or pass --config PATH or set LINEUPWATCH_CONFIG)") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text (byte {err.start}: {err.object[err.start:err.start + 1]!r}); "
                          "save the file as UTF-8") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config file: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from None
    return parse_config(raw, path)


def parse_config(raw: dict, path: Path) -> Config:
    known = {"watch", "families", *_SECTIONS}
    for key in raw:
        if key not in known:
            raise ConfigError(f"{path}: unknown key '{key}' (known: {', '.join(sorted(known))})")
    families = dict(DEFAULT_FAMILIES)
    families_raw = raw.get("families", {})
    _expect(path, "families", families_raw, dict)
    for name, spec in families_raw.items():
        families[name] = _parse_family(path, name, spec, families.get(name))
    watch = raw.get("watch", list(DEFAULT_FAMILIES))
    _expect(path, "watch", watch, list)
    if not watch:
        raise ConfigError(f"{path}: key 'watch': name at least one family")
    for i, name in enumerate(watch):
        if name not in families:
            raise ConfigError(
                f"{path}: key 'watch[{i}]': unknown family '{name}' "
                f"(known: {', '.join(families)}; define new ones under [families.NAME])"
            )
    sections = {name: _parse_section(path, name, raw.get(name, {}), cls) for name, cls in _SECTIONS.items()}
    config = Config(path=path, watch=tuple(watch), families=families, **sections)
    _check_values(config)
    return config


def _parse_family(path: Path, name: str, spec: object, default: Family | None) -> Family:
    _expect(path, f"families.{name}", spec, dict)
    fields = {f.name for f in dataclasses.fields(Family)} - {"name"}
    for key in spec:
        if key not in fields:
            raise ConfigError(f"{path}: unknown key 'families.{name}.{key}' (known: {', '.join(sorted(fields))})")
    if default is None and "orgs" not in spec:
        raise ConfigError(f"{path}: key 'families.{name}.orgs' is required for a new family")
    values = dataclasses.asdict(default) if default else {"name": name}
    for key, value in spec.items():
        expected = list if key == "orgs" else str
        _expect(path, f"families.{name}.{key}", value, expected)
        values[key] = tuple(value) if key == "orgs" else value
    for key in ("repo_match", "generation"):
        try:
            compiled = re.compile(values.get(key, ""))
        except re.error as err:
            raise ConfigError(f"{path}: key 'families.{name}.{key}': bad regex: {err}") from None
        if key == "generation" and values.get(key) and "generation" not in compiled.groupindex:
            raise ConfigError(f"{path}: key 'families.{name}.generation': regex needs a (?P<generation>...) group")
    return Family(**values)


# Keys older configs may still carry: read, ignored with a warning, so an upgrade never breaks a config.
RETIRED_KEYS = {
    "analysis.memory_overhead_fraction": "memory figures now come from [fits] (real bits per weight, the KV cache "
                                         "and fits.runtime_overhead_gb); remove the line",
}


def _parse_section(path: Path, section: str, raw: object, cls: type) -> object:
    _expect(path, section, raw, dict)
    hints = typing.get_type_hints(cls, include_extras=True)
    known = {f.name for f in dataclasses.fields(cls)}
    values = {}
    for key, value in raw.items():
        if f"{section}.{key}" in RETIRED_KEYS:
            logging.getLogger(__name__).warning("%s: key '%s.%s' is no longer used: %s", path, section, key,
                                                RETIRED_KEYS[f"{section}.{key}"])
            continue
        if key not in known:
            raise ConfigError(f"{path}: unknown key '{section}.{key}' (known: {', '.join(sorted(known))})")
        values[key] = _validate(path, f"{section}.{key}", value, hints[key])
    return cls(**values)


# pydantic's error types, said as the rest of the config errors say them
_EXPECTED = {"int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
             "string_type": "a string", "tuple_type": "a list", "date_type": "a date like 2026-03-04"}


def _validate(path: Path, key: str, value: object, hint: object) -> object:
    """One value against its field's type and range, strictly (no "3" for 3, no 1 for true)."""
    if isinstance(value, list):  # TOML arrays are the dataclasses' tuples
        value = tuple(value)
    if hint is date and isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            pass
    accepted, checked = _plainly_valid(value, hint)
    if accepted:
        return checked
    from pydantic import (  # the judge of everything else, and its wording
        TypeAdapter,
        ValidationError,
    )

    try:
        return TypeAdapter(_pydantic_hint(hint)).validate_python(value, strict=True)
    except ValidationError as err:
        first = err.errors()[0]
        where = key + "".join(f"[{part}]" for part in first["loc"])
        got = first["input"]
        shown = repr(got) if len(repr(got)) <= 60 else repr(got)[:57] + "..."
        if first["type"] in _EXPECTED:
            raise ConfigError(f"{path}: key '{where}': expected {_EXPECTED[first['type']]}, "
                              f"got {type(got).__name__} {shown}") from None
        what = first["msg"].replace("Input should be", "must be").replace("String should have", "must have")
        raise ConfigError(f"{path}: key '{where}': {what}, got {shown}") from None


_WITHIN = {"gt": lambda v, b: v > b, "ge": lambda v, b: v >= b, "lt": lambda v, b: v < b, "le": lambda v, b: v <= b,
           "min_length": lambda v, b: len(v) >= b}


def _plainly_valid(value: object, hint: object) -> tuple[bool, object]:
    """(True, the value as pydantic's strict mode returns it) when the value is certainly valid;
    (False, _) leaves the verdict, and the wording of any error, to pydantic."""
    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *checks = typing.get_args(hint)
        accepted, value = _plainly_valid(value, base)
        return accepted and all(isinstance(c, Check) and all(key in _WITHIN and _WITHIN[key](value, bound)
                                                             for key, bound in c.bounds.items())
                                for c in checks), value
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) != 2 or args[1] is not Ellipsis or not isinstance(value, tuple):
            return False, value
        items = [_plainly_valid(item, args[0]) for item in value]
        return all(ok for ok, _ in items), tuple(item for _, item in items)
    if hint is float:
        return type(value) in (int, float) and math.isfinite(value), float(value) if type(value) in (int, float) else value
    return hint in (bool, int, str, date) and type(value) is hint, value


def _pydantic_hint(hint: object) -> object:
    """The hint with each Check as pydantic's Field."""
    from pydantic import Field

    origin = typing.get_origin(hint)
    if origin is Annotated:
        base, *checks = typing.get_args(hint)
        metadata = [Field(**c.bounds) if isinstance(c, Check) else c for c in checks]
        return Annotated[(_pydantic_hint(base), *metadata)]
    if origin is tuple:
        return tuple[tuple(_pydantic_hint(arg) if arg is not Ellipsis else arg for arg in typing.get_args(hint))]
    return hint


def _expect(path: Path, key: str, value: object, expected: type) -> None:
    ok = isinstance(value, expected) and not (isinstance(value, bool) and expected in (int, float))
    if not ok:
        raise ConfigError(f"{path}: key '{key}': expected {_type_name(expected)}, got {type(value).__name__} {value!r}")


def _type_name(expected: type) -> str:
    return {str: "a string", int: "an integer", float: "a number", bool: "true or false",
            list: "a list", dict: "a table"}.get(expected, expected.__name__)


def _check_values(config: Config) -> None:
    for key in ("budgets_gb", "contexts"):
        if not getattr(config.fits, key):
            raise ConfigError(f"{config.path}: key 'fits.{key}': name at least one value")
    bounds = [getattr(config.size_classes, n) for n in ("tiny", "small", "medium", "large")]
    if bounds != sorted(bounds):
        raise ConfigError(f"{config.path}: key 'size_classes': bounds must grow tiny < small < medium < large")
    if config.storage.counters_keep_every not in ("week", "month"):
        raise ConfigError(f"{config.path}: key 'storage.counters_keep_every': expected week or month, "
                          f"got {config.storage.counters_keep_every!r}")
    if config.mail.security not in ("plain", "starttls", "tls"):
        raise ConfigError(f"{config.path}: key 'mail.security': expected plain, starttls or tls, got {config.mail.security!r}")
    if config.mail.enabled and not config.mail.recipients:
        raise ConfigError(f"{config.path}: key 'mail.recipients': mail is enabled but no recipient is set")
    for i, address in enumerate((config.mail.sender, *config.mail.recipients)):
        if "@" not in parseaddr(address)[1]:
            key = "mail.sender" if i == 0 else f"mail.recipients[{i - 1}]"
            raise ConfigError(f"{config.path}: key '{key}': expected a mail address like a@example.org, got {address!r}")
    if config.mail.report_url and not re.match(r"https?://[^/\s]+", config.mail.report_url):
        raise ConfigError(f"{config.path}: key 'mail.report_url': expected an http(s) URL like "
                          f"https://example.org/reports, got {config.mail.report_url!r}")
    if config.site.base_url and not re.match(r"https?://[^/\s]+", config.site.base_url):
        raise ConfigError(f"{config.path}: key 'site.base_url': expected an http(s) URL like "
                          f"https://example.org/lineupwatch/, got {config.site.base_url!r}")
    if config.mail.domain and not re.fullmatch(r"[A-Za-z0-9.-]+", config.mail.domain):
        raise ConfigError(f"{config.path}: key 'mail.domain': expected a domain like example.org, got {config.mail.domain!r}")
    from .webhooks import check_webhook_urls  # apprise knows which URLs it can use

    for i, problem in check_webhook_urls(config.webhooks.urls):
        raise ConfigError(f"{config.path}: key 'webhooks.urls[{i}]': {problem}")
    try:
        ZoneInfo(config.schedule.timezone)
    except (LookupError, ValueError):
        raise ConfigError(f"{config.path}: key 'schedule.timezone': unknown time zone {config.schedule.timezone!r} "
                          "(an IANA name like UTC or Europe/Berlin)") from None
    from .cron import parse_cron  # the one parser of cron expressions

    try:
        parse_cron(config.schedule.run_cron, config.schedule.timezone)
    except ValueError as err:
        raise ConfigError(f"{config.path}: key 'schedule.run_cron': {err}") from None
