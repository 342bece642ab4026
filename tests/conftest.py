"""Shared pytest settings: fixture files are data, not test modules or models to run."""

collect_ignore = ["fixtures"]
