"""Extraction: an HTML page to clean article text and its metadata (`pipeline.extract.article`).

Pure and free of I/O: pruning (`prune`), line cleaning (`clean`) and the per-site learned
boilerplate's line keys (`boilerplate`) all work on what they are given.
"""
