"""Checks of a generated handbook as files: every page parses with the strict HTML5 parser, and
every reference (``href``, ``src``) names a file of the handbook and, with ``#…``, an ``id`` in it.
Shared by the handbook's tests (tests/tools/test_handbook.py, tests/tools/test_handbook_browser.py)."""

from __future__ import annotations

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
