"""Shared pytest settings: fixture files are data, and the checked-model cache and its key live
in temporary directories, never in the user's cache and configuration.

The suite runs on the parser as a user's process mostly gets it: loaded from the cache (the
parser is built and stored once here). ``tests/test_cache.py`` and ``tests/test_parser.py``
cover the freshly built one."""

import os
import tempfile

collect_ignore = ["fixtures"]

os.environ["TEILHABE_RULES_CACHE"] = tempfile.mkdtemp(prefix="teilhabe-rules-cache-")
os.environ["TEILHABE_RULES_CACHE_KEY"] = os.path.join(tempfile.mkdtemp(prefix="teilhabe-rules-key-"), "schluessel")

from teilhabe_rules import cache, parser  # noqa: E402  (after the cache is pointed elsewhere)

cache.store_parser(parser.make_parser())
parser.make_parser.cache_clear()
assert cache.lookup_parser() is not None, "the parser cache works"
