"""The checker's last pass: templates, examples and properties.

Takes: the templates, examples and properties the names pass collected, the model's nodes and
inputs, a :class:`~teilhabe_rules.check.declared.TypeReader` (expected values) and a
:class:`~teilhabe_rules.check.expressions.Resolver` (properties written as conditions).
Gives: :class:`Examples` (from :func:`check_examples`) — each template as case data, each example
as a :class:`checked.ExampleSpec` (its template's data with its own inputs set, its expectations
typed by the value they name), each property as a :class:`checked.PropertySpec`; reports unknown
templates and paths (with did-you-mean), duplicate examples, examples that expect nothing and
examples that leave out a required input (in a variant: one the variant declares that a template
of its base leaves out, at the input).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from ..errors import did_you_mean
from ..ir import checked as c
from ..ir.checked import TypeKind
from ..ir.text import date_text
from ..paths import PathError, copy_data, set_path
from ..syntax import ast
from .declared import TypeReader
from .expressions import Resolver
from .findings import Fail, Findings, join
from .scopes import Declarations, ScopeInfo, failed_values

__all__ = ["Examples", "check_examples", "literal_to_data"]


@attrs.frozen
class Examples:
    """What the examples pass gives, for the checked model."""

    examples: tuple[c.ExampleSpec, ...]
    properties: tuple[c.PropertySpec, ...]
    templates: dict[str, dict[str, Any]]


def check_examples(findings: Findings, declarations: Declarations, nodes: Mapping[str, c.Node],
                   inputs: Mapping[str, list[c.InputSpec]], reader: TypeReader, resolver: Resolver,
                   parameter_specs: Mapping[str, c.ParameterSpec], header: ast.Header | None = None,
                   bases: Sequence[str] = ()) -> Examples:
    """The templates (each read once, its keys checked whether or not an example uses it), then
    the examples, then the properties. ``header``: the model's, whose validity an example's date
    (``stichtag`` of the example, else its reference-date input) must lie in. ``bases``: a
    variant's base files, nearest first (the files the spans of inherited declarations name)."""
    # what an agreement may name a parameter by (as the agreement's loader takes it): its id, and
    # its name where no other parameter has that name
    by_name: dict[str, list[str]] = {}
    for sym in declarations.symbols.values():
        if sym.kind == "parameter":
            by_name.setdefault(sym.name, []).append(sym.id)
    parameters = {pid: pid for ids in by_name.values() for pid in ids}
    parameters.update({name: ids[0] for name, ids in by_name.items() if len(ids) == 1})
    shared = {name: sorted(ids) for name, ids in by_name.items() if len(ids) > 1}
    tables = {key: sym.id for sym in declarations.symbols.values() if sym.kind == "tabelle"
              for key in (sym.id, sym.name)}
    reading = _Examples(findings, declarations.scopes, nodes, inputs, reader,
                        {name: parameter_specs.get(pid) for name, pid in parameters.items()}, shared,
                        failed_values(declarations.symbols.values(), nodes.values(), declarations.refused,
                                      declarations.packages), tables, header, bases)
    templates = {t.name: reading.template_data(t) for t in declarations.templates}
    examples = reading.examples(declarations.examples, templates)
    reading.required_inputs_given(declarations.examples, declarations.templates, templates)
    properties = reading.properties(declarations.properties, resolver, declarations)
    return Examples(tuple(examples), tuple(properties), templates)


