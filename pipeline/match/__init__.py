"""Matching: text folding, the compiled watchlist, the rule query language, alert rules, stories.

Pure and free of I/O: nothing here reads the database or knows Scrapy (tests/test_layout.py).
Import the modules themselves (`pipeline.match.watchlist`); this package imports nothing, so that
`alerts/` can use text folding without loading the matcher.
"""
