"""Browsing what was found: what `newswatch serve` adds to Datasette.

metadata.py (titles, canned queries, hidden tables), queries.py (the SQL behind each view),
search.py (one search box over the word and the CJK index), forms.py (entity, date range),
highlight.py and charts.py (pure rendering), hooks.py (the Datasette plugin), templates/.
"""
