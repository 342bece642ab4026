"""The syntax wing: rule text → parse tree → AST (frozen attrs nodes with spans)."""
