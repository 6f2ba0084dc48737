"""The config: TOML -> typed, validated settings (`settings`), and the validators of the values
it cannot check by type alone (`cron`, `webhooks`).

May import: nothing of lineupwatch; every other stage may import it.
"""
