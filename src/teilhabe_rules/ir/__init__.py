"""The checked model (the IR) and its toolkit: one way to walk, read and render it.

:mod:`teilhabe_rules.ir.toolkit` is what every consumer of the checked model uses — the checker,
the backends, explanations, ``diff``, the strategies, agreements and coverage — instead of
walking expressions on its own.
"""
