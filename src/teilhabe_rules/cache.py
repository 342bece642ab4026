"""A content-addressed cache of checked models (and of the built parser) whose entries are data.

Takes: a rule file's text and name. Gives: the :class:`~teilhabe_rules.ir.checked.CheckedModel` from
an earlier check of exactly the same text with exactly the same library and grammar, or None.
Parsing and checking a large model costs some 40 ms (more in the first load of a process); the
cache makes a repeated load cost a file read, a hash and a decode — as Python does with
``.pyc`` files.

Where: ``$TEILHABE_RULES_CACHE`` if set (``0``, ``aus`` or ``off`` switch the cache off), else
the platform's user cache directory (:mod:`platformdirs`: ``$XDG_CACHE_HOME/teilhabe_rules`` or
``~/.cache/teilhabe_rules`` on Linux, ``~/Library/Caches/teilhabe_rules`` on macOS,
``%LOCALAPPDATA%\\teilhabe_rules\\Cache`` on Windows). Never inside the installed package. The
directory is created with mode 0700; an existing one that belongs to another user or that
others may write to is refused with a :class:`CacheWarning`, and the process runs without the
cache.

The key covers the library version, the entry format, the grammar, every ``.py`` file of the
package (subpackages included), the file name and the text (and, for a variant, the names and
texts of its base files), so an edit of any of them — or of the library's own code — is a miss.

Entries are data, never code: a checked model is JSON in the tagged encoding of
:mod:`teilhabe_rules.ir.serial`, which instantiates nothing but an allowlist of the library's frozen
attrs classes; the LALR parser is JSON of lark's own data form (``Lark.memo_serialize``), which
lark turns back only into its own grammar, lexer and table classes. Each entry starts with a
header line holding the format and an HMAC-SHA256 of its name and payload, keyed with 32 random
bytes kept outside the cache directory (:func:`key_file`, created with mode 0600 on first use;
no key, no cache). A missing, planted, truncated, damaged or forged entry — anything that is not
a regular file, is too large, fails the keyed checksum or does not decode — is a miss and is
rewritten atomically; reading one never raises. See "The cache" in ``docs/architecture.md`` for
what someone who can write the directory can and cannot do.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import os
import re
import stat
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import lark

from .ir import checked as c
from .ir import serial
from .shipped import grammar_file
from .version import __version__

__all__ = [
    "CacheWarning",
    "cache_dir",
    "key_file",
    "lookup",
    "lookup_parser",
    "store",
    "store_parser",
]

_OFF = {"0", "aus", "off", "false", "nein"}

#: The first bytes of every entry; a change of the entry format changes it (and the salt).
_MAGIC = b"teilhabe-rules-cache 3"
#: Entries larger than this are neither written nor read (a large model's entry is about 0.3 MB).
MAX_ENTRY_BYTES = 64 * 1024 * 1024


class CacheWarning(UserWarning):
    """The cache directory is not the user's own; the process runs without the cache."""


def cache_dir() -> Path | None:
    """The configured cache directory, or None when the cache is switched off (or there is no
    home directory to put it in). Whether it may be used is decided when it is read or written:
    see :class:`CacheWarning`."""
    setting = os.environ.get("TEILHABE_RULES_CACHE")
    if setting is not None:
        if setting.strip().lower() in _OFF:
            return None
        return Path(setting)
    return _platform_dir("cache")


def _platform_dir(purpose: str) -> Path | None:
    """The platform's directory of the library for ``purpose`` (``cache`` or ``config``), or None
    without a home directory to put it in (a service account)."""
    try:
        Path.home()
        folder = Path(_user_dir(purpose))
    except (RuntimeError, KeyError, OSError):
        return None
    return folder if folder.is_absolute() else None


