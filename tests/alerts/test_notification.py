"""Issue 19.2: one notification per run. The pure decision of what a channel owes, table-style,
and how a grouped notification reads (subject, order, a resolution under what ended it, ids)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from lineupwatch.alerts.mailer import compose, headline, text_body
from lineupwatch.alerts.notification import RULE_ORDER, Notice, group, to_send
from lineupwatch.config.settings import MailSettings


def change(notice_id: int, rule: str, subject: str, *, severity: str = "info", reason: str = "first",
           **labels: str) -> Notice:
    return Notice(notice_id, f"fp-{notice_id}", rule, "resolved" if reason == "resolved" else "firing", reason,
                  severity, subject, f"body of {subject}", (f"evidence of {subject}",), labels)


REFUTED = change(1, "verdict_changed", "Qwen small-models forecast: refuted", reason="changed",
                 family="Qwen", forecast="small-models")
WAVE = change(2, "new_generation", "Qwen release wave Qwen4: 72B, 27B, 4B", family="Qwen", wave_start="2026-12-07")
GAP_ENDED = change(3, "small_gap_over_p90", "resolved: Qwen: 280 days without a small model", reason="resolved",
                   family="Qwen", last_small="Qwen3.5 · LM · 2B")
LICENCE = change(4, "licence_or_gating", "Qwen/Qwen3-8B: licence apache-2.0 -> other", severity="warning",
                 repo="Qwen/Qwen3-8B", kind="licence_changed", new="other")
FAILING = change(5, "monitor_health", "lineupwatch: the last 3 polls failed", severity="critical", check="failing")
GEMMA_WAVE = change(6, "new_generation", "Gemma release wave gemma-5: 12B", family="Gemma", wave_start="2026-12-07")
OPEN_WEIGHTS = change(7, "verdict_changed", "Qwen open-weights forecast: open", reason="changed",
                      family="Qwen", forecast="open-weights")
SHARE_ENDED = change(8, "small_share_drop", "resolved: Qwen: small models are 0% of recent releases",
                     reason="resolved", family="Qwen")


def shape(notifications: list) -> list[list[tuple[int, tuple[int, ...]]]]:
    """Each notification as [(change id, ids of the resolutions shown under it), ...]."""
    return [[(item.notice.id, tuple(n.id for n in item.ended)) for item in n.items] for n in notifications]


@pytest.mark.parametrize("pending, taken, grouped, expected", [
    ([], set(), True, []),
    ([REFUTED, WAVE, GAP_ENDED], {1, 2, 3}, True, []),
    ([GAP_ENDED, WAVE, REFUTED], set(), True, [[(1, ()), (2, (3,))]]),
    ([LICENCE, REFUTED, WAVE, GAP_ENDED], set(), True, [[(4, ()), (1, ()), (2, (3,))]]),
    ([LICENCE, REFUTED, WAVE, GAP_ENDED], {4}, True, [[(1, ()), (2, (3,))]]),
    ([REFUTED, WAVE, GAP_ENDED], {1, 2}, True, [[(3, ())]]),
    ([REFUTED, GAP_ENDED], set(), True, [[(1, (3,))]]),
    ([OPEN_WEIGHTS, GAP_ENDED], set(), True, [[(7, ()), (3, ())]]),
    ([GEMMA_WAVE, GAP_ENDED], set(), True, [[(6, ()), (3, ())]]),
    ([SHARE_ENDED, GAP_ENDED, WAVE, REFUTED], set(), True, [[(1, ()), (2, (3, 8))]]),
    ([REFUTED, LICENCE, FAILING], set(), True, [[(5, ()), (4, ()), (1, ())]]),
    ([GAP_ENDED, WAVE, REFUTED], set(), False, [[(1, ())], [(2, ())], [(3, ())]]),
], ids=["nothing-pending", "all-taken-here-another-channel-still-owes-them", "one-run-one-notification",
        "earlier-miss-plus-new-warning-first", "what-another-channel-missed-is-not-resent-here",
        "resolution-whose-release-went-out-before-stands-alone", "resolution-under-the-verdict-without-a-release",
        "another-forecast-does-not-end-the-gap", "another-family-does-not-end-the-gap",
        "both-resolutions-under-the-release", "critical-then-warning-then-info", "grouping-off-one-per-change"])
def test_what_a_channel_owes(pending: list[Notice], taken: set[int], grouped: bool,
                             expected: list[list[tuple[int, tuple[int, ...]]]]) -> None:
    assert shape(to_send(pending, taken, grouped)) == expected


def test_the_subject_names_the_most_important_change_and_how_many_more() -> None:
    notification = group([GAP_ENDED, WAVE, REFUTED])
    assert notification.subject == "Qwen small-models forecast: refuted (+2 more)"
    assert group([WAVE]).subject == WAVE.subject
    long = group([change(9, "repos_removed", "Qwen/" + "x" * 300 + " was removed from the Hub", severity="warning",
                         repo="Qwen/x"), WAVE, REFUTED])
    assert headline(long).endswith("… (+2 more)") and len(headline(long)) == 180


def test_the_body_lists_every_change_most_important_first_and_a_resolution_under_what_ended_it() -> None:
    text = text_body(group([GAP_ENDED, WAVE, REFUTED]), "https://watch.example.org/r/2026-W49.html")
    assert text == """3 changes, most important first.

Qwen small-models forecast: refuted
[info, changed]
body of Qwen small-models forecast: refuted
  - evidence of Qwen small-models forecast: refuted

Qwen release wave Qwen4: 72B, 27B, 4B
[info, first]
body of Qwen release wave Qwen4: 72B, 27B, 4B
  - evidence of Qwen release wave Qwen4: 72B, 27B, 4B
  This ended:
    resolved: Qwen: 280 days without a small model
    [info, resolved]
    body of resolved: Qwen: 280 days without a small model
      - evidence of resolved: Qwen: 280 days without a small model

The weekly report: https://watch.example.org/r/2026-W49.html
"""


def test_a_grouped_mail_is_identified_by_the_changes_it_carries_and_starts_its_own_thread() -> None:
    settings = MailSettings(enabled=True, sender="watch@example.org", recipients=("a@example.org",))
    mail = compose(group([REFUTED, WAVE, GAP_ENDED]), settings, None)
    assert mail["Message-ID"] == compose(group([GAP_ENDED, REFUTED, WAVE]), settings, None)["Message-ID"]
    assert mail["Message-ID"] != compose(group([REFUTED, WAVE]), settings, None)["Message-ID"]
    # The same condition resolving a second time (it fired again in between) is another change.
    assert (compose(group([GAP_ENDED]), settings, None)["Message-ID"]
            != compose(group([replace(GAP_ENDED, id=10)]), settings, None)["Message-ID"])
    assert mail["Message-ID"].endswith(".lineupwatch@example.org>")
    assert mail["In-Reply-To"] is None and mail["References"] is None
    html = mail.get_body(("html",)).get_content()
    assert html.index("refuted") < html.index("Qwen4") < html.index("This ended:") < html.index("280 days")


def test_the_rule_order_is_the_order_the_docs_list_the_rules_in() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "alerts.md").read_text(encoding="utf-8")
    assert ["welcome", *re.findall(r"^## (\S+)$", docs, re.MULTILINE)] == list(RULE_ORDER)
