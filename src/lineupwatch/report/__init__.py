"""Renderers of the weekly report dict: Markdown, self-contained HTML, JSON, charts, index and Atom feed."""
