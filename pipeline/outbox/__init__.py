"""The outbox: pending alerts, digests and admin notices, built into messages and delivered.

`deliver` is the one loop (`pipeline.outbox.deliver`); `messages` builds an alert's message from
its rows; `digests` decides which digests are due and groups their articles.
"""
