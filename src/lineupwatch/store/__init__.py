"""Store: the SQLite file. Its schema and migrations, the raw archive of every listing, the derived
tables, and `facts`: what the database knew on a given day, the input of every analysis.

May import: config, normalize.
"""
