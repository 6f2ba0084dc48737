"""The ecosystem block of a day: the stream facts the database knew, then their analysis.

Shared by the weekly report and the alert rules, so both judge the same numbers.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

from ..config.settings import Config
from ..store.facts import Facts
from ..stream.facts import downloads_on, load_ecosystem, load_resilience, ok_poll_days, quantized_copies
from .adoption import adoption_scores, wanted_downloads
from .ecosystem import counted_pipelines, ecosystem_block, first_week, new_generations
from .entries import Entry
from .resilience import resilience_block
from .weekly import watched_entries


def ecosystem_of(db: Database, config: Config, facts: Facts, adoption: bool = True,
                 entries: list[Entry] | None = None) -> dict:
    """The report's `ecosystem` block: the stream as the database knew it on the facts' day, and the
    adoption score of each entry since the baseline from the project's own poll history (the alert
    rules do without it: it reads past polls' download figures). `entries`: the watched entries of
    these facts, when the caller has built them."""
    gens = new_generations(facts.repos, config)
    settings = config.analysis
    stream = load_ecosystem(db, facts.as_of, first_week(config), small_b=config.size_classes.small,
                            since=settings.baseline_date, pipelines=counted_pipelines(config),
                            min_downloads=settings.filler_min_downloads,
                            named_after=sorted({g for generations in gens.values() for g in generations}),
                            top_other=settings.ecosystem_top_other)
    block = ecosystem_block(stream, config, gens)
    entries = watched_entries(facts, config) if entries is None else entries
    # the resilience index rides with the ecosystem block (the alert rules read both); the report
    # lifts it to its own top-level `resilience` block
    # (the rules read the weeks since the baseline only: without adoption, the alerts' call, the
    # index starts at the baseline week instead of `resilience_since`)
    block["resilience"] = resilience_of(db, config, facts, entries, synthetic=bool(stream.runs.get("synthetic")),
                                        since=None if adoption else config.analysis.baseline_date)
    if not adoption:
        return block
    poll_days = ok_poll_days(db, facts.as_of)
    ages = settings.adoption_days
    downloads = downloads_on(db, wanted_downloads(entries, poll_days, ages, facts.as_of))
    block["adoption"] = adoption_scores(entries, downloads, poll_days, ages, settings.adoption_rank,
                                        facts.as_of, settings.baseline_date)
    # what fits your machine names these as where to get a model; the report lifts them out of the
    # ecosystem block into its `fits` block (analysis/fits.py)
    block["community_builds"] = quantized_copies(db, facts.as_of, config.fits.community_builds)
    return block


def resilience_of(db: Database, config: Config, facts: Facts, entries: list[Entry], synthetic: bool = False,
                  since: date | None = None) -> dict:
    """The `resilience` block of a day: weekly since `since` (default `resilience_since`), from the
    stream's stored counts; `synthetic`: the stored stream runs' labels say its figures are made up,
    and the block says so."""
    since = since or config.analysis.resilience_since
    start = since - timedelta(days=since.weekday())
    return resilience_block(load_resilience(db, facts.as_of, start), config, facts.repos, entries, synthetic=synthetic)
