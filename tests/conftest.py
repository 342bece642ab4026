"""Shared pytest settings: fixture files are data, and the checked-model cache lives in a
temporary directory, never in the user's cache."""

import os
import tempfile

collect_ignore = ["fixtures"]

os.environ["TEILHABE_RULES_CACHE"] = tempfile.mkdtemp(prefix="teilhabe-rules-cache-")