def _user_dir(purpose: str) -> str:
    """:mod:`platformdirs`' ``user_cache_dir``/``user_config_dir`` of the library. On Linux the
    XDG base directories are read here as platformdirs reads them (``$XDG_CACHE_HOME`` unless
    empty, else ``~/.cache``; ``$XDG_CONFIG_HOME``, ``~/.config``): importing platformdirs would
    cost a new process more than the rest of loading a cached model's header."""
    if sys.platform == "linux" and "ANDROID_DATA" not in os.environ:
        variable, fallback = ("XDG_CACHE_HOME", "~/.cache") if purpose == "cache" else ("XDG_CONFIG_HOME", "~/.config")
        base = os.environ.get(variable, "")
        if not base.strip():
            base = os.path.expanduser(fallback)
        return os.path.join(base, _APP)
    import platformdirs

    where = platformdirs.user_cache_dir if purpose == "cache" else platformdirs.user_config_dir
    return where(_APP, appauthor=False)


_APP = "teilhabe_rules"


_warned: set[tuple[str, str]] = set()


def _usable_dir(create: bool) -> Path | None:
    """The cache directory if it exists (or, with ``create``, could be created with mode 0700)
    and is the user's own; else None."""
    folder = cache_dir()
    if folder is None:
        return None
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        if not create:
            return None
        try:
            folder.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(folder, 0o700)
            os.chmod(folder, 0o700)  # whatever the umask says
        except FileExistsError:
            pass  # created meanwhile, by whoever: checked below like any existing directory
        except OSError:
            return None  # a cache that cannot be created is no error
        try:
            info = os.stat(folder)
        except OSError:
            return None
    except (OSError, ValueError):  # ValueError: a NUL byte in the setting
        return None
    if not stat.S_ISDIR(info.st_mode):
        return None
    problem = _untrusted(info)
    if problem is not None:
        if (str(folder), problem) not in _warned:
            _warned.add((str(folder), problem))
            warnings.warn(
                CacheWarning(
                    f"Der Cache ist ausgeschaltet: das Cache-Verzeichnis „{folder}“ {problem}. "
                    "Hinweis: TEILHABE_RULES_CACHE auf ein eigenes Verzeichnis setzen, das nur Sie "
                    "beschreiben dürfen (oder auf „aus“)"
                ),
                stacklevel=4,
            )
        return None
    if _secret(str(key_file()), str(folder)) is None:
        return None
    return folder


def key_file() -> Path | None:
    """Where the key that signs the entries lies: ``$TEILHABE_RULES_CACHE_KEY`` if set, else
    ``cache-schluessel`` in the platform's user configuration directory (:mod:`platformdirs`:
    ``$XDG_CONFIG_HOME/teilhabe_rules`` or ``~/.config/teilhabe_rules`` on Linux) — outside the
    cache directory, so that a cache restored or shared from elsewhere does not bring the key
    along."""
    setting = os.environ.get("TEILHABE_RULES_CACHE_KEY")
    if setting:
        return Path(setting)
    root = _platform_dir("config")
    if root is None:
        return None
    return root / "cache-schluessel"


_KEY_BYTES = 32


@functools.lru_cache(maxsize=8)
def _secret(path_text: str, folder_text: str) -> bytes | None:
    """The key at ``path_text`` (created with 32 random bytes and mode 0600 where missing), or
    None — with a :class:`CacheWarning` — where it lies inside the cache directory, is not a
    regular file of the user's own that only the user may read, or cannot be had."""
    if path_text == "None":
        return None
    path, folder = Path(path_text), Path(folder_text)
    problem: str | None = None
    with contextlib.suppress(OSError, ValueError):
        if path.resolve().is_relative_to(folder.resolve()):
            problem = "liegt im Cache-Verzeichnis"
    if problem is None:
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                create = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
                fd = os.open(path, create, 0o600)
                import secrets  # only where the key is created

                with os.fdopen(fd, "wb") as handle:
                    handle.write(secrets.token_bytes(_KEY_BYTES))
            fd = os.open(path, _OPEN_FLAGS)
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                key = handle.read(_KEY_BYTES + 1)
        except (OSError, ValueError):
            return None  # no key, no cache: no error either
        if not stat.S_ISREG(info.st_mode) or len(key) != _KEY_BYTES:
            problem = "ist keine Schlüsseldatei"
        elif hasattr(os, "geteuid") and info.st_uid != os.geteuid():
            problem = "gehört einem anderen Benutzer"
        elif hasattr(os, "geteuid") and info.st_mode & 0o077:
            mode = stat.S_IMODE(info.st_mode)
            problem = f"ist für andere lesbar oder beschreibbar (Rechte {mode:04o})"
        else:
            return key
    warnings.warn(
        CacheWarning(
            f"Der Cache ist ausgeschaltet: die Schlüsseldatei „{path}“ {problem}. Hinweis: "
            "TEILHABE_RULES_CACHE_KEY auf eine eigene Datei außerhalb des Cache-Verzeichnisses "
            "setzen, die nur Sie lesen dürfen (sie wird angelegt, wo sie fehlt)"
        ),
        stacklevel=5,
    )
    return None


