"""Fetch from the Hub: the paginated model listing with deadlines, retries and rate limits.

Owns HTTP to the Hub and nothing else: it yields the Hub's JSON as sent. May import: nothing of
lineupwatch (the stream and the polls build on it).
"""