class _Examples:
    def __init__(self, findings: Findings, scopes: Mapping[str, ScopeInfo], nodes: Mapping[str, c.Node],
                 inputs: Mapping[str, list[c.InputSpec]], reader: TypeReader,
                 parameters: Mapping[str, c.ParameterSpec | None], shared_names: dict[str, list[str]],
                 failed: frozenset[str] = frozenset(), tables: Mapping[str, str] | None = None,
                 header: ast.Header | None = None, bases: Sequence[str] = ()):
        # what an example's agreement may set, by its ids and names (None: a parameter whose own
        # declaration is in error, reported there)
        self.parameters = parameters
        self.shared_names = shared_names  # a name of several parameters: their ids
        self.findings = findings
        self.report = findings.report
        self.scopes = scopes
        self.nodes = nodes
        self.inputs = inputs
        self.reader = reader
        self.failed = failed  # the values whose declaration is in error (reported there)
        self.tables = tables or {}  # the tables' ids by id and name: an agreement file's to set
        self.header = header
        # the templates and examples whose inputs are reported (a misspelt key): an input they
        # then leave out is no finding of its own
        self.flawed_templates: set[str] = set()
        self.flawed_examples: set[int] = set()  # (by the example's object: ids repeat across packages)
        # each template's parts given in a form the case loader refuses (a number for a package …):
        # reported at the template's line for an example built on it that keeps them
        self.template_shapes: dict[str, list[_Shape]] = {}
        self.reported_shapes: set[int] = set()
        # how far back in a variant's chain each file lies: the variant's own declarations (whose
        # spans name no file) 0, its base 1, the base's base 2 …
        self.depth = {name: number for number, name in enumerate(bases, start=1)}

    def template_data(self, template: ast.Template) -> dict[str, Any]:
        """A template as case data; a key that names no input is reported, as in an example."""
        data: dict[str, Any] = {}
        reported = self._errors()
        shapes = self.template_shapes.setdefault(template.name, [])
        for assignment in template.assignments:
            if self._set(data, assignment) and self._input_path(assignment.path):
                self._input_values(assignment, values=False)
                shapes.extend(self._shapes(assignment))
        if self._errors() > reported:
            self.flawed_templates.add(template.name)
        return data

    def _errors(self) -> int:
        """How many errors are reported so far."""
        return sum(1 for d in self.findings.diagnostics if d.severity == "fehler")

    def _set(self, data: dict[str, Any], assignment: ast.Assignment) -> bool:
        """Put an ``eingabe``'s value into the case ``data``; whether it went in (else reported:
        a value that is no literal at the value, a path that does not fit the data at the path)."""
        try:
            value = literal_to_data(assignment.value)
        except PathError as exc:
            self.report(str(exc), assignment.value.span, exc.hint)
            return False
        try:
            set_path(data, assignment.path.steps, value)
        except PathError as exc:
            self.report(str(exc), assignment.path.span, exc.hint)
            return False
        return True

    def examples(self, written: list[tuple[ast.Example, str | None, str | None]],
                 templates: Mapping[str, dict[str, Any]]) -> list[c.ExampleSpec]:
        """The examples, each on a copy of its template's data (``templates``, by name)."""
        out = []
        seen: dict[tuple[str | None, str], ast.Example] = {}
        for example, package, package_id in written:
            first = seen.setdefault((package_id, example.id), example)
            if first is not example:
                where = f"im Paket „{package}“" if package else "im Modell"
                self.report(f"Das Beispiel „{example.id}“ ist doppelt", example.span,
                            f"zuerst in Zeile {first.span.line}; die Kennung ist die Test-ID des Beispiels und "
                            f"darf {where} nur einmal vorkommen — benenne eines um")
            data: dict[str, Any] = {}
            if example.base is not None:
                if example.base not in templates:
                    self.report(f"Unbekannte Vorlage „{example.base}“", self._base_span(example),
                                did_you_mean(example.base, templates))
                    continue
                data = copy_data(templates[example.base])
            reported = self._errors()
            for assignment in example.inputs:
                if not self._set(data, assignment):
                    continue
                if self._input_path(assignment.path):
                    # (an example expecting an error may give a wrong value on purpose)
                    self._input_values(assignment, values=not example.expected_errors)
            if not example.expected_errors:
                self._shapes_given(example)
            if self._errors() > reported:
                self.flawed_examples.add(id(example))
            if not example.expected_errors:
                self._date_in_validity(example, data)
            agreement = []
            for assignment in example.agreement:
                agreement.append((str(assignment.path), literal_to_data(assignment.value), assignment.span))
                name = str(assignment.path)
                if name in self.shared_names:
                    full = " oder ".join(f"„{i}“" for i in self.shared_names[name])
                    self.report(f"„{name}“ heißen mehrere Parameter", assignment.path.span,
                                f"schreibe den vollen Namen: {full}")
                elif name not in self.parameters and name in self.tables:
                    self.report(f"„{name}“ ist eine Tabelle: ein Beispiel vereinbart nur Parameter",
                                assignment.path.span, f"die Zeilen einer Tabelle ändert eine Vereinbarungsdatei "
                                f"([tabellen.{self.tables[name]}]) oder eine Variante des Modells")
                elif name not in self.parameters:
                    self.report(f"Das Modell hat keinen Parameter „{name}“", assignment.path.span,
                                did_you_mean(name, self.parameters))
                elif (spec := self.parameters[name]) is not None and not (
                        spec.type.unit.percent and isinstance(assignment.value, ast.Number)
                        and assignment.value.unit is None):
                    # its unit, range and kind, as the agreement's loader checks them (a number
                    # without a unit for a share it reads as percent: checked when it is read)
                    with contextlib.suppress(Fail):
                        self.reader.literal_value(assignment.value, spec.type, f"Der vereinbarte Wert von „{name}“")
            expectations = []
            for assignment in example.expectations:
                expectation = self._expectation(assignment)
                if expectation is not None:
                    expectations.append(expectation)
            if any(not text.strip() for text in example.expected_errors):
                self.report(f"Das Beispiel „{example.id}“ erwartet einen Fehler ohne Text: jeder Fehler passt dazu",
                            example.span, "nenne ein Stück der erwarteten Meldung, z. B. "
                            "erwartet fehler \"liegt außerhalb\"")
            if not example.expectations and not example.expected_errors:
                self.report(f"Das Beispiel „{example.id}“ erwartet nichts", example.span,
                            "ergänze „erwartet PFAD = WERT“ oder „erwartet fehler \"…\"“")
            out.append(c.ExampleSpec(example.id, example.title, package, data, tuple(agreement), tuple(expectations),
                                     example.expected_errors, example.span, at=example.at, package_id=package_id))
        return out

    def _shapes_given(self, example: ast.Example) -> None:
        """Report a package, a list or an element that ``example`` (expecting no error) gives in
        a form the case loader refuses — ``eingabe p = 5`` for the package ``p``: at the value,
        and where its template gives it (and the example does not give that part itself) at the
        template's line, once for all examples built on it."""
        own = []
        for assignment in example.inputs:
            if self._place(assignment.path) is not None:
                own.append(tuple(assignment.path.steps))
                for shape in self._shapes(assignment):
                    self.report(shape.message, shape.span, shape.hint)
        for shape in self.template_shapes.get(example.base or "", []) if example.base is not None else []:
            if id(shape) in self.reported_shapes or any(
                    steps[:len(shape.steps)] == shape.steps[:len(steps)] for steps in own):
                continue
            self.reported_shapes.add(id(shape))
            self.report(shape.message, shape.span, shape.hint)

    def _shapes(self, assignment: ast.Assignment) -> list[_Shape]:
        """The parts of an ``eingabe`` (or a template's line) given in a form the case loader
        refuses: a package not given as a record, a list not as a list, an element neither as a
        record nor as the name of its file (a text)."""
        place = self._place(assignment.path)
        if place is None:
            return []
        out: list[_Shape] = []
        self._shape_at(place[0], place[1], assignment.value, str(assignment.path), tuple(assignment.path.steps), out)
        return out

    def _shape_at(self, scope: str, names: list[str], value: ast.Expression, shown: str,
                  steps: tuple[str | int, ...], out: list[_Shape]) -> None:
        if not names:  # an element given whole
            if isinstance(value, ast.RecordLiteral):
                for key, item in value.fields:
                    self._shape_at(scope, [key], item, f"{shown}.{key}", (*steps, key), out)
            elif not isinstance(value, ast.Text):
                listed = self.scopes[scope]["name"]
                out.append(_Shape(steps, f"„{shown}“ ist ein Element der Liste „{listed}“ und muss ein Datensatz "
                                  "sein: der Fall würde abgelehnt", value.span,
                                  f"gib es als Datensatz an, z. B. {shown} = {{{self._first_key(scope, ())} = WERT}}, "
                                  "oder als Text den Pfad einer TOML-/JSON-Datei"))
            return
        if len(names) != 1:
            return
        name = names[0]
        inner = [spec.path for spec in self.inputs.get(scope, []) if len(spec.path) > 1 and spec.path[0] == name]
        child = join(scope, name)
        if inner:  # a package
            if isinstance(value, ast.RecordLiteral):
                for key, item in value.fields:
                    self._shape_at(scope, [name, key], item, f"{shown}.{key}", (*steps, key), out)
                return
            first = self._first_key(scope, (name,))
            out.append(_Shape(steps, f"„{shown}“ ist ein Paket und muss ein Datensatz mit seinen Eingaben sein: "
                              "der Fall würde abgelehnt", value.span,
                              f"gib seine Eingaben als Datensatz an, z. B. {shown} = {{{first} = WERT}}, "
                              f"oder einzeln: {shown}.{first} = WERT"))
        elif child in self.scopes and child in self.scopes[scope]["lists"]:
            if isinstance(value, ast.ListLiteral):
                for number, element in enumerate(value.items, start=1):
                    self._shape_at(child, [], element, f"{shown}[{number}]", (*steps, number), out)
                return
            out.append(_Shape(steps, f"„{shown}“ ist eine Liste und muss als Liste von Datensätzen gegeben sein: "
                              "der Fall würde abgelehnt", value.span,
                              f"schreibe {shown} = [{{{self._first_key(child, ())} = WERT}}, …] "
                              f"oder einzeln: {shown}[1].{self._first_key(child, ())} = WERT"))

    def _first_key(self, scope: str, prefix: tuple[str, ...]) -> str:
        """The first input (else list) that a record of ``scope`` under ``prefix`` may give."""
        for spec in self.inputs.get(scope, []):
            if spec.path[:len(prefix)] == prefix and len(spec.path) > len(prefix):
                return spec.path[len(prefix)]
        lists = [self.scopes[child]["name"] for child in self.scopes[scope]["lists"]] if scope in self.scopes else []
        return lists[0] if lists and not prefix else "NAME"

    def required_inputs_given(self, written: list[tuple[ast.Example, str | None, str | None]],
                              declared: Sequence[ast.Template], templates: Mapping[str, dict[str, Any]]) -> None:
        """Report a required input that an example (with its template) does not give, where it
        expects no error: running it would refuse its case (``fehlt (Pflichtangabe)``), as
        ``teilhabe-rules test`` would tell only then. Reported once per example at the example,
        naming the inputs — except a required input a variant declares (anew, or in a package or
        list it replaces) that a template of its base does not give: that is reported once per
        template and input, at the input's declaration (the variant's line), naming the template
        and the examples built on it."""
        spans = {t.name: t.span for t in declared}
        lacking: dict[str, dict[str, int]] = {}  # what each template leaves out by itself (in its order)
        # each input a variant declares that a template leaves out: its data paths (in every
        # element of a list concerned) and the examples
        inherited: dict[tuple[str, str], tuple[dict[str, None], c.InputSpec, dict[str, None]]] = {}
        for example, _package, _id in written:
            name = example.base
            if (example.expected_errors or (name is not None and name not in templates)
                    or id(example) in self.flawed_examples or name in self.flawed_templates):
                continue  # (a case meant to be refused; an unknown template or a misspelt key, reported)
            data = copy_data(templates[name]) if name is not None else {}
            given = []
            for assignment in example.inputs:
                with contextlib.suppress(PathError):  # (reported with the example)
                    set_path(data, assignment.path.steps, literal_to_data(assignment.value))
                    given.append(str(assignment.path))
            left_out = set()
            if name is not None:
                if name not in lacking:
                    lacking[name] = {shown: number for number, (shown, _) in
                                     enumerate(self._missing_inputs("", templates[name], ""))}
                # (what the template leaves out, where the example does not give that part itself)
                left_out = {shown for shown in lacking[name] if not any(
                    shown == path or shown.startswith((path + ".", path + "[")) for path in given)}
            span = spans.get(name) if name is not None else None
            own: list[str] = []
            for shown, spec in self._missing_inputs("", data, ""):
                if (span is not None and span.file is not None and shown in left_out
                        and self._depth(spec.span) < self._depth(span)):
                    assert name is not None
                    found = inherited.setdefault((name, spec.id), ({}, spec, {}))
                    found[0][shown] = None
                    found[2][example.id] = None
                else:
                    own.append(shown)
            if own:
                listed = ", ".join(f"„{shown}“" for shown in own)
                which = f"fehlt die Pflichtangabe {listed}" if len(own) == 1 else f"fehlen die Pflichtangaben {listed}"
                template = f" (auch in der Vorlage „{name}“)" if left_out.issuperset(own) else ""
                self.report(f"Im Beispiel „{example.id}“ {which}{template}: der Fall würde abgelehnt",
                            example.span, f"gib sie an (eingabe {own[0]} = WERT) oder erwarte die Ablehnung "
                                          "(erwartet fehler \"Pflichtangabe\")")
        for (name, _), (paths, spec, named) in inherited.items():
            span = spans[name]
            ids = list(named)
            cases = (f"das Beispiel „{ids[0]}“ würde" if len(ids) == 1
                     else "die Beispiele " + ", ".join(f"„{i}“" for i in ids) + " würden")
            # (in every element of a list that lacks it, in the template's order)
            elements = sorted(paths, key=lacking[name].__getitem__)
            listed = _listed(elements)
            if len(elements) == 1:
                which, give, more = f"Die Pflichtangabe {listed} fehlt", listed, ""
            else:
                which, give, more = f"Die Pflichtangaben {listed} fehlen", "sie", ", …"
            self.report(f"{which} in der Vorlage „{name}“ des Basismodells "
                        f"({span.file}:{span.line}): {cases} abgelehnt", spec.span,
                        f"gib {give} im Beispiel an (eingabe {elements[0]} = WERT{more}), "
                        f"ersetze die Vorlage in der Variante (vorlage {name} … ende, mit {listed}) oder gib der "
                        "Eingabe einen Standardwert (standard WERT)")

    def _depth(self, span: ast.Span) -> int:
        """How far back in a variant's chain the file of ``span`` lies (0: the variant itself)."""
        return 0 if span.file is None else self.depth.get(span.file, len(self.depth) + 1)

    def _missing_inputs(self, scope: str, data: Mapping[str, Any], prefix: str) -> Iterator[tuple[str, c.InputSpec]]:
        """The required inputs of ``scope`` that ``data`` (a case, or an element of a list) does
        not give, each with its data path; into the elements of lists given as lists. A part on
        the way that is given as something else (``p = 5`` for a package) is no missing input:
        it is reported for its kind (:meth:`_shapes_given`), as the loader refuses it."""
        for spec in self.inputs.get(scope, []):
            if not spec.required:
                continue
            node: Any = data
            for step in spec.path:
                if node is None or not isinstance(node, dict):
                    break  # (a part not given: missing; a part given as something else: refused for that)
                node = node.get(step)
            if node is None:
                yield prefix + ".".join(spec.path), spec
        for child in self.scopes[scope]["lists"] if scope in self.scopes else []:
            name = self.scopes[child]["name"]
            elements = data.get(name)
            if isinstance(elements, list):
                for number, element in enumerate(elements, start=1):
                    if isinstance(element, dict):
                        yield from self._missing_inputs(child, element, f"{prefix}{name}[{number}].")

    def _date_in_validity(self, example: ast.Example, data: Mapping[str, Any]) -> None:
        """Report an example whose evaluation date lies outside the model's validity — its
        ``stichtag`` line, else the date its reference-date input is given (by the example or its
        template): evaluating it could only refuse the case. (A date the case loader reads from a
        text is left to it.)"""
        header = self.header
        if header is None or header.valid_from is None:
            return
        span: ast.Span | None = None
        hint = None
        if example.at is not None:
            day, source = example.at, "„stichtag“ des Beispiels"
            span = self._line_span(example, re.compile(r"^(\s*)stichtag\b"))
            hint = "gib mit „stichtag TT.MM.JJJJ“ einen Tag in der Gültigkeit an"
        elif header.reference_date is not None:
            steps = header.reference_date.steps
            node: Any = data
            for step in steps:
                node = node.get(step) if isinstance(node, dict) and isinstance(step, str) else None
            if type(node) is not _dt.date:
                return
            day = node
            shown = str(header.reference_date)
            source = f"Stichtag „{shown}“"
            written = [a for a in example.inputs if a.path.steps == steps]
            if written:
                span = written[-1].value.span
            else:
                span = self._base_span(example)
                source += f" aus der Vorlage „{example.base}“"
            hint = f"gib im Beispiel einen Tag in der Gültigkeit an: eingabe {shown} = TT.MM.JJJJ"
        else:
            return
        if header.valid_from <= day and (header.valid_to is None or day <= header.valid_to):
            return
        validity = f"gültig ab {date_text(header.valid_from)}" + (
            f" bis {date_text(header.valid_to)}" if header.valid_to is not None else "")
        self.report(f"Das Beispiel „{example.id}“ wird am {date_text(day)} ausgewertet ({source}), außerhalb der "
                    f"Gültigkeit von „{header.name}“ ({validity}): der Fall würde abgelehnt", span or example.span,
                    hint, code="gültigkeit")

    def _line_span(self, example: ast.Example, pattern: re.Pattern[str]) -> ast.Span | None:
        """The span of the first line of ``example`` that ``pattern`` matches (from its indent)."""
        lines = self.findings.lines
        for number in range(example.span.line, min(example.span.end_line, len(lines)) + 1):
            match = pattern.match(lines[number - 1])
            if match:
                return ast.Span(number, match.end(1) + 1, number, len(lines[number - 1].rstrip()) + 1)
        return None

    def _input_path(self, path: ast.Path) -> bool:
        """Report an example's ``eingabe PATH`` that names no input of the model (a list, an
        element of one or a package's table given whole names its inputs); whether it names one."""
        place = self._place(path)
        if place is None:
            return False  # (the shape of the path: set_path's, then the case loader's, to report)
        scope, names = place
        if not names:
            return True  # an element given whole
        written = tuple(names)
        paths = [spec.path for spec in self.inputs.get(scope, [])]
        lists = [self.scopes[child]["name"] for child in self.scopes[scope]["lists"]] if scope in self.scopes else []
        if any(p[:len(written)] == written for p in paths) or len(written) == 1 and written[0] in lists:
            return True
        wrong = ".".join(written)
        if join(scope, wrong) in self.failed:  # (an input refused where it is defined)
            return False
        known = [".".join(p) for p in paths] + lists
        self.report(f"„{path}“ bezeichnet keine Eingabe des Modells", path.span,
                    did_you_mean(wrong, known) or _named_here(known, scope))
        return False

    def _place(self, path: ast.Path) -> tuple[str, list[str]] | None:
        """The scope a data path leads into and the names after its last index (none: an element
        given whole); None where an index follows no list of the model."""
        scope, names = "", list[str]()
        for step in path.steps:
            if isinstance(step, int):
                child = join(scope, names[0]) if len(names) == 1 else None
                if child is None or child not in self.scopes:
                    return None
                scope, names = child, []
            else:
                names.append(step)
        return scope, names

    def _input_values(self, assignment: ast.Assignment, values: bool = True) -> None:
        """Report a key of a table, an element or a list given whole that names no input (a
        typo inside a template's ``bewohner = [{…}]``), and — with ``values`` — a value of an
        example's ``eingabe`` that its input does not take (a number out of its range or choices,
        of another unit, a fraction for a whole number, a member its enumeration lacks …): at the
        key or value, where evaluating the example would name its data path alone."""
        place = self._place(assignment.path)
        if place is not None:
            self._value_at(place[0], place[1], assignment.value, str(assignment.path), values)

    def _value_at(self, scope: str, names: list[str], value: ast.Expression, shown: str,
                  values: bool = True) -> None:
        written = tuple(names)
        spec = next((s for s in self.inputs.get(scope, []) if s.path == written), None)
        if spec is not None:
            vtype = spec.type
            # as a literal of the rule file is checked (a default, a parameter), where the case
            # loader reads the example's data alike: not a text it reads as a number, date, key or
            # member, nor a number without a unit, which it reads in percent for a share
            if values and not (isinstance(value, ast.Text) and vtype.kind != TypeKind.TEXT or vtype.unit.percent
                               and isinstance(value, ast.Number) and value.unit is None):
                with contextlib.suppress(Fail):
                    self.reader.literal_value(value, vtype, f"Die Eingabe „{shown}“")
            return
        child = join(scope, names[0]) if len(names) == 1 else None
        if isinstance(value, ast.ListLiteral) and child is not None and child in self.scopes:
            for number, element in enumerate(value.items, start=1):
                if isinstance(element, ast.RecordLiteral):
                    for key, item in element.fields:
                        if self._known_key(child, [key], item, f"{shown}[{number}].{key}"):
                            self._value_at(child, [key], item, f"{shown}[{number}].{key}", values)
        elif isinstance(value, ast.RecordLiteral) and not (child is not None and child in self.scopes):
            # (a list given as one record is no package: reported for its form, not for its keys)
            for key, item in value.fields:
                if self._known_key(scope, [*names, key], item, f"{shown}.{key}"):
                    self._value_at(scope, [*names, key], item, f"{shown}.{key}", values)

    def _known_key(self, scope: str, names: list[str], value: ast.Expression, shown: str) -> bool:
        """Whether the key ending ``names`` (inside a record or element given whole) leads to an
        input of ``scope`` — an input, a package's table of inputs or a list; else reported at
        the key, with the keys that may stand there."""
        written = tuple(names)
        paths = [spec.path for spec in self.inputs.get(scope, [])]
        lists = [self.scopes[c]["name"] for c in self.scopes[scope]["lists"]] if scope in self.scopes else []
        if any(p[:len(written)] == written for p in paths) or len(written) == 1 and written[0] in lists:
            return True
        if join(scope, ".".join(written)) in self.failed:  # (an input refused where it is defined)
            return False
        prefix = written[:-1]
        here = sorted({p[len(prefix)] for p in paths if p[:len(prefix)] == prefix and len(p) > len(prefix)}
                      | (set(lists) if not prefix else set()))
        where = f"„{'.'.join(prefix)}“ hat" if prefix else f"„{self.scopes[scope]['name']}“ hat" if scope else "es gibt"
        hint = did_you_mean(written[-1], here) or (f"{where} die Eingaben: {', '.join(here[:8])}"
                                                   + (" …" if len(here) > 8 else "") if here else None)
        self.report(f"„{shown}“ bezeichnet keine Eingabe des Modells", self._key_span(written[-1], value), hint)
        return False

    def _key_span(self, key: str, value: ast.Expression) -> ast.Span:
        """The span of ``key`` in ``key = value`` inside a record (the AST keeps the value's)."""
        span = value.span
        lines = self.findings.lines_of(span)
        if 0 < span.line <= len(lines):
            match = re.search(rf"(?<!\w)({re.escape(key)})\s*=\s*$", lines[span.line - 1][:span.column - 1])
            if match:
                return ast.Span(span.line, match.start(1) + 1, span.line, match.end(1) + 1, span.file)
        return span

    def _base_span(self, example: ast.Example) -> ast.Span:
        """The span of the template name in ``basis NAME`` (the AST keeps only the example's span)."""
        lines = self.findings.lines
        pattern = re.compile(r"^(\s*basis\s+)" + re.escape(example.base or "") + r"(?!\w)")
        for number in range(example.span.line, min(example.span.end_line, len(lines)) + 1):
            match = pattern.match(lines[number - 1])
            if match:
                column = match.end(1) + 1
                return ast.Span(number, column, number, column + len(example.base or ""))
        return example.span

    def _path_target(self, path: ast.Path) -> tuple[c.ValueType, bool] | None:
        """The type at a data path (``bewohner[1].lp2a.stufe``) and whether it is an input;
        None after reporting a path that names nothing."""
        scope = ""
        names: list[str] = []
        for step in path.steps:
            if isinstance(step, int):
                if not names or join(scope, names[-1]) not in self.scopes:
                    self.report(f"„{path}“: ein Index folgt nur auf eine Liste", path.span)
                    return None
                scope = join(scope, names.pop())
                if names:
                    self.report(f"„{path}“ ist kein Pfad zu einem Wert", path.span)
                    return None
                most = self.scopes[scope]["max"]
                if most is not None and step > most:
                    listed = self.scopes[scope]["name"]
                    elements = "Element" if most == 1 else "Elemente"
                    self.report(f"„{path}“: die Liste „{listed}“ hat höchstens {most} {elements}, ein Element "
                                f"[{step}] gibt es in keinem Fall", path.span,
                                f"das letzte mögliche Element ist {listed}[{most}] (gezählt ab 1)")
                    return None
            else:
                names.append(step)
        key = ".".join(names)
        node = self.nodes.get(join(scope, key))  # a value's id is its scope and key
        if node is None or node.scope != scope or node.key != key:
            node = next((n for n in self.nodes.values() if n.scope == scope and n.key == key), None)
        if node is not None:
            return node.type, False
        spec = next((i for i in self.inputs.get(scope, []) if i.key == key), None)
        if spec is not None:
            return spec.type, True
        if join(scope, key) in self.failed:
            return None
        candidates = [n.key for n in self.nodes.values() if n.scope == scope]
        candidates += [i.key for i in self.inputs.get(scope, [])]
        hint = did_you_mean(key, candidates)
        if hint is None and scope == "" and any(sid.split(".")[0] == names[0] for sid in self.scopes if sid):
            hint = f"ein Wert in einer Liste braucht den Index, z. B. {names[0]}[1].…"
        self.report(f"„{path}“ bezeichnet keinen Wert des Modells", path.span, hint)
        return None

    def _expectation(self, assignment: ast.Assignment) -> c.ExpectationSpec | None:
        found = self._path_target(assignment.path)
        if found is None:
            return None
        target = found[0]
        try:
            expected_type = c.ValueType(target.kind, target.unit, enum=target.enum)
            value = self.reader.literal_value(assignment.value, expected_type, "Der erwartete Wert")
        except Fail:
            return None
        return c.ExpectationSpec(tuple(assignment.path.steps), value, target, assignment.span)

    def properties(self, written: list[ast.Property], resolver: Resolver,
                   declarations: Declarations) -> list[c.PropertySpec]:
        out = []
        ctx = declarations.place("", None, "eigenschaft")
        for prop in written:
            if prop.expr is not None:
                try:
                    ir = resolver.resolve(prop.expr, ctx)
                except Fail:
                    continue
                if ir.type.kind != TypeKind.JA_NEIN:
                    self.report("Eine Eigenschaft ist eine Bedingung (ja/nein)", prop.expr.span)
                    continue
                out.append(c.PropertySpec(prop.title, prop.span, expr=ir))
            else:
                assert prop.target is not None and prop.by is not None
                target = self._path_target(prop.target)
                by = self._path_target(prop.by)
                if target is None or by is None:
                    continue
                target_type, by_type = target[0], by[0]
                if not (
                    target_type.kind == TypeKind.ZAHL
                    or target_type.kind == TypeKind.ENUM and target_type.enum is not None and target_type.enum.numeric
                ):
                    self.report(f"„{prop.target}“ ist keine Zahl und kann nicht {prop.direction} sein",
                                prop.target.span)
                    continue
                if not by[1] or not (
                    by_type.kind == TypeKind.ZAHL
                    or by_type.kind == TypeKind.ENUM and by_type.enum is not None and by_type.enum.numeric
                ):
                    self.report(f"Nach „mit“ steht eine Eingabe mit Zahlenwerten, „{prop.by}“ ist keine", prop.by.span,
                                "die Eigenschaft erhöht diese Eingabe und vergleicht den Wert davor und danach")
                    continue
                out.append(c.PropertySpec(prop.title, prop.span, direction=prop.direction, target=prop.target.steps,
                                          by=prop.by.steps))
        return out