def _untrusted(info: os.stat_result) -> str | None:
    """Why a directory with these attributes may hold entries someone else planted, or None."""
    if not hasattr(os, "geteuid"):  # Windows: no owner and mode bits to check
        return None
    if info.st_uid != os.geteuid():
        return "gehört einem anderen Benutzer"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"ist für andere beschreibbar (Rechte {stat.S_IMODE(info.st_mode):04o})"
    return None


# --------------------------------------------------------------------------------------
# Keys
# --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _salt() -> bytes:
    """What every key depends on besides the rule files: the library's version, entry format,
    grammar and code.

    Hashing the code means reading every source file, which costs a new process more than the
    rest of finding its entry. So the digest is itself kept in the cache, as an entry named by
    the files' names and stat records — size, modification and change times in nanoseconds,
    inode — as Python's own byte-code cache trusts a source file's modification time and size:
    an edit, a copy or a reinstallation of any file changes its record (the change time cannot
    be set back), so the digest is read anew; an entry that is missing, damaged or forged (the
    keyed checksum) is a miss, and the digest is computed from the contents."""
    # the library's own code and grammar: a changed checker must never meet a model checked by
    # the old one (every .py file, subpackages included, and every grammar file)
    # (os.walk and plain names: a new process pays for this walk, and pathlib's costs it twice)
    package = os.path.dirname(os.path.realpath(__file__))
    sources: list[tuple[str, str]] = []
    for directory, _, names in os.walk(package):
        relative = os.path.relpath(directory, package).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        sources.extend((prefix + name, os.path.join(directory, name)) for name in names if name.endswith(".py"))
    sources.sort()
    grammar = grammar_file()
    sources.append(("grammars/" + grammar.name, str(grammar)))
    head = _MAGIC + b"\0" + __version__.encode() + b"\0"
    stamp = hashlib.sha256(head)
    try:
        for name, source in sources:
            info = os.stat(source)
            stamp.update(f"{name}\0{info.st_size} {info.st_mtime_ns} {info.st_ctime_ns} {info.st_ino}\0".encode())
    except OSError:
        stamp.update(os.urandom(16))  # a file that cannot be stat'ed: a memo never to be found again
    memo = f"code-{stamp.hexdigest()}.entry"
    folder = _usable_dir(create=False)
    known = _read(folder, memo) if folder is not None else None
    if known is not None and len(known) == _SALT_BYTES:
        return known
    digest = hashlib.sha256(head)
    for name, source in sources:
        with open(source, "rb") as handle:
            digest.update(name.encode() + b"\0" + handle.read() + b"\0")
    salt = digest.digest()
    if folder is not None:
        _write(folder, memo, salt)
    return salt


_SALT_BYTES = 32


Depends = Sequence[tuple[str, str]]


