"""The check wing: AST → checked model (names, units, coverage of corridors and tables, examples)."""
