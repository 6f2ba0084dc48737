"""The two jinja2 environments: HTML with autoescape, Markdown with its own escaping.

Every value a template prints comes from the Hub or from analysis of it, so both environments
escape by default and only helpers that build markup from escaped parts may return Markup.
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import ChainableUndefined, Environment, PackageLoader, Undefined
from markupsafe import Markup

from . import view

# Characters that Markdown (GFM) reads as syntax anywhere in a line (values never start a line,
# so `#`, `+`, `1.` cannot act); < > & become entities so raw HTML never reaches a renderer.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def md_escape(value: object) -> str:
    """Text safe inside a Markdown paragraph, list item or table cell (one line, no syntax)."""
    text = re.sub(r"\s+", " ", str(value))
    text = re.sub(r"[&<>]", lambda m: _MD_ENTITIES[m.group()], text)
    return _MD_SPECIAL.sub(r"\\\1", text)


def _finalize_html(value: object) -> object:
    """A null shows as a dash; a missing optional part of the dict as nothing, never a crash."""
    return "—" if value is None else value


def _finalize_md(value: object) -> str:
    """Markdown's autoescape: everything printed is escaped unless a helper marked it as markup."""
    if value is None:
        return "—"
    if isinstance(value, Undefined):
        return ""
    return str(value) if isinstance(value, Markup) else md_escape(value)


def _html_repo_link(repo_id: object) -> Markup:
    return Markup('<a href="{}">{}</a>').format(view.repo_url(str(repo_id)), repo_id)


def _md_repo_link(repo_id: object) -> Markup:
    url = view.repo_url(str(repo_id)).replace("(", "%28").replace(")", "%29")
    return Markup(f"[{md_escape(repo_id)}]({url})")


def _common(env: Environment) -> Environment:
    env.filters.update(number=view.number, verdict=view.verdict, entry_name=view.entry_name)
    env.globals.update(SIZE_CLASSES=view.SIZE_CLASSES)
    return env


@cache
def html_env() -> Environment:
    env = Environment(loader=PackageLoader("lineupwatch.report", "templates"), autoescape=True,
                      undefined=ChainableUndefined, finalize=_finalize_html, trim_blocks=True, lstrip_blocks=True)
    env.filters["repo_link"] = _html_repo_link
    return _common(env)


@cache
def markdown_env() -> Environment:
    env = Environment(loader=PackageLoader("lineupwatch.report", "templates"), autoescape=False,
                      undefined=ChainableUndefined, finalize=_finalize_md, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(repo_link=_md_repo_link, raw=Markup)  # raw: for paths this package made
    return _common(env)