def _key(text: str, filename: str, depends: Depends = ()) -> str:
    digest = hashlib.sha256(_salt())
    for name, content in ((filename, text), *depends):
        digest.update(name.encode("utf-8", "surrogatepass") + b"\0")
        digest.update(content.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()


def _model_entry(text: str, filename: str, depends: Depends = ()) -> str:
    return f"model-{_key(text, filename, depends)}.entry"


def _parser_entry() -> str:
    """The parser's entry: the grammar and the library's code (the salt), lark, Python."""
    import sys

    import lark

    digest = hashlib.sha256(_salt())
    digest.update(f"lark {lark.__version__}\0python {sys.version_info[:2]}".encode())
    return f"parser-{digest.hexdigest()}.entry"


# --------------------------------------------------------------------------------------
# Entries: a header line (format and checksum), then the payload
# --------------------------------------------------------------------------------------


def _header(name: str, payload: bytes) -> bytes:
    """The first line of an entry: the format and the keyed checksum (HMAC-SHA256 with the key
    of :func:`key_file`) of the entry's name and payload."""
    key = _secret(str(key_file()), str(cache_dir()))
    if key is None:  # only reached after _usable_dir found the key
        raise OSError("no cache key")
    digest = hmac.new(key, name.encode() + b"\0" + payload, hashlib.sha256).hexdigest()
    return _MAGIC + b" hmac-sha256=" + digest.encode() + b"\n"


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


def _read(folder: Path, name: str) -> bytes | None:
    """The verified payload of entry ``name``, or None: missing, not a regular file (a symbolic
    link, a FIFO, a device), too large, or failing the checksum."""
    try:
        fd = os.open(folder / name, _OPEN_FLAGS)
    except (OSError, ValueError):
        return None
    try:
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
                return None
            blob = handle.read(MAX_ENTRY_BYTES + 1)
    except OSError:
        return None
    head, newline, payload = blob.partition(b"\n")
    try:
        expected = _header(name, payload)
    except OSError:
        return None
    if not newline or not hmac.compare_digest(head + newline, expected):
        return None
    return payload


def _write(folder: Path, name: str, payload: bytes) -> None:
    """Write an entry atomically (a reader sees the old entry, the new one or none)."""
    if len(payload) > MAX_ENTRY_BYTES:
        return
    import tempfile  # only where an entry is written (its import costs a new process ~2 ms)

    temporary: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "wb", dir=folder, prefix=".", suffix=".tmp", delete=False
        ) as handle:
            temporary = handle.name  # created with mode 0600
            handle.write(_header(name, payload))
            handle.write(payload)
        os.replace(temporary, folder / name)
    except OSError:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        # a cache that cannot be written is no error


# --------------------------------------------------------------------------------------
# Checked models
# --------------------------------------------------------------------------------------


def lookup(text: str, filename: str, depends: Depends = ()) -> c.CheckedModel | None:
    """The checked model of ``text`` from an earlier check, or None. ``depends`` are the other
    files (name and text) the model was built from: the bases of a variant."""
    folder = _usable_dir(create=False)
    if folder is None:
        return None
    payload = _read(folder, _model_entry(text, filename, depends))
    if payload is None:
        return None
    try:
        model = serial.decode_model(payload)
    except serial.SerialError:
        return None
    if model.source != text or model.info.file != filename:
        return None
    return model


def store(model: c.CheckedModel, text: str, filename: str, depends: Depends = ()) -> None:
    """Keep ``model`` as the checked model of ``text`` (nothing happens where the cache is off,
    cannot be written or cannot represent the model)."""
    folder = _usable_dir(create=True)
    if folder is None:
        return
    try:
        payload = serial.encode_model(model)
    except serial.SerialError:
        return
    _write(folder, _model_entry(text, filename, depends), payload)


# --------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------

# Options that hold callables in a live parser. In an entry they must have these (data) values:
# the post-lexer is given anew on loading, and nothing else may be set.
_FIXED_OPTIONS: dict[str, Any] = {
    "postlex": None,
    "tree_class": None,
    "transformer": None,
    "edit_terminals": None,
    "lexer_callbacks": {},
    "_plugins": {},
    "parser": "lalr",
    "lexer": "contextual",
    "regex": False,
}
_NAME = re.compile(r"\w{1,200}")


