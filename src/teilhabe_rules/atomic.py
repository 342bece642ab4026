"""Output files that are complete or absent: written under a partial name, renamed when done.

Takes: the path of a file the library writes (``compare --out``, ``--summary``, ``generate
--out``, ``umstellen --out``) and its text. Gives: :class:`AtomicFile`, which writes UTF-8 bytes
to ``<name>.unvollständig`` next to the target and renames it to the target only on
:meth:`~AtomicFile.commit` — so a run that is killed leaves the partial file (which
``compare --fortsetzen`` resumes from) or nothing, never a complete-looking file — and
:func:`write_atomic` for a text written in one go. Failures are
:class:`~teilhabe_rules.errors.CaseError`.

Files are always UTF-8, whatever the locale; lines end as written (``\\n``). A partial file
(and a state file beside it, :func:`open_partial`) is never reached through a symbolic link: a
new one is created afresh (a link planted under its name is removed, not followed), an
existing one is refused if it is a link.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, cast

from .errors import CaseError, Diagnostic
from .files import write_problem

__all__ = ["PARTIAL_SUFFIX", "AtomicFile", "open_partial", "partial_path", "replaceable", "rewrite_atomic",
           "write_atomic"]

PARTIAL_SUFFIX = ".unvollständig"


def partial_path(target: str | Path) -> Path:
    """Where the text of ``target`` stands while it is written: ``<name>.unvollständig``."""
    target = Path(target)
    return target.with_name(target.name + PARTIAL_SUFFIX)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)


def open_partial(path: Path, *, resume: bool = False) -> BinaryIO:
    """``path`` opened for writing, never through a symbolic link: created afresh (whatever
    stood under the name is removed first, and a file that appears meanwhile is not opened), or
    with ``resume`` the existing regular file, read and written in place (a link: ``ELOOP``).
    Failures are OSError."""
    if resume:
        fd = os.open(path, os.O_RDWR | _NOFOLLOW)
        mode = "r+b"
    else:
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o666)
        mode = "wb"
    try:
        return cast(BinaryIO, os.fdopen(fd, mode))
    except BaseException:  # pragma: no cover - fdopen of a fresh descriptor does not fail
        os.close(fd)
        raise


def replaceable(target: str | Path) -> None:
    """Refuse an output ``target`` that exists and is no regular file — a device (``/dev/full``),
    a FIFO, a folder — or is a symbolic link (``/dev/stdout`` too, whatever it leads to): renaming
    the written file onto it would replace it, never write into it
    (:class:`~teilhabe_rules.errors.CaseError`)."""
    if os.path.islink(target):  # (/dev/stdout, /proc/self/fd/1 and any other link: renaming the
        # written file onto the link replaces the link, and the file it leads to stays as it was)
        raise CaseError(Diagnostic(f"„{target}“ ist ein symbolischer Link: die Ausgabe würde den Link ersetzen, "
                                   "nicht in die Datei schreiben, zu der er führt",
                                   hint="gib die Datei selbst an; für die Standardausgabe ohne --out",
                                   code="ausgabe"))
    try:
        mode = os.stat(target).st_mode
    except (OSError, ValueError):
        return  # absent, or unreachable: writing it says why
    if not stat.S_ISREG(mode):
        raise CaseError(Diagnostic(f"„{target}“ ist keine gewöhnliche Datei: die Ausgabe würde sie ersetzen",
                                   hint="eine Ausgabe ist eine Datei; für die Standardausgabe ohne --out",
                                   code="ausgabe"))


def _failure(path: Path, exc: OSError) -> CaseError:
    reason = write_problem(exc)
    if exc.errno == errno.ELOOP:
        reason = "die unvollständige Datei ist ein symbolischer Link (er wird nicht verfolgt)"
    return CaseError(Diagnostic(f"„{path}“ lässt sich nicht schreiben: {reason}", code="ausgabe"))


class AtomicFile:
    """A file written under its partial name and renamed to ``target`` on :meth:`commit`.

    ``resume_at``: keep the first ``resume_at`` bytes of an existing partial file and write on
    after them (the rest is cut off). Used as a context manager, it commits when the block ends
    normally and otherwise closes, keeping the partial file if ``keep`` and removing it if not."""

    def __init__(self, target: str | Path, *, resume_at: int | None = None, keep: bool = False):
        self.target = Path(target)
        replaceable(self.target)
        self.partial = partial_path(self.target)
        self.keep = keep
        self.handle: BinaryIO
        try:
            self.handle = open_partial(self.partial, resume=resume_at is not None)
            if resume_at is not None:
                try:
                    self.handle.truncate(resume_at)
                    self.handle.seek(resume_at)
                except OSError:
                    self.handle.close()
                    raise
        except OSError as exc:
            raise _failure(self.target, exc) from None
        self.size = resume_at or 0  # bytes in the partial file

    def write(self, text: str) -> None:
        data = text.encode("utf-8", "backslashreplace")  # a lone surrogate: as its escape
        try:
            self.handle.write(data)
        except OSError as exc:
            raise _failure(self.target, exc) from None
        self.size += len(data)

    def flush(self) -> None:
        """Hand what is written to the operating system (a killed process loses nothing of it)."""
        try:
            self.handle.flush()
        except OSError as exc:
            raise _failure(self.target, exc) from None

    def commit(self) -> None:
        """Write through to the disk and give the file its own name (replacing an older one)."""
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
            self.handle.close()
            os.replace(self.partial, self.target)
        except OSError as exc:
            raise _failure(self.target, exc) from None

    def close(self) -> None:
        """Stop writing without committing: the partial file stays (if ``keep``) or is removed."""
        if not self.handle.closed:
            self.handle.close()
        if not self.keep:
            self.partial.unlink(missing_ok=True)

    def __enter__(self) -> AtomicFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if kind is None:
            self.commit()
        else:
            self.close()


def write_atomic(target: str | Path, text: str) -> None:
    """Write ``text`` to ``target`` as UTF-8: the file has the whole text or is unchanged."""
    with AtomicFile(target) as handle:
        handle.write(text)


def rewrite_atomic(target: str | Path, text: str) -> None:
    """Rewrite the existing file ``target`` with ``text`` (UTF-8), whole or not at all, as an
    edit in place would: a symbolic link stays a link and the file it names is rewritten, and the
    file keeps its permission bits (a file only its owner may read stays so)."""
    real = Path(os.path.realpath(target))
    try:
        mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError as exc:
        raise _failure(Path(target), exc) from None
    with AtomicFile(real) as handle:
        handle.write(text)
        try:
            os.chmod(handle.partial, mode)
        except OSError as exc:
            raise _failure(Path(target), exc) from None
