"""Reading the files a user or another file names: regular files only, bounded, confined.

Takes: a file name — given on the command line or through the API, or written in a file (a
variant's ``erweitert "…"``, a case's list element given as a file) — and, for a name written in
a file, the directory tree it must stay in. Gives: :func:`confined` (the name as a path inside
that tree, or :class:`FileRefused`) and :func:`read_text` (the text of a regular file of at most
``limit`` bytes, UTF-8 with or without a byte order mark, or :class:`FileRefused`) and
:func:`same_file` (whether two names lead to one file). Nothing here
blocks on a FIFO or a terminal, reads a device without end, or follows a name out of its tree.

Every refusal is a German phrase that completes „Die Datei „NAME“ …“; callers turn it into
their own located error. No message carries any of the file's content.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path, PureWindowsPath

from .limits import MAX_RULE_FILE_CHARS

__all__ = [
    "MAX_CASE_BYTES",
    "MAX_CASE_TOTAL_BYTES",
    "MAX_RULE_BYTES",
    "READ_WITHOUT_BLOCKING",
    "LONE_RETURN_HINT",
    "FileRefused",
    "confined",
    "read_text",
    "same_file",
    "path_problem",
    "read_problem",
    "size_text",
    "write_problem",
]

MIB = 1024 * 1024
MAX_CASE_BYTES = 16 * MIB  # one case, agreement or element file
MAX_CASE_TOTAL_BYTES = 64 * MIB  # a case file and all element files it names, together
# a rule file or a variant's base: enough for every text within the parser's own limit of
# characters (at most 4 bytes each), which then reports an oversized text with its line
MAX_RULE_BYTES = 4 * MAX_RULE_FILE_CHARS

LONE_RETURN_HINT = ("eine Zeile endet mit einem Wagenrücklauf allein (CR, altes Mac-Format); speichere die "
                    "Datei mit dem Zeilenende LF oder CR LF")
"""The hint for a text file (a TOML case, a population's CSV or JSON Lines file) whose lines end
with a carriage return alone: no reader of these formats takes that line end. Each format adds
what is its own (a CSV file: how Excel saves it; JSON Lines: that the cases run together)."""


class FileRefused(Exception):
    """A file that is not read, and why: ``reason`` completes „Die Datei „NAME“ …“; ``line``,
    ``column`` and ``source_line``: where in the file, where that is known (a byte that is not
    UTF-8), else its start."""

    def __init__(self, reason: str, hint: str | None = None, line: int = 1, column: int = 1,
                 source_line: str | None = None):
        super().__init__(reason)
        self.reason, self.hint = reason, hint
        self.line, self.column, self.source_line = line, column, source_line


_TOO_LARGE = ("die Grenze schützt vor einer versehentlich gewählten Datei (einem Export, einem Archiv). Ist es "
              "die gemeinte Datei, teile sie auf: viele Fälle in eine Population (JSON Lines, CSV, Parquet), "
              "ein Modell in Basis und Varianten („erweitert“)")


def size_text(size: int) -> str:
    """``16 MiB``, ``1,5 MiB``, ``800 Bytes`` (German decimal mark)."""
    if size >= MIB:
        return f"{size / MIB:.1f}".removesuffix(".0").replace(".", ",") + " MiB"
    return f"{size} Bytes"


def confined(name: str, folder: Path, root: Path | None = None) -> Path:
    """``name`` — relative to ``folder`` — as a path inside ``root`` (default ``folder``).

    Refused: a name with a NUL character, an absolute name (also ``C:\\…`` and ``~``), a name
    whose ``..`` steps lead out of ``root``, and a name whose symbolic links resolve outside
    ``root``. Gives the path as written (``folder / name``); whether it exists is the reader's
    business."""
    root = folder if root is None else root
    top = os.path.abspath(root)
    allowed = f"erlaubt sind Dateien in {top} und darunter, relativ angegeben"
    if "\x00" in name:
        raise FileRefused("enthält ein Nullzeichen im Namen")
    if os.path.isabs(name) or PureWindowsPath(name).anchor or name.startswith("~"):
        raise FileRefused("ist ein absoluter Pfad", allowed)
    candidate = folder / name
    if not _inside(os.path.abspath(candidate), top):
        raise FileRefused(f"liegt außerhalb von {top} („..“ führt hinaus)", allowed)
    try:
        real, real_top = os.path.realpath(candidate), os.path.realpath(top)
    except (OSError, ValueError, RuntimeError):  # a symlink loop on some Pythons
        raise FileRefused("lässt sich nicht auflösen (symbolische Links im Kreis?)") from None
    if not _inside(real, real_top):
        raise FileRefused(f"ist ein symbolischer Link, der aus {top} hinausführt", allowed)
    return candidate


def links_out(path: Path, top: Path) -> bool:
    """Whether ``path`` (an entry of the folder ``top``, by its name as listed: any name) leads
    out of ``top`` by symbolic links — or cannot be resolved (a link in a circle)."""
    try:
        return not _inside(os.path.realpath(path), os.path.realpath(top))
    except (OSError, ValueError, RuntimeError):
        return True


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two names lead to the same file (after symbolic links); False when either cannot
    be resolved."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except (OSError, RuntimeError, ValueError):
        return False


def _inside(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip(os.sep) + os.sep)


_KINDS = (
    (stat.S_ISDIR, "ein Verzeichnis"),
    (stat.S_ISFIFO, "eine Pipe (FIFO)"),
    (stat.S_ISCHR, "ein Gerät"),
    (stat.S_ISBLK, "ein Gerät"),
    (stat.S_ISSOCK, "ein Socket"),
)

_ERRORS = {
    errno.ENOENT: "gibt es nicht",
    errno.EACCES: "darf nicht gelesen werden (keine Leseberechtigung)",
    errno.EPERM: "darf nicht gelesen werden (keine Berechtigung)",
    errno.ENAMETOOLONG: "hat einen zu langen Namen",
    errno.ELOOP: "ist ein symbolischer Link im Kreis",
    errno.ENOTDIR: "gibt es nicht (ein Teil des Pfads ist kein Verzeichnis)",
}


_WRITE_ERRORS = {
    errno.ENOENT: "das Verzeichnis gibt es nicht",
    errno.ENOTDIR: "ein Teil des Pfads ist kein Verzeichnis",
    errno.EACCES: "keine Schreibberechtigung",
    errno.EPERM: "keine Berechtigung",
    errno.EROFS: "das Dateisystem ist nur lesbar",
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger",
    errno.EDQUOT: "das Speicherkontingent ist erschöpft",
    errno.EFBIG: "die Datei würde zu groß",
    errno.EISDIR: "das ist ein Verzeichnis",
    errno.ENAMETOOLONG: "der Name ist zu lang",
    errno.ELOOP: "ein symbolischer Link im Kreis",
    errno.EEXIST: "die Datei gibt es schon",
    errno.EBUSY: "die Datei ist in Gebrauch",
    errno.EPIPE: "die Gegenseite hat die Ausgabe geschlossen",
    errno.EIO: "Ein-/Ausgabefehler des Geräts",
}


_READ_ERRORS = {
    **_WRITE_ERRORS,
    errno.ENOENT: "die Datei gibt es nicht",
    errno.EACCES: "keine Leseberechtigung",
}


def write_problem(exc: OSError) -> str:
    """Why writing failed, in German (the system's text, which may be English, only for a
    cause not named here, with its number)."""
    if exc.errno == errno.ENOENT and isinstance(exc.filename, str) and os.path.isdir(os.path.dirname(exc.filename)):
        # (the folder is there, yet takes no new file: /proc, a virtual file system)
        return "in diesem Verzeichnis lassen sich keine Dateien anlegen"
    return _problem(exc, _WRITE_ERRORS)


def read_problem(exc: OSError) -> str:
    """Why reading failed, in German (as :func:`write_problem`)."""
    return _problem(exc, _READ_ERRORS)


def path_problem(exc: OSError) -> str:
    """Why a path could not be opened, in German, as said of it: „„x“ gibt es nicht“."""
    return _ERRORS.get(exc.errno or 0, f"lässt sich nicht lesen ({read_problem(exc)})")


def _problem(exc: OSError, known: dict[int, str]) -> str:
    found = known.get(exc.errno or 0)
    if found is not None:
        return found
    return f"Fehler {exc.errno} des Betriebssystems ({exc.strerror})" if exc.errno else str(exc)


READ_WITHOUT_BLOCKING = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
                         | getattr(os, "O_BINARY", 0))
"""The flags of ``os.open`` for a file that may turn out to be a FIFO or a device: opening does
not wait for a writer (check ``fstat`` before reading)."""


def read_text(path: str | Path, limit: int) -> str:
    """The text of the regular file ``path`` (UTF-8, a byte order mark dropped).

    Refused (:class:`FileRefused`): a missing or unreadable file, anything but a regular file
    (directory, FIFO, device, socket — opened without blocking, never read), a file larger
    than ``limit`` bytes (at most ``limit + 1`` bytes are read, whatever ``stat`` says), a file
    that is not UTF-8."""
    try:
        handle = os.open(path, READ_WITHOUT_BLOCKING)
    except ValueError:  # a NUL character in the name
        raise FileRefused("enthält ein Nullzeichen im Namen") from None
    except OSError as exc:
        raise FileRefused(path_problem(exc)) from None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            kind = next((text for test, text in _KINDS if test(info.st_mode)), "keine gewöhnliche Datei")
            raise FileRefused(f"ist keine gewöhnliche Datei, sondern {kind}" if kind != "keine gewöhnliche Datei"
                              else "ist keine gewöhnliche Datei")
        if info.st_size > limit:
            raise FileRefused(f"ist {size_text(info.st_size)} groß; erlaubt sind höchstens {size_text(limit)}",
                              hint=_TOO_LARGE)
        chunks: list[bytes] = []
        total = 0
        while total <= limit:
            try:
                chunk = os.read(handle, min(limit + 1 - total, MIB))
            except BlockingIOError:  # pragma: no cover - only special files; refused above
                raise FileRefused("ist keine gewöhnliche Datei") from None
            except OSError as exc:
                raise FileRefused(f"lässt sich nicht lesen ({read_problem(exc)})") from None
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise FileRefused(f"ist größer als erlaubt (höchstens {size_text(limit)})", hint=_TOO_LARGE)
    finally:
        os.close(handle)
    data = b"".join(chunks)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        at = exc.start + bom  # (the decoder counts from after a byte order mark)
        line = data.count(b"\n", 0, at) + 1
        start = max(data.rfind(b"\n", 0, at) + 1, bom)
        end = data.find(b"\n", at)
        before = data[start:at].decode("utf-8", errors="replace")
        shown = data[start:end if end >= 0 else len(data)].decode("utf-8", errors="replace").rstrip("\r")
        raise FileRefused(f"ist nicht in UTF-8 geschrieben (ungültiges Byte in Zeile {line})",
                          "speichere die Datei als UTF-8", line, len(before) + 1, shown) from None
