"""Analysis: the facts of a day -> the report's figures and verdicts (entries, waves, forecasts,
coverage, ecosystem, adoption, data health). Pure functions, except `ecosystem_day`, which reads
the stream facts the database knew on a day before analysing them.

May import: config, normalize, store, stream.
"""
