"""The ecosystem block of a day: the stream facts the database knew, then their analysis.

Shared by the weekly report and the alert rules, so both judge the same numbers.
"""

from __future__ import annotations

from sqlite_utils import Database

from ..config.settings import Config
from ..store.facts import Facts
from ..stream.facts import downloads_on, load_ecosystem, ok_poll_days
from .adoption import adoption_scores, wanted_downloads
from .ecosystem import counted_pipelines, ecosystem_block, first_week, new_generations
from .entries import Entry
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
    if not adoption:
        return block
    poll_days = ok_poll_days(db, facts.as_of)
    entries = watched_entries(facts, config) if entries is None else entries
    ages = settings.adoption_days
    downloads = downloads_on(db, wanted_downloads(entries, poll_days, ages, facts.as_of))
    block["adoption"] = adoption_scores(entries, downloads, poll_days, ages, settings.adoption_rank,
                                        facts.as_of, settings.baseline_date)
    return block
