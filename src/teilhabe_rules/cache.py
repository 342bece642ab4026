"""A content-addressed cache of checked models (and of the built parser).

Takes: a rule file's text and name. Gives: the :class:`~teilhabe_rules.checked.CheckedModel` from
an earlier check of exactly the same text with exactly the same library and grammar, or None.
Parsing and checking a large model costs some 40 ms (more in the first load of a process); the
cache makes a repeated load cost a file read, a hash and an unpickle — as Python does with
``.pyc`` files.

Where: ``$TEILHABE_RULES_CACHE`` if set (``0``, ``aus`` or ``off`` switch the cache off), else
``$XDG_CACHE_HOME/teilhabe_rules``, else ``~/.cache/teilhabe_rules``. Never inside the installed
package. The key covers the library version, the grammar, the file name and the text (and, for a
variant, the names and texts of its base files), so an edit of any of them — or of the library's
own code — is a miss. Files are written atomically; a damaged or unreadable entry is ignored
and rewritten. Entries are pickles: the cache directory must be as trusted as the user's own
files.

The LALR parser itself is kept there too (``parser-<key>.pickle``, lark's own ``Lark.save``): lark's
grammar analysis takes a few hundred milliseconds per process, loading the saved parser about 15.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    import lark

from . import checked as c

__all__ = ["cache_dir", "lookup", "lookup_parser", "store", "store_parser"]

_OFF = {"0", "aus", "off", "false", "nein"}


def cache_dir() -> Path | None:
    """The cache directory, or None when the cache is switched off."""
    setting = os.environ.get("TEILHABE_RULES_CACHE")
    if setting is not None:
        if setting.strip().lower() in _OFF:
            return None
        return Path(setting)
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base) if base else Path.home() / ".cache") / "teilhabe_rules"


@functools.lru_cache(maxsize=1)
def _salt() -> bytes:
    from . import __version__
    from .parser import grammar_text

    digest = hashlib.sha256(f"{__version__}\0{pickle.HIGHEST_PROTOCOL}\0".encode() + grammar_text().encode())
    # the library's own code: a changed checker must never meet a model checked by the old one
    for source in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.digest()


Depends = Sequence[tuple[str, str]]


def _key(text: str, filename: str, depends: Depends = ()) -> str:
    digest = hashlib.sha256(_salt())
    for name, content in ((filename, text), *depends):
        digest.update(name.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(content.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def lookup(text: str, filename: str, depends: Depends = ()) -> c.CheckedModel | None:
    """The checked model of ``text`` from an earlier check, or None. ``depends`` are the other
    files (name and text) the model was built from: the bases of a variant."""
    folder = cache_dir()
    if folder is None:
        return None
    path = folder / f"{_key(text, filename, depends)}.pickle"
    try:
        with path.open("rb") as handle:
            model = pickle.load(handle)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None
    if not isinstance(model, c.CheckedModel) or model.source != text or model.info.file != filename:
        return None
    return model


def store(model: c.CheckedModel, text: str, filename: str, depends: Depends = ()) -> None:
    folder = cache_dir()
    if folder is None:
        return
    _write(folder, f"{_key(text, filename, depends)}.pickle", lambda handle: pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL))


def _write(folder: Path, name: str, dump: Callable[[IO[bytes]], object]) -> None:
    """Write an entry atomically (a reader sees the old entry, the new one or none)."""
    temporary: str | None = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False, suffix=".tmp") as handle:
            temporary = handle.name
            dump(handle)
        os.replace(temporary, folder / name)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return  # a cache that cannot be written is no error


def _parser_entry() -> str:
    """The parser's entry: the grammar and the library's code (the salt), lark, Python."""
    import sys

    import lark

    digest = hashlib.sha256(_salt())
    digest.update(f"lark {lark.__version__}\0python {sys.version_info[:2]}".encode())
    return f"parser-{digest.hexdigest()}.pickle"


def lookup_parser() -> lark.Lark | None:
    """The built LALR parser from an earlier process, or None."""
    import lark

    folder = cache_dir()
    if folder is None:
        return None
    try:
        with (folder / _parser_entry()).open("rb") as handle:
            parser = lark.Lark.load(handle)
    except Exception:  # a damaged, partial or foreign entry: build anew (and overwrite it)
        return None
    return parser if isinstance(parser, lark.Lark) else None


def store_parser(parser: lark.Lark) -> None:
    folder = cache_dir()
    if folder is None:
        return
    _write(folder, _parser_entry(), parser.save)
