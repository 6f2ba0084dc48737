"""Issue 14.1: publishing. site.base_url makes every link absolute (pages, Markdown, feed, mail);
every page has og: tags and feed autodiscovery; `report --format forum` is a paste-ready post."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import mail_config, run_cli, write_config

from lineupwatch.replay.server import ReplayHub
from lineupwatch.report.render import FORUM_LIMIT, write_forum

BASE = "https://watch.example.org/lw/"
SITE = f'[site]\nbase_url = "{BASE}"'
ATOM = "{http://www.w3.org/2005/Atom}"


def _hrefs(html: str) -> list[str]:
    return re.findall(r'\b(?:href|src)="([^"]*)"', html)


def _meta(html: str, prop: str) -> str | None:
    match = re.search(rf'<meta property="{prop}" content="([^"]*)">', html)
    return match.group(1) if match else None


def test_with_a_base_url_every_link_is_absolute(tmp_path: Path, hub: ReplayHub, smtp) -> None:
    sink, port = smtp
    config_path = write_config(tmp_path, hub.url, SITE + "\n" + mail_config(port))
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22")
    out = tmp_path / "reports"
    page, index = (out / "2026-W47.html").read_text(), (out / "index.html").read_text()
    for html in (page, index):
        assert all(h.startswith(("https://", "#")) for h in _hrefs(html)), [h for h in _hrefs(html) if "//" not in h]
        assert f'<link rel="alternate" type="application/atom+xml" title="lineupwatch weekly reports" href="{BASE}feed.xml">' in html
        assert _meta(html, "og:title") and _meta(html, "og:description") and _meta(html, "og:site_name") == "lineupwatch"
    assert _meta(page, "og:url") == f"{BASE}2026-W47.html" and _meta(index, "og:url") == f"{BASE}index.html"
    assert _meta(page, "og:image") == f"{BASE}2026-W47-releases.png" and (out / "2026-W47-releases.png").is_file()
    assert f'href="{BASE}2026-W47.html"' in index and f'href="{BASE}2026-W47.json"' in page

    markdown = (out / "2026-W47.md").read_text()
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown)
    assert images == [f"{BASE}2026-W47-releases.png", f"{BASE}2026-W47-adoption.png", f"{BASE}2026-W47-ecosystem.png",
                      f"{BASE}2026-W47-resilience.png"]

    feed = ET.parse(out / "feed.xml").getroot()
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert links == [f"{BASE}index.html", f"{BASE}feed.xml", f"{BASE}2026-W47.html"]
    content = feed.find(f"{ATOM}entry/{ATOM}content").text
    assert f'<a href="{BASE}2026-W47.html">' in content

    run_cli("alerts", "--config", str(config_path))  # no mail.report_url: the site's base URL is the link
    assert f"The weekly report: {BASE}2026-W47.html" in sink.messages[0][1].get_body(("plain",)).get_content()


def test_without_a_base_url_links_stay_relative_and_pages_still_have_previews(config_path: Path,
                                                                              tmp_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22")
    page = (tmp_path / "reports" / "2026-W47.html").read_text()
    assert 'href="index.html"' in page and 'href="feed.xml"' in page
    assert _meta(page, "og:title").startswith("lineupwatch 2026-W47") and _meta(page, "og:url") is None
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert "](2026-W47-releases.png)" in (tmp_path / "reports" / "2026-W47.md").read_text()


def test_forum_post_is_short_plain_markdown_with_absolute_urls(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, SITE)
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-15")  # the previous week, to compare
    result = run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22", "--format", "forum")
    post_path = tmp_path / "reports" / "2026-W47.forum.md"
    assert result.output == f"wrote {post_path} ({len(post_path.read_text(encoding='utf-8')):,} characters)\n"
    post = post_path.read_text(encoding="utf-8")
    assert len(post) < FORUM_LIMIT
    assert not re.search(r"<\s*[A-Za-z!/]", post), "no raw HTML"
    urls = re.findall(r"\]\(([^)]+)\)", post)
    assert urls and all(url.startswith("https://") for url in urls)
    assert f"![Qwen: new lineup entries per quarter, by size class]({BASE}2026-W47-releases.png)" in post
    assert "**Changed since last week**" in post and "Compared" not in post
    assert "**What fits your machine**" in post and "- **8 GB**: " in post  # the budget picks
    assert not (tmp_path / "reports" / "2026-W47.html").exists()  # only the post and its charts


def test_forum_post_without_a_base_url_is_refused_and_writes_nothing(config_path: Path, tmp_path: Path) -> None:
    run_cli("poll", "--config", str(config_path))
    result = run_cli("report", "--config", str(config_path), "--format", "forum", ok=False)
    assert result.exit_code == 2
    assert result.output == (f"Error: {config_path}: key 'site.base_url' is empty: a forum post needs absolute "
                             "image URLs; set it to where the reports directory is published\n")
    assert not (tmp_path / "reports").exists()
    both = run_cli("report", "--config", str(config_path), "--format", "forum", "--since-baseline", ok=False)
    assert both.exit_code == 2 and both.output.endswith(
        "Error: --format forum writes one week's post; it cannot be combined with --since-baseline\n")


def test_a_long_week_is_cut_to_fit_a_reddit_comment(tmp_path: Path) -> None:
    # SYNTHETIC: 400 made-up entries in one week
    entries = [{"family": "Qwen", "entry": f"Qwen9 · LM · {i}B", "size_class": "small", "released": "2026-11-20",
                "license": "apache-2.0"} for i in range(400)]
    previous = {"week": "2026-W46", "forecasts": [], "entries_since_baseline": []}
    (tmp_path / "2026-W46.json").write_text(json.dumps(previous))
    report = {"schema": 1, "week": "2026-W47", "as_of": "2026-11-22", "baseline_date": "2026-03-04",
              "forecasts": [{"id": "small-models", "family": "Qwen", "verdict": "refuted", "summary": "x " * 300}],
              "entries_since_baseline": entries}
    post = write_forum(report, tmp_path, BASE)["forum"].read_text(encoding="utf-8")
    assert len(post) < FORUM_LIMIT
    assert "- New entries: Qwen9 · LM · 0B" in post and "more in the full report" in post


def test_markup_from_the_hub_stays_text_in_the_forum_post(tmp_path: Path) -> None:
    from conftest import bundled_models
    from synthetic import model

    # SYNTHETIC: a new small Qwen repo whose licence carries HTML and Markdown, as an uploader could type it
    sneaky = model("Qwen/Qwen3.9-4B", "2026-11-20", params_b=4.0, licence="x")
    sneaky["cardData"]["license"] = "<details><summary>x</summary>](http://evil.example)"
    with ReplayHub(bundled_models() + [sneaky], page_size=200) as hub:
        config_path = write_config(tmp_path, hub.url, SITE)
        run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22", "--format", "forum")
    post = (tmp_path / "reports" / "2026-W47.forum.md").read_text(encoding="utf-8")
    assert "Qwen3.9 · LM · 4B" in post and "&lt;details&gt;" in post
    assert not re.search(r"<\s*[A-Za-z!/]", post)
    assert "\\](http://evil.example)" in post and not re.search(r"(?<!\\)\]\(http://evil", post)  # no link made


def test_the_previous_week_is_read_from_the_first_directory_that_has_it(tmp_path: Path) -> None:
    from lineupwatch.report.changes import load_previous

    reports, forum = tmp_path / "reports", tmp_path / "forum"
    reports.mkdir()
    forum.mkdir()
    (reports / "2026-W46.json").write_text(json.dumps({"week": "2026-W46", "forecasts": []}))
    assert load_previous(forum, "2026-W47") is None
    assert load_previous(forum, "2026-W47", reports) == {"week": "2026-W46", "forecasts": []}
    (forum / "2026-W46.json").write_text("{not json")  # damaged here: the next directory answers
    assert load_previous(forum, "2026-W47", reports)["week"] == "2026-W46"


def test_a_forum_post_written_elsewhere_compares_with_the_reports_directory(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, SITE)
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-15")  # W46 in storage.reports_dir
    elsewhere = tmp_path / "forum"
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22", "--format", "forum",
            "--out", str(elsewhere))
    post = (elsewhere / "2026-W47.forum.md").read_text(encoding="utf-8")
    assert "No report of the previous week" not in post and "**Changed since last week** (2026-W46)" in post


def test_without_the_previous_week_the_post_names_the_week_it_looked_for(tmp_path: Path, hub: ReplayHub) -> None:
    config_path = write_config(tmp_path, hub.url, SITE)
    run_cli("poll", "--config", str(config_path))
    run_cli("report", "--config", str(config_path), "--as-of", "2026-11-22", "--format", "forum")
    post = (tmp_path / "reports" / "2026-W47.forum.md").read_text(encoding="utf-8")
    assert "No report of the previous week (2026-W46) to compare with." in post
