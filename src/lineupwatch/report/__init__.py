"""The weekly report: facts -> report dict (`writer`), then Markdown, self-contained HTML, JSON,
charts, index and Atom feed.

May import: config, normalize, store, stream, analysis.
"""
