"""Checks of a generated handbook as files: every page parses with the strict HTML5 parser, and
every reference (``href``, ``src``) names a file of the handbook and, with ``#…``, an ``id`` in it;
and a reader of PNG screenshots. Shared by tests/tools/test_handbook.py and test_handbook_browser.py."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib


def parse_strict(path: Path) -> object:
    """The page's tree; an html5lib ParseError for the first mistake (strict mode)."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_bytes())


def ids_and_references(path: Path) -> tuple[list[str], list[str]]:
    """The ``id`` values of a page (in document order, duplicates kept) and its references."""
    tree = parse_strict(path)
    ids: list[str] = []
    references: list[str] = []
    for element in tree.iter():  # type: ignore[attr-defined]
        if not isinstance(element.tag, str):
            continue
        if "id" in element.attrib:
            ids.append(element.attrib["id"])
        for attribute in ("href", "src"):
            if attribute in element.attrib:
                references.append(element.attrib[attribute])
    return ids, references


def broken_references(directory: Path) -> list[str]:
    """Every reference of every page that does not resolve inside ``directory``: a missing file,
    a missing anchor, or anything outside (a scheme, an absolute path, a parent directory)."""
    pages = {path.name: ids_and_references(path) for path in sorted(directory.glob("*.html"))}
    problems = []
    for name, (ids, references) in pages.items():
        problems.extend(f"{name}: id „{i}“ mehrfach" for i in sorted({i for i in ids if ids.count(i) > 1}))
        for reference in references:
            parts = urlsplit(reference)
            if parts.scheme or parts.netloc or parts.path.startswith("/") or ".." in parts.path:
                problems.append(f"{name}: {reference} führt aus dem Handbuch hinaus")
                continue
            target = unquote(parts.path) or name
            if not (directory / target).is_file():
                problems.append(f"{name}: {reference}: die Datei fehlt")
                continue
            if parts.fragment:
                if target not in pages:
                    problems.append(f"{name}: {reference}: ein Anker in einer Datei, die keine Seite ist")
                elif unquote(parts.fragment) not in pages[target][0]:
                    problems.append(f"{name}: {reference}: der Anker fehlt")
    return problems


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """A PNG screenshot (8 bits per channel, RGB or RGBA, not interlaced) as (width, height, rows
    of RGB pixels): enough to look at what a browser drew without an imaging library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "kein PNG"
    position, chunks, header = 8, [], None
    while position < len(data):
        (length,) = struct.unpack(">I", data[position:position + 4])
        kind = data[position + 4:position + 8]
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
    assert header is not None
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride) if kind else ():
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            else:
                corner = previous[i - channels] if i >= channels else 0
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        rows.append(bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
        previous = line
    return width, height, rows


def colours(rows: list[bytes]) -> set[bytes]:
    """The distinct RGB colours of decoded rows."""
    found: set[bytes] = set()
    for row in rows:
        found.update(row[i:i + 3] for i in range(0, len(row), 3))
    return found
