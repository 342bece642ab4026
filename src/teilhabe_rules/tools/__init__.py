"""The tools built on the public contracts: diff, compare, strategies, properties, coverage, conversions,
the examples runner and the pytest plugin."""
