"""DuckDB connections that reach exactly the files they are given, and nothing else.

Takes: the paths of the files a reader or writer of tables (Parquet) names. Gives: a
:class:`Sandbox` — for each path a text that DuckDB reads as exactly that file (DuckDB expands
``*``, ``?`` and ``[…]`` in a path it reads as a pattern, and ``~`` as the home directory: a
name holding one of them is reached through a symbolic link of a plain name in a fresh
temporary directory) — and a connection whose file system access is limited to those texts:
no other file, no URL (``http://``, ``s3://``), no extension loaded or installed.

Asked for (``scratch``), the connection has a database of its own in a file of that temporary
directory, attached before the limits are set (its row groups of a given size: DuckDB scans a row
group on one thread); the SQL intake makes its tables there for a population of up to some
hundred thousand cases, and lets it go once they are done with (:meth:`Sandbox.release_scratch`).
The temporary directory is removed by :meth:`Sandbox.close`.

:func:`published` gives DuckDB a file to write that is complete or absent under its real name.

Every DuckDB database the library opens — a sandbox's, or :func:`connect`'s — may use
:func:`memory_limit` bytes of memory (``$TEILHABE_RULES_MEMORY``, e.g. ``4GiB``; else 1.25 GiB; a
sandbox reading a JSON Lines file whole: :func:`reading_whole`) and spills what does not fit to
a folder of its own in ``$TMPDIR`` — a sandbox's in its temporary directory, removed by
:meth:`Sandbox.close`; :func:`connect`'s in a private temporary folder of the process, removed
when the process ends — never to the working directory.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import os
import re
import secrets
import shutil
import tempfile
import threading
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .atomic import replaceable
from .errors import Diagnostic, ResourceError

__all__ = ["MemoryWarning", "Sandbox", "connect", "file_faults", "interrupt_running", "listed_table", "memory_limit",
           "out_of_memory", "published", "reading_whole"]

_PATTERN = frozenset("*?[]{}~")  # characters DuckDB may read as a pattern in a path
_SCRATCH = "arbeit"  # the scratch database's name, and its file's
MEMORY_DEFAULT = 1280 << 20  # bytes a DuckDB database of the library may use (see memory_limit)
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*", re.IGNORECASE)
_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30,
          "tib": 2**40}


class MemoryWarning(UserWarning):
    """``$TEILHABE_RULES_MEMORY`` is no size: the default holds."""


def memory_limit() -> int:
    """The bytes of memory each DuckDB database of the library may use before it spills to disk:
    ``$TEILHABE_RULES_MEMORY`` (a size such as ``4GiB`` or ``1500MB``, from 64 MiB to 1 PiB; too
    little for a query gives :class:`~teilhabe_rules.errors.ResourceError`), else
    :data:`MEMORY_DEFAULT`. (DuckDB's own default is 80 % of the machine's memory, for each
    database: a comparison holds two.)"""
    return _memory_setting(os.environ.get("TEILHABE_RULES_MEMORY", "").strip())


@functools.lru_cache(maxsize=8)
def _memory_setting(setting: str) -> int:
    """:func:`memory_limit` of the setting ``setting`` ("": none); a setting that is no size warns
    once (:class:`MemoryWarning`)."""
    if not setting:
        return MEMORY_DEFAULT
    found = _SIZE.fullmatch(setting)
    size = float(found.group(1)) * _UNITS[found.group(2).lower()] if found is not None else 0.0
    if not 64 * 2**20 <= size <= 2**50:
        import warnings

        warnings.warn(f"TEILHABE_RULES_MEMORY={setting!r} ist keine Größe von 64 MiB bis 1 PiB (etwa „4GiB“ "
                      f"oder „1500MB“): jede DuckDB-Datenbank nutzt bis zu {MEMORY_DEFAULT >> 20} MiB",
                      MemoryWarning, stacklevel=4)
        return MEMORY_DEFAULT
    return int(size)


def file_faults() -> tuple[type[Exception], ...]:
    """What reading a file with DuckDB raises where the file is none DuckDB can read (a Parquet
    file cut short or broken, or no Parquet file at all): DuckDB's own errors, and those of its
    Python binding where a name the file gives (a column's, a field's) is no UTF-8 — a
    :class:`UnicodeDecodeError`, or the :class:`RuntimeError` of its conversion of a text."""
    import duckdb

    return (duckdb.Error, UnicodeDecodeError, RuntimeError)


def out_of_memory(population: str | Path) -> ResourceError:
    """The error for a DuckDB database of the library that ran out of the memory it may use
    (``duckdb.OutOfMemoryException``) while evaluating ``population``."""
    return ResourceError(Diagnostic(
        f"„{population}“: DuckDB braucht mehr Speicher als die {memory_limit() >> 20} MiB, die jede seiner "
        "Datenbanken hier nutzen darf", code="speicher",
        hint="TEILHABE_RULES_MEMORY höher setzen (etwa „4GiB“), oder die Population in Teilen auswerten"))


def reading_whole(size: int) -> int:
    """The memory limit of a database that reads a file of ``size`` bytes whole (DuckDB's
    ``read_text`` of a JSON Lines file, and the lines split from it): :func:`memory_limit`, or
    three times the file where that is more — but at most 80 % of the machine's memory, where
    it is known (DuckDB's own default)."""
    wanted = max(memory_limit(), 3 * size)
    try:
        machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows), or no such name
        return wanted
    return max(memory_limit(), min(wanted, machine * 4 // 5)) if machine > 0 else wanted


_spilling: list[str] = []  # the process's folder for DuckDB's spilled data, once made
_spilling_lock = threading.Lock()


def _spill_folder() -> str:
    """A fresh name, in the process's private temporary folder (made once, 0700, in ``$TMPDIR``;
    removed at exit by the process that made it — a forked child uses its parent's — and made
    again if it went), for one database to spill to: DuckDB makes the folder when it first
    spills and removes it when the database closes."""
    with _spilling_lock:
        if not _spilling or not os.path.isdir(_spilling[0]):
            folder = tempfile.mkdtemp(prefix="teilhabe-duckdb-")
            _spilling[:] = [folder]
            atexit.register(_remove_if_mine, os.getpid(), folder)
        folder = _spilling[0]
    return os.path.join(folder, f"db-{secrets.token_hex(8)}")


def _new_lock_in_child() -> None:
    global _spilling_lock  # a fork while another thread held it would leave the child's held
    _spilling_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _mib(size: int) -> str:
    """``size`` bytes as DuckDB's ``memory_limit`` takes them (whole MiB)."""
    return f"{size >> 20}MiB"


def _remove_if_mine(pid: int, folder: str) -> None:
    """At exit: the spill folder, by the process that made it (not by a forked child)."""
    if os.getpid() == pid:
        shutil.rmtree(folder, ignore_errors=True)


# every connection the library made and has not closed: what Ctrl+C interrupts (interrupt_running)
_OPEN: weakref.WeakSet[Any] = weakref.WeakSet()
_OPEN_LOCK = threading.Lock()  # (the watcher of Ctrl+C reads _OPEN from a thread of its own)


def _opened(connection: Any) -> Any:
    with _OPEN_LOCK:
        _OPEN.add(connection)
    return connection


def interrupt_running() -> int:
    """Interrupt the query each connection of the library is running now (a connection without
    one is left as it is); the number interrupted. Safe from any thread: the command line calls
    it from the thread that watches for Ctrl+C, as DuckDB may miss the signal in a query."""
    with _OPEN_LOCK:
        connections = list(_OPEN)
    stopped = 0
    for connection in connections:
        with contextlib.suppress(Exception):  # (closed meanwhile)
            if connection.query_progress() >= 0:  # (-1: no query)
                connection.interrupt()
                stopped += 1
    return stopped


def _quiet_progress(connection: Any) -> None:
    """DuckDB keeps track of a query's progress (which :func:`interrupt_running` reads) without
    writing its bar to the terminal."""
    connection.execute("SET enable_progress_bar = true")
    connection.execute("SET enable_progress_bar_print = false")


def connect(**config: Any) -> Any:
    """A DuckDB connection to a new in-memory database with the library's settings (its memory
    limit, its folder to spill to) and ``config``; DuckDB tracks a query's progress without printing it."""
    import duckdb

    connection = duckdb.connect(config={"memory_limit": _mib(memory_limit()), "temp_directory": _spill_folder(),
                                        **config})
    _quiet_progress(connection)
    return _opened(connection)


class Sandbox:
    """A DuckDB connection limited to ``paths`` (see the module docstring); :attr:`paths` are
    the texts to give DuckDB for them, in order. A path need not exist yet (a file to be
    written). ``scratch``: a database of its own in a file of the temporary directory, with row
    groups of that many rows, is attached as :attr:`scratch` (see :meth:`_scratch`). Its memory
    limit is ``memory`` bytes (None: :func:`memory_limit`; :func:`reading_whole` for a file read
    whole); it spills to the temporary directory. :attr:`home` is the name of the connection's
    own (in-memory) database, where tables outlive the scratch database. Failures to make the
    links are OSError; the connection is ``duckdb``'s."""

    def __init__(self, paths: Sequence[str | Path], *, scratch: int | None = None, memory: int | None = None):
        import duckdb

        self._folder: str | None = None
        self.home = ""  # the connection's own database (``scratch``: used before it)
        self._removing: threading.Thread | None = None  # removes the scratch database's file
        self.paths: list[str] = []
        self.scratch: str | None = None  # the name of the database ``scratch`` asks for
        try:
            self._folder = tempfile.mkdtemp(prefix="teilhabe-")
            for number, path in enumerate(paths):
                self.paths.append(self._literal(os.path.abspath(path), number))
            self.connection: Any = duckdb.connect(config={
                "memory_limit": _mib(memory or memory_limit()),
                "temp_directory": os.path.join(self._folder, "ausgelagert"), "threads": 1,
                "autoload_known_extensions": False, "autoinstall_known_extensions": False})
            _opened(self.connection)
            try:
                (self.home,) = self.connection.execute("SELECT current_database()").fetchone() or ("",)
                self.scratch = self._scratch(scratch) if scratch is not None else None
                _quiet_progress(self.connection)
                self.connection.execute("SET allowed_paths = ?", [self.paths])
                self.connection.execute("SET enable_external_access = false")
            except BaseException:
                self.connection.close()
                raise
        except BaseException:
            self._remove()
            raise

    def _scratch(self, rows: int) -> str:
        """A database of the connection's own, in a file of the temporary directory, for tables
        (after ``USE`` of the name it gives): its row groups of ``rows`` rows, a multiple of
        2,048 (DuckDB scans a row group on one thread, and its in-memory database keeps 122,880
        rows in one), written to that file uncompressed. Attached before file access is limited;
        it goes with the directory."""
        from sqlglot import exp

        assert self._folder is not None
        attach = exp.Attach(this=exp.Alias(this=exp.Literal.string(os.path.join(self._folder, f"{_SCRATCH}.duckdb")),
                                           alias=exp.to_identifier(_SCRATCH)),
                            expressions=[exp.AttachOption(this=exp.var("ROW_GROUP_SIZE"),
                                                          expression=exp.Literal.number(rows))])
        self.connection.execute(attach.sql("duckdb"))
        self.connection.execute("PRAGMA disable_checkpoint_on_shutdown")  # the file is removed: nothing to keep
        # tables written once and read a few times: the analysis for compressing them cost more
        # than it saved (100,000 persons' lines: a fifth of the intake's time)
        self.connection.execute("SET force_compression = 'uncompressed'")
        return _SCRATCH

    def release_scratch(self) -> None:
        """Detach the scratch database (its tables are no longer read; the connection uses its own
        database again) and remove its file — in a thread of its own, as the kernel takes a
        while to free a file of some hundred megabytes (100,000 persons: ~0.07 s), while DuckDB
        goes on; :meth:`close` waits for it. Nothing where there is no scratch database."""
        from sqlglot import exp

        if self.scratch is None or self._folder is None:
            return
        self.connection.execute(exp.Use(this=exp.to_identifier(self.home)).sql("duckdb"))
        self.connection.execute(exp.Detach(this=exp.to_identifier(self.scratch)).sql("duckdb"))
        self.scratch = None
        files = [os.path.join(self._folder, name) for name in (f"{_SCRATCH}.duckdb", f"{_SCRATCH}.duckdb.wal")]
        thread = threading.Thread(target=_unlink, args=(files,), name="teilhabe-scratch")
        thread.start()  # (where it cannot start, close removes the files with the folder)
        self._removing = thread

    def _literal(self, path: str, number: int) -> str:
        if not _PATTERN.intersection(path):
            return path
        assert self._folder is not None
        suffix = "".join(ch for ch in Path(path).suffix if ch.isalnum())
        link = os.path.join(self._folder, f"datei{number}.{suffix or 'dat'}")
        os.symlink(path, link)
        return link

    def _remove(self) -> None:
        removing, self._removing = self._removing, None
        try:
            if removing is not None:
                removing.join()
        finally:  # even where the wait is interrupted: both ignore what the other removed
            if self._folder is not None:
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def close(self) -> None:
        try:
            self.connection.close()
        finally:
            self._remove()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _unlink(files: list[str]) -> None:
    for name in files:
        with contextlib.suppress(OSError):
            os.unlink(name)


@contextlib.contextmanager
def published(path: str | None, suffix: str) -> Iterator[str]:
    """A fresh file name (ending in ``suffix``) in a new temporary folder of a plain name, for
    DuckDB to write (a pattern character or ``~`` of ``path`` never reaches it). When the block
    ends normally the file is copied beside ``path`` under a partial name and renamed to ``path``:
    ``path`` is complete or absent. ``path`` None: the file is only handed to the block. The
    folder is removed in any case. Failures are the block's, or OSError; an existing ``path`` that
    is no regular file is refused first (:func:`~teilhabe_rules.atomic.replaceable`)."""
    if path is not None:
        replaceable(path)
    staging = tempfile.mkdtemp(prefix="teilhabe-")
    written = os.path.join(staging, "datei" + suffix)
    try:
        yield written
        if path is not None:
            publish(written, path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(written: str, path: str | Path) -> None:
    """Copy the file ``written`` (DuckDB's, in a folder of the library's own) beside ``path``
    under a fresh partial name, never through a link planted there, and rename it to ``path``:
    ``path`` is complete or as it was. Failures are OSError; an existing ``path`` that is no
    regular file is refused (:func:`~teilhabe_rules.atomic.replaceable`)."""
    replaceable(path)
    target = os.path.abspath(path)
    descriptor, partial = _fresh_beside(target)
    try:
        with os.fdopen(descriptor, "wb") as out, open(written, "rb") as source:
            shutil.copyfileobj(source, out)
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


_FRESH = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) \
    | getattr(os, "O_BINARY", 0)


def _fresh_beside(target: str) -> tuple[int, str]:
    """A new file beside ``target`` under a random partial name, created with mode 0666 less the
    umask (as any file the user writes; ``tempfile.mkstemp`` would make it 0600): its descriptor
    and name."""
    folder, name = os.path.split(target)
    for _ in range(100):
        partial = os.path.join(folder, f".{name}.{secrets.token_hex(6)}.unvollständig")
        try:
            return os.open(partial, _FRESH, 0o666), partial
        except FileExistsError:
            continue
    raise FileExistsError(target)  # pragma: no cover - 100 random names taken


def listed_table(con: Any, name: str, columns: Sequence[str], values: Sequence[list[Any]],
                  cases: list[int] | None = None) -> None:
    """A temporary table ``name`` of the columns ``_c`` (``cases``, else 0, 1, …) and the text
    columns ``columns`` (``values``: a list of texts each), made from lists handed to DuckDB as
    parameters."""
    from sqlglot import exp

    lists = [cases, *values] if cases is not None else list(values)
    given = [exp.Placeholder(this=str(number + 1)) for number in range(len(lists))]

    def text(value: exp.Expr) -> exp.Expr:  # (typed even where the lists are empty)
        return exp.cast(exp.func("unnest", exp.cast(value, "VARCHAR[]")), "VARCHAR")

    if cases is None:
        number = exp.Sub(this=exp.func("generate_subscripts", given[0].copy(), exp.Literal.number(1)),
                         expression=exp.Literal.number(1))
        selected = [exp.alias_(number, "_c")] + [exp.alias_(text(g), c) for g, c in zip(given, columns, strict=True)]
    else:
        selected = [exp.alias_(exp.cast(exp.func("unnest", exp.cast(given[0], "BIGINT[]")), "BIGINT"), "_c")] + [
            exp.alias_(text(g), c) for g, c in zip(given[1:], columns, strict=True)]
    con.execute(exp.Drop(tables=[exp.to_table(name)], kind="TABLE", exists=True).sql("duckdb"))
    con.execute(exp.Create(this=exp.to_table(name), kind="TABLE", expression=exp.select(*selected),
                           properties=exp.Properties(expressions=[exp.TemporaryProperty()])).sql("duckdb"), lists)
