"""Ingest: a fetched page becomes a stored article, in two steps.

`analyse` (pure, CPU-bound, can run in a worker) extracts, matches and sketches; `commit` writes
the article, its mentions, its story and its pending alerts in one transaction. `session` holds
what one crawl pass knows and decides; `urls` makes one key per article.
"""