@attrs.frozen(eq=False)
class _Shape:
    """A part of an example's or template's data given in a form the case loader refuses."""

    steps: tuple[str | int, ...]  # its data path
    message: str
    span: ast.Span
    hint: str


def literal_to_data(expr: ast.Expression) -> Any:
    """A literal as case data (quantities with units as text such as ``"15 min/Tag"``)."""
    if isinstance(expr, ast.Number):
        return expr.value if expr.unit is None else f"{expr.value} {expr.unit.text}"
    if isinstance(expr, ast.KeyLiteral):
        return f"1:{expr.divisor}"
    if isinstance(expr, (ast.Text, ast.DateLiteral, ast.Truth)):
        return expr.value
    if isinstance(expr, ast.Name):
        return expr.name
    if isinstance(expr, ast.Attribute) and isinstance(expr.obj, ast.Name):
        return expr.name
    if isinstance(expr, ast.ListLiteral):
        return [literal_to_data(i) for i in expr.items]
    if isinstance(expr, ast.RecordLiteral):
        return {k: literal_to_data(v) for k, v in expr.fields}
    raise PathError("Hier steht nur ein fester Wert (Zahl, Text, Datum, ja/nein, Liste, Datensatz)")


def _listed(paths: Sequence[str]) -> str:
    """Data paths named in a message: all of up to four, else the first three and how many more."""
    quoted = [f"„{path}“" for path in paths]
    if len(quoted) > 4:
        return f"{', '.join(quoted[:3])} und {len(quoted) - 3} weitere"
    return f"{', '.join(quoted[:-1])} und {quoted[-1]}" if len(quoted) > 1 else quoted[0]


def _named_here(known: list[str], scope: str) -> str:
    """The hint naming the inputs (and lists) a path of ``scope`` may name: the first few."""
    where = f"in „{scope}“" if scope else "auf oberster Ebene"
    if not known:
        return f"das Modell hat {where} keine Eingaben"
    shown = ", ".join(known[:8]) + (" …" if len(known) > 8 else "")
    return f"Eingaben {where}: {shown}"
