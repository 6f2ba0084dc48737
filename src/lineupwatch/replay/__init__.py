"""The replay Hub and its fixtures: a real HTTP server on 127.0.0.1 speaking the Hub's listing API,
the bundled Hub state and its timeline, and the SYNTHETIC stream generator. Used by the demo and
the tests; the product never needs it against the real Hub.

May import: config, normalize.
"""