def lookup_parser() -> lark.Lark | None:
    """The built LALR parser from an earlier process, or None."""
    folder = _usable_dir(create=False)
    if folder is None:
        return None
    payload = _read(folder, _parser_entry())
    if payload is None:
        return None
    try:
        return _parser_from_data(serial.decode(payload, classes={}))
    # lark's loader reports malformed data with many exception types (KeyError, TypeError,
    # AssertionError, its own ConfigurationError, …); the data are plain values, so whatever it
    # raises means a damaged or foreign entry: build anew (and overwrite it)
    except Exception:
        return None


def store_parser(parser: lark.Lark) -> None:
    """Keep the built parser (nothing happens where the cache is off or cannot be written)."""
    from lark.grammar import Rule
    from lark.lexer import TerminalDef

    from .syntax.postlex import BracketPostLexer

    folder = _usable_dir(create=True)
    postlex: object = parser.options.postlex  # lark declares a PostLex; ours is one by its methods
    if folder is None or type(postlex) is not BracketPostLexer:
        return
    try:
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        data["options"] = {key: value for key, value in data["options"].items() if key != "postlex"}
        payload = serial.encode({"data": data, "memo": memo})
    except (serial.SerialError, AttributeError, TypeError, KeyError):
        return
    _write(folder, _parser_entry(), payload)


def _parser_from_data(entry: object) -> lark.Lark:
    """A parser from an entry's data, through lark's own deserialisation.

    lark instantiates only its own classes here: ``__type__`` names are looked up in fixed
    namespaces (``Rule``/``TerminalDef``; ``PatternStr``/``PatternRE``; ``Terminal``/
    ``NonTerminal``/``RuleOptions``; ``LexerConf``), objects are made with ``__new__`` and plain
    attribute assignment, and no name is imported or called. What lark would only notice on the
    first parse is checked before: the options must be data of the expected shape (no
    callables to call), every terminal's regular expression must compile, and every rule and
    symbol name must be a plain word, not a dunder name (the builder's methods are looked up by
    rule name).
    """
    import lark
    from lark.lark import LarkOptions

    from .syntax.postlex import BracketPostLexer

    if type(entry) is not dict or set(entry) != {"data", "memo"}:
        raise ValueError("not a parser entry")
    data, memo = entry["data"], entry["memo"]
    if type(data) is not dict or type(memo) is not dict or type(data.get("options")) is not dict:
        raise ValueError("not a parser entry")
    options: dict[str, Any] = data["options"]
    for key, value in options.items():
        if key not in LarkOptions._defaults or not _plain_option(value):  # noqa: SLF001 - lark's option names
            raise ValueError(f"option {key!r}")
        if key in _FIXED_OPTIONS and value != _FIXED_OPTIONS[key]:
            raise ValueError(f"option {key!r}")
    # lark's data loader has no annotations: it returns the Lark it builds
    parser: lark.Lark = lark.Lark._load_from_dict(  # type: ignore[no-untyped-call]  # noqa: SLF001 - lark's data loader
        data, memo, postlex=BracketPostLexer()
    )
    for terminal in parser.terminals:
        if not _NAME.fullmatch(terminal.name):
            raise ValueError("terminal name")
        re.compile(terminal.pattern.to_regexp())
    for rule in parser.rules:
        names = [
            rule.origin.name,
            rule.alias,
            rule.options.template_source,
            *(symbol.name for symbol in rule.expansion),
        ]
        for name in names:
            if name is not None and (
                not isinstance(name, str)
                or not _NAME.fullmatch(name)
                or name.startswith("__")
                and name.endswith("__")
            ):
                raise ValueError("rule name")
    return parser


def _plain_option(value: object) -> bool:
    if value is None or type(value) in (bool, int, str):
        return True
    if type(value) is list:
        return all(type(item) is str for item in value)
    return type(value) is dict and not value
