"""How many cases a hypothesis test of this suite generates: its budget under the ``ci`` profile,
scaled by the active profile (``tests/conftest.py``; ``HYPOTHESIS_PROFILE=gründlich`` runs ten
times as many).

A test writes ``@settings(max_examples=examples(150))`` instead of ``max_examples=150``: an
explicit ``max_examples`` would otherwise hold under every profile.
"""

from __future__ import annotations

from hypothesis import settings

CI_MAX_EXAMPLES = 100  # the ci profile's max_examples (hypothesis' own default)
THOROUGH_MAX_EXAMPLES = 1000  # the gründlich profile's


def examples(ci: int) -> int:
    """``ci`` under the ci profile; scaled like the active profile's ``max_examples`` otherwise."""
    return max(1, ci * settings().max_examples // CI_MAX_EXAMPLES)
