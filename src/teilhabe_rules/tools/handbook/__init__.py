"""The handbook of a model: static HTML pages for the people who write and sign tariffs.

Takes: a loaded :class:`~teilhabe_rules.model.Model`, optionally an agreement (its agreed
values are shown beside the model's) and an older version of the model (its changes are listed
and moved corridor bounds drawn). Gives: the pages (:func:`render_handbook`: file name → text) —
an overview (``index.html``: header, validity, sources, packages, inputs, parameters with their
assumptions, staff keys, tables, examples, coverage, changes), one page per package
(``paket-….html``: levels, the corridor chart, inputs, values, checks, examples) and one
stylesheet — and :func:`write_handbook`, which writes them to a directory. The pages need no
network and no script; German throughout.

How: :mod:`.content` reads the model through the public APIs (the IR toolkit, the example
coverage, the diff, the evaluation of the examples) into records whose texts are already
formatted (:mod:`.numbers`); :mod:`.charts` draws the corridors as SVG; the Jinja2 templates in
``templates/`` (autoescaped) lay them out. The output depends only on the model, the agreement
and the older version: generating twice gives the same bytes.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import jinja2

from ...atomic import write_atomic
from ...errors import CaseError, Diagnostic
from ...files import write_problem
from ...inputs.agreements import Agreement
from ...model import Model
from .content import OVERVIEW, Handbook, build

__all__ = ["OVERVIEW", "Handbook", "build", "render_handbook", "write_handbook"]

STYLESHEET = "handbuch.css"


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    """The template environment (autoescape on for every template)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("teilhabe_rules.tools.handbook", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_handbook(model: Model, agreement: Agreement | None = None, previous: Model | None = None) -> dict[str, str]:
    """The handbook's files by name: ``index.html``, one page per package, the stylesheet."""
    handbook = build(model, agreement, previous)
    env = _environment()
    pages = {OVERVIEW: env.get_template("index.html.j2").render(hb=handbook, current=OVERVIEW, page_title="Überblick")}
    template = env.get_template("paket.html.j2")
    for package in handbook.packages:
        pages[package.file] = template.render(hb=handbook, package=package, current=package.file,
                                              page_title=package.title)
    pages[STYLESHEET] = resources.files(__name__).joinpath("templates", STYLESHEET).read_text("utf-8")
    return pages


def write_handbook(model: Model, out: str | Path, agreement: Agreement | None = None,
                   previous: Model | None = None) -> list[Path]:
    """Write the handbook into the directory ``out`` (created if missing); the files written. The
    pages are made first: a model or agreement that fails leaves ``out`` untouched. A directory that
    cannot be made or written is a :class:`~teilhabe_rules.errors.CaseError` (as for every output)."""
    pages = render_handbook(model, agreement, previous)
    directory = Path(out)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CaseError(Diagnostic(f"Das Verzeichnis „{directory}“ lässt sich nicht anlegen: {write_problem(exc)}",
                                   hint="--out nennt das Verzeichnis, in das das Handbuch geschrieben wird",
                                   code="ausgabe")) from None
    written = []
    for name, text in pages.items():
        write_atomic(directory / name, text)
        written.append(directory / name)
    return written
