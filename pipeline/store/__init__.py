"""The database: `pipeline.store.sqlite.Store` and its schema steps (`pipeline.store.migrations`)."""
