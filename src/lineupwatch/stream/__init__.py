"""The Hub-wide stream of new repos: fetch it page by page, reduce each repo to a compact record,
store it, and read back what was known on a day (`facts`), for the ecosystem analysis.

May import: config, hub, normalize, store.
"""
