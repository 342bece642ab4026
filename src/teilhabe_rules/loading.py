"""From a rule file to its checked model: read, parse, merge a variant, check — or take it from
the cache.

Takes: a rule file's path or text. Gives: its :class:`~teilhabe_rules.ir.checked.CheckedModel`
(:func:`check_file`, :func:`check_text`), or the library's located errors. A file is read
through :mod:`teilhabe_rules.files`; a variant (``erweitert "…"``) is merged with its base
(:mod:`teilhabe_rules.check.variants`); a file's checked model is kept in the cache
(:mod:`teilhabe_rules.cache`), keyed by its text and those of its bases. Compiling and
evaluating are :mod:`teilhabe_rules.model`'s.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import attrs

from . import cache
from .errors import CheckError, Diagnostic, Location, RuleSyntaxError
from .files import MAX_RULE_BYTES, FileRefused, read_text
from .ir import checked as c

__all__ = ["check_file", "check_text"]

# The parser (lark), the builder and the checker are imported where text must be checked, not on
# import: a model taken from the cache needs none of them.


def check_text(text: str, filename: str = "<modell>", *, search_path: Sequence[str | Path] = ()) -> c.CheckedModel:
    """The checked model of rule-file text (not cached: there is no file to key it by)."""
    if _is_variant(text):
        return _check_variant(text, filename, (), search_path)
    return _check_module(text, filename)


def check_file(path: str | Path, *, search_path: Sequence[str | Path] = ()) -> c.CheckedModel:
    """The checked model of a rule file, from the cache where it holds one."""
    path = Path(path)
    try:
        text = read_text(path, MAX_RULE_BYTES)
    except FileRefused as exc:
        raise RuleSyntaxError(Diagnostic(f"Die Regeldatei „{path}“ {exc.reason}",
                                         Location(str(path), exc.line, exc.column), hint=exc.hint,
                                         source_line=exc.source_line)) from None
    if _is_variant(text):
        from .check.variants import base_files

        # cached by its own text and those of its bases (read once, for the key and the
        # merge); a base that cannot be found is reported by the merge
        bases = base_files(text, str(path), search_path)
        depends = [(str(base), base_text) for base, base_text in bases or ()]
        checked = cache.lookup(text, str(path), depends) if bases is not None else None
        if checked is None:
            checked = _check_variant(text, str(path), bases or (), search_path)
            if bases is not None:
                cache.store(checked, text, str(path), depends)
        return checked
    checked = cache.lookup(text, str(path))
    if checked is None:
        checked = _check_module(text, str(path))
        cache.store(checked, text, str(path))
    return checked


def _check_variant(text: str, filename: str, bases: Sequence[tuple[Path, str]] = (),
                   search_path: Sequence[str | Path] = ()) -> c.CheckedModel:
    """A variant: merged with its base model (:mod:`teilhabe_rules.check.variants`), then checked."""
    from .check.checker import check_module
    from .check.variants import load_variant

    module, merge_warnings = load_variant(text, filename, bases, search_path)
    try:
        checked = check_module(module, text)
    except CheckError as exc:  # (the merge's errors first: they are the variant's own lines)
        raise CheckError(tuple(merge_warnings) + tuple(exc.diagnostics)) from None
    if any(d.is_error for d in merge_warnings):
        raise CheckError(tuple(merge_warnings) + tuple(checked.warnings))
    if merge_warnings:
        checked = attrs.evolve(checked, warnings=tuple(merge_warnings) + tuple(checked.warnings))
    return checked


def _is_variant(text: str) -> bool:
    """Whether ``text`` extends a base (``erweitert "…"``); without the word it cannot."""
    if "erweitert" not in text:
        return False
    from .check.variants import is_variant

    return is_variant(text)


def _check_module(text: str, filename: str) -> c.CheckedModel:
    """Parse and check a rule file that is no variant."""
    from .check.checker import check_module
    from .syntax.builder import parse_module

    return check_module(parse_module(text, filename), text)
