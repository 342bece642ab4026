"""Shared pytest settings: fixture files are data, and the checked-model cache and its key live
in temporary directories, never in the user's cache and configuration.

The suite runs on the parser as a user's process mostly gets it: loaded from the cache (the
parser is built and stored once here). ``tests/check/test_cache.py`` and ``tests/syntax/test_parser.py``
cover the freshly built one.

Hypothesis runs with the profile named by ``HYPOTHESIS_PROFILE``: ``ci`` (the default) is
derandomised — the same cases on every run, no example database, no deadline, a failure prints
its reproduction blob; ``gründlich`` (or ``gruendlich``) generates ten times as many cases at
random and keeps failing ones in ``.hypothesis/`` for the next run (docs/05_testing.md)."""

import atexit
import os
import shutil
import tempfile

from hypothesis import settings
from hypothesis_budget import CI_MAX_EXAMPLES, THOROUGH_MAX_EXAMPLES

# both derive from hypothesis' own default profile, whatever profile hypothesis chose on import
_DEFAULT = settings.get_profile("default")
settings.register_profile("ci", parent=_DEFAULT, max_examples=CI_MAX_EXAMPLES, derandomize=True, deadline=None,
                          print_blob=True)
for _name in ("gründlich", "gruendlich"):
    settings.register_profile(_name, parent=_DEFAULT, max_examples=THOROUGH_MAX_EXAMPLES, derandomize=False,
                              deadline=None, print_blob=True)
_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
if _PROFILE not in ("ci", "gründlich", "gruendlich"):
    raise ValueError(f"HYPOTHESIS_PROFILE={_PROFILE!r}: known profiles are ci (default) and gründlich")
settings.load_profile(_PROFILE)

collect_ignore = ["fixtures"]

_CACHE = tempfile.mkdtemp(prefix="teilhabe-rules-cache-")
_KEY = tempfile.mkdtemp(prefix="teilhabe-rules-key-")
os.environ["TEILHABE_RULES_CACHE"] = _CACHE
os.environ["TEILHABE_RULES_CACHE_KEY"] = os.path.join(_KEY, "schluessel")
for _folder in (_CACHE, _KEY):  # each process (every xdist worker too) removes the folders it made
    atexit.register(shutil.rmtree, _folder, ignore_errors=True)

# imported after the cache is pointed elsewhere
from teilhabe_rules import cache  # noqa: E402
from teilhabe_rules.syntax import parser  # noqa: E402

cache.store_parser(parser.make_parser())
parser.make_parser.cache_clear()
assert cache.lookup_parser() is not None, "the parser cache works"
