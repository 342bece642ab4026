"""The library's version (one place; the cache key and compare summaries name it)."""

__version__ = "0.1.0"
