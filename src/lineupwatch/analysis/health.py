"""Data health for what the real Hub does not say: orgs the polls cannot list (stale, and since
when), repos without a readable createdAt, repos whose line nothing decided. Pure: facts in, report fields out.

A verdict that rests on a stale org says so in its evidence: the family's repos are as last
listed, so a release since then would be missed.
"""

from __future__ import annotations

import dataclasses

from ..config.settings import Config
from ..store.facts import Facts, OrgState
from .forecasts import ForecastResult


def stale_orgs(facts: Facts, config: Config) -> dict[str, OrgState]:
    """Watched orgs whose latest stored poll could not list them: their repos are as last seen."""
    watched = {org for family in config.watched for org in family.orgs}
    return {org: state for org, state in facts.orgs.items() if org in watched and state.stale}


def _stale_line(state: OrgState) -> str:
    since = state.last_ok[:10] if state.last_ok else "never listed"
    return (f"org {state.org} is stale: its listing failed in the last {state.failed_polls} poll(s) since "
            f"{(state.failing_since or '')[:10]}; last complete listing: {since} ({state.reason})")


def with_stale_orgs(result: ForecastResult, facts: Facts, config: Config) -> ForecastResult:
    """A verdict that rests on an org the polls cannot list says so in its evidence."""
    orgs = config.families[result.family].orgs if result.family in config.families else ()
    stale = [state for org, state in stale_orgs(facts, config).items() if org in orgs]
    if not stale:
        return result
    lines = [f"rests on stale data: {_stale_line(state)}" for state in stale]
    return dataclasses.replace(result, evidence=[*result.evidence, *lines])


def hub_health(facts: Facts, config: Config) -> dict:
    """What the Hub did not say: stale orgs (and since when), repos without a createdAt that is a
    date-time (dated by the poll that saw them), repos whose line nothing decided; with a note for each."""
    stale = stale_orgs(facts, config)
    watched = [r for r in facts.repos if r.family in config.watch]
    undated = [r.repo_id for r in watched if r.undated]
    guessed = [r.repo_id for r in watched if r.line_source == "default" and not r.quantized]
    notes = [_stale_line(state) for state in stale.values()]
    if undated:
        notes.append(f"{len(undated)} repo(s) came without a readable createdAt (none, or no date-time) and are "
                     "dated by the poll that first saw them: "
                     + ", ".join(undated))
    if guessed:
        notes.append(f"{len(guessed)} repo(s) name no task, tag or library: filed as LM by default: " + ", ".join(guessed))
    return {"stale_orgs": [{"org": s.org, "failed_polls": s.failed_polls, "failing_since": s.failing_since,
                            "last_complete_listing": s.last_ok, "reason": s.reason} for s in stale.values()],
            "undated_repos": undated, "line_by_default": guessed, "notes": notes}
