"""Webhook URLs: which ones Apprise can use, checked when the config is read; nothing is sent."""

from __future__ import annotations

from collections.abc import Iterator


def check_webhook_urls(urls: tuple[str, ...]) -> Iterator[tuple[int, str]]:
    """(index, problem) for every URL Apprise cannot use; nothing is sent."""
    if not urls:
        return
    import apprise

    for i, url in enumerate(urls):
        if apprise.Apprise.instantiate(url) is None:
            scheme = url.split("://", 1)[0] if "://" in url else url[:20]
            yield i, (f"Apprise cannot use this URL (scheme {scheme!r}); see "
                      "https://github.com/caronc/apprise/wiki for discord://, slack://, matrix://, ntfy://, json://")
