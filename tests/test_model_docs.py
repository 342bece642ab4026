"""The hand-written model descriptions (docs/models/*.md) state the models' numbers truly.

Every table row where a description names a parameter in backticks and gives a value right after it
(``| `njaz` | 1.650 h/VK/Jahr |``, ```lp0_indirekt` 0 %``, ```lp2a_grenze_0/1/2/3` 0 / 7 / 21 / 37
min/Tag``, ```lp2c_reinigung` 1:28.41``, ``| `abwesenheit_kuerzt_grundpauschale` | ja |``), every
table it names with its values (``| `lp1a_zeit` | 0 / 40 / 80 / 160 min/Tag |``, ``1 → 100 %, 2 →
65 %``) and the two tables bei_nrw3.md prints as grids is compared with the checked model.

Every other number of a page (prose, tables, worked examples, code blocks) must be one its models
know: a parameter, table, level or rule-file constant, or a figure of evaluating the models'
``beispiel`` blocks and the example cases under examples/ (with and without the bundled agreement
and the parameter overrides the page documents), exactly or rounded half up (or cut, before „…“)
to the places the page shows; a number the page writes with a unit (``15 min/Tag``, ``0,48 VK``,
``45 %``) must be a figure of the models in that unit. Legal paragraphs, section and list numbers,
versions and years are not read as figures; dates are checked on their own (a validity date, a
dated value, a date of an example case or of a message). What remains is in ALLOWED /
ALLOWED_DATES with its reason. The models are evaluated once per run (``known``). The generated
handbook (``teilhabe-rules handbuch``) shows all of a model's numbers; these descriptions explain
them.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import itertools
import json
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

import teilhabe_rules
from teilhabe_rules.ir import checked as c
from teilhabe_rules.tools.compare import compare
from teilhabe_rules.tools.example_coverage import example_coverage

ROOT = Path(__file__).resolve().parent.parent
DOCS = {"mawo": ROOT / "docs" / "models" / "mawo.md", "bei_nrw3": ROOT / "docs" / "models" / "bei_nrw3.md"}

NUMBER = r"[−-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?|[−-]?\d+(?:,\d+)?"
# a value right after a name: a staff key, a list of numbers with one unit, a truth value or a member
VALUE = re.compile(
    rf"\s*(?:\|\s*)?(?:(?P<key>1:\d+(?:[.,]\d+)?)|(?P<numbers>(?:{NUMBER})(?:\s*/\s*(?:{NUMBER}))*)"
    rf"(?:\s*(?P<unit>%|[A-Za-zÄÖÜäöü]+(?:/[A-Za-zÄÖÜäöü]+)*))?|(?P<truth>ja|nein)\b|`(?P<member>[\w]+)`)")
NAMED = re.compile(r"`(?P<name>[a-z][a-z0-9_]*)(?P<suffixes>(?:/[0-9a-z]+)+|…[0-9]+)?`")


def german(text: str) -> Decimal:
    """``1.650`` → 1650, ``68,95`` → 68.95, ``−1`` → -1 (as the descriptions write numbers)."""
    return Decimal(text.replace("−", "-").replace(".", "").replace(",", "."))


def _names(match: re.Match[str]) -> list[str]:
    """```lp2a_grenze_0/1/2/3``` → four names; ```lp3b_grenze_1…4``` → four."""
    name, suffixes = match["name"], match["suffixes"]
    if not suffixes:
        return [name]
    stem = re.sub(r"[0-9a-z]+$", "", name)
    if suffixes.startswith("…"):
        first = int(re.search(r"(\d+)$", name)[1])  # type: ignore[index]
        return [f"{stem}{n}" for n in range(first, int(suffixes[1:]) + 1)]
    return [name, *(stem + s for s in suffixes.strip("/").split("/"))]


def _shown(value: Any, vtype: c.ValueType) -> Any:
    """A parameter's value as the descriptions state it (a share in per cent)."""
    if isinstance(value, Decimal) and vtype.unit.percent:
        return value.scaleb(2)
    return value


def stated_parameters(text: str, model: c.CheckedModel) -> list[tuple[int, str, Any, Any]]:
    """(line, parameter, stated, the model's) for every value stated right after a parameter's name
    in a table row (prose names values of examples and agreements too: ```lp3a_poolanteil` = 100 %
    rechnet …``)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("|"):
            continue
        for match in NAMED.finditer(line):
            names = _names(match)
            if not all(n in model.parameters for n in names):
                continue
            value = VALUE.match(line, match.end())
            if value is None:
                continue
            specs = [model.parameters[n] for n in names]
            if value["key"]:
                stated: list[Any] = [Decimal(value["key"][2:].replace(",", "."))]
            elif value["numbers"]:
                stated = [german(part) for part in re.split(r"\s*/\s*", value["numbers"])]
            elif value["truth"]:
                stated = [value["truth"] == "ja"]
            else:
                stated = [value["member"]]
            if len(stated) != len(specs):
                continue  # a list of other numbers follows (e.g. a range), not the names' values
            for spec, said in zip(specs, stated, strict=True):
                found.append((number, spec.name, said, _shown(spec.default, spec.type)))
    return found


def stated_tables(text: str, model: c.CheckedModel) -> list[tuple[int, str, Any, Any]]:
    """(line, table, stated, the model's) for the value lists and ``key → value`` pairs in a table
    row that names a table of numbers (``| `lp1a_zeit` | 0 / 40 / 80 / 160 min/Tag |``)."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if len(cells) < 2 or not re.fullmatch(r"`\w+`", cells[0]) or cells[0].strip("`") not in model.tables:
            continue
        table = model.tables[cells[0].strip("`")]
        if table.value_type.kind is not c.TypeKind.ZAHL:
            continue
        values = [_shown(row.value, table.value_type) for row in table.rows]
        pairs = re.findall(rf"(?<![\w–])(\d+) → ({NUMBER})", cells[1])
        listed = re.search(rf"(?:{NUMBER})(?:\s*(?:/|%,)\s*(?:{NUMBER}))+", cells[1])
        if pairs:
            mapping = table.mapping()
            for key, said in pairs:
                found.append((number, f"{table.name}[{key}]", german(said),
                              _shown(mapping.get(int(key)), table.value_type)))
        elif listed:
            stated = [german(n) for n in re.findall(NUMBER, listed.group(0))]
            found.append((number, table.name, stated, values[-len(stated):]))
    return found


@pytest.fixture(scope="module", params=sorted(DOCS))
def described(request: pytest.FixtureRequest) -> tuple[str, str, c.CheckedModel]:
    name = request.param
    return name, DOCS[name].read_text("utf-8"), teilhabe_rules.bundled(name).checked


def test_parameter_values_are_the_models(described: tuple[str, str, c.CheckedModel]) -> None:
    name, text, model = described
    wrong = [f"{name}.md:{line}: {what} = {said}, das Modell sagt {truth}"
             for line, what, said, truth in stated_parameters(text, model) if said != truth]
    assert wrong == []


def test_table_values_are_the_models(described: tuple[str, str, c.CheckedModel]) -> None:
    name, text, model = described
    wrong = [f"{name}.md:{line}: {what} = {said}, das Modell sagt {truth}"
             for line, what, said, truth in stated_tables(text, model) if said != truth]
    assert wrong == []


def test_every_parameter_is_stated(described: tuple[str, str, c.CheckedModel]) -> None:
    """The parameter tables list every parameter with its value: none is left unchecked."""
    name, text, model = described
    stated = {what for _, what, _, _ in stated_parameters(text, model)}
    assert sorted(set(model.parameters) - stated) == []


def test_a_wrong_number_is_found() -> None:
    model = teilhabe_rules.bundled("mawo").checked
    text = DOCS["mawo"].read_text("utf-8")
    for right, wrong in (("| `njaz` | 1.650 h/VK/Jahr", "| `njaz` | 1.651 h/VK/Jahr"),
                         ("`lp2a_grenze_0/1/2/3` 0 / 7 / 21 / 37", "`lp2a_grenze_0/1/2/3` 0 / 7 / 22 / 37"),
                         ("`lp2c_reinigung` 1:28.41", "`lp2c_reinigung` 1:28.42"),
                         ("`lp0_indirekt` 0 %", "`lp0_indirekt` 5 %")):
        assert right in text
        mistakes = [item for item in stated_parameters(text.replace(right, wrong), model) if item[2] != item[3]]
        assert len(mistakes) == 1, (wrong, mistakes)
    assert "| `lp1a_zeit` | 0 / 40 / 80 / 160 min/Tag |" in text
    changed = text.replace("| `lp1a_zeit` | 0 / 40 / 80 / 160", "| `lp1a_zeit` | 0 / 40 / 90 / 160")
    assert [item for item in stated_tables(changed, model) if item[2] != item[3]] != []


def _grid(text: str, heading: str) -> list[list[str]]:
    """The cells of the first Markdown table after the paragraph that starts with ``heading``."""
    start = text.index(heading)
    block = re.search(r"((?:^\|.*\n)+)", text[start:], re.M)
    assert block is not None
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block.group(1).splitlines()]
    return [row for row in rows if not set("".join(row)) <= set("-: ")]


def test_bei_nrw3_grids() -> None:
    """The group shares (one row) and the Maßnahmepauschale (LT × HBG) of bei_nrw3.md."""
    model = teilhabe_rules.bundled("bei_nrw3").checked
    text = DOCS["bei_nrw3"].read_text("utf-8")
    people, shares = _grid(text, "`gruppenanteil` –")
    mapping = model.tables["gruppenanteil"].mapping()
    compared = 0
    for key, share in zip(people[1:], shares[1:], strict=True):
        if key.isdigit():
            assert german(share.rstrip(" %")) == mapping[int(key)].scaleb(2), key
            compared += 1
        else:
            assert "nicht vereinbart" in share and not any(k >= 6 for k in mapping), key
    assert compared == len(mapping)
    grid = _grid(text, "`massnahmepauschale` –")
    prices = model.tables["massnahmepauschale"].mapping()
    seen = set()
    for row in grid[1:]:
        if not row[0].isdigit():
            continue
        for hbg, cell in enumerate(row[2:5], start=1):
            key = next((k for k in prices if str(k[0]) == row[0] and str(k[1]) == str(hbg)), None)
            if cell in ("–", ""):
                assert key is None, (row[0], hbg)
            else:
                assert key is not None and german(cell) == prices[key], (row[0], hbg, cell)
                seen.add(key)
    assert seen == set(prices)


# ---------------------------------------------------------------------------------------------------------
# Every number of a page is the model's
# ---------------------------------------------------------------------------------------------------------

EXAMPLES = ROOT / "examples"
# the models each page speaks of: the first is the page's model, the others are its variant or predecessor
PAGE_MODELS = {"mawo": ("mawo", "mawo_2025"), "bei_nrw3": ("bei_nrw3", "bei_nrw2")}
# the agreements a page documents as a parameter override (evaluated on every example case of the page)
MAWO_OVERRIDES: tuple[dict[str, Any], ...] = (
    {"parameter": {"lp2a_poolanteil": "100 %", "lp3a_poolanteil": "100 %"}},
    {"parameter": {"lp1b_krankheitstage": "250 Tage/Platz/Jahr"}},
    {"parameter": {"lp2a_poolanteil": "100 %", "lp3a_poolanteil": "100 %",
                   "lp1b_krankheitstage": "250 Tage/Platz/Jahr"}},
)

Decimals = frozenset[Decimal]
DATE = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.(\d{4})\b|\b(\d{4})-(\d{2})-(\d{2})\b")


# the units a number is checked with when a page writes one right after it (``15 min/Tag``, ``0,48 VK``)
UNIT = re.compile(r"\s*(%|min\b|h\b|EUR\b|VK\b|Tage?\b|Plätze\b)")


def unit_of(text: str | None) -> str | None:
    """The unit family of a unit text: ``min/Tag`` → ``min``, ``Tage/Platz/Jahr`` → ``Tag``, ``%``."""
    match = UNIT.match(text or "")
    return None if match is None else "Tag" if match[1].startswith("Tag") else match[1]


class Found(set[Decimal]):
    """The numbers found so far; the same by unit (``units["min"]``); the dates (``01.01.2020``)."""

    def __init__(self) -> None:
        super().__init__()
        self.dates: set[_dt.date] = set()
        self.units: dict[str, set[Decimal]] = {}

    def add_with_unit(self, value: Decimal, unit: str | None) -> None:
        self.add(value)
        if unit is not None:
            self.units.setdefault(unit, set()).add(value)


def dates_in(text: str) -> list[_dt.date]:
    """The dates of a text, German (``31.12.2027``) or ISO (``2027-12-31``)."""
    found = []
    for match in DATE.finditer(text):
        day, month, year = (match[1], match[2], match[3]) if match[1] else (match[6], match[5], match[4])
        found.append(_dt.date(int(year), int(month), int(day)))
    return found


@dataclass(frozen=True)
class Numbers:
    """Numbers exactly and as shown (rounded half up or cut to 0 … 12 places)."""

    exact: Decimals
    rounded: tuple[Decimals, ...]
    cut: tuple[Decimals, ...]

    @classmethod
    def of(cls, values: set[Decimal]) -> Numbers:
        plain = {abs(v) for v in values if v.is_finite()}
        places = [Decimal(1).scaleb(-k) for k in range(PLACES + 1)]
        return cls(frozenset(plain),
                   tuple(frozenset(v.quantize(q, ROUND_HALF_UP) for v in plain if v.adjusted() < 20) for q in places),
                   tuple(frozenset(v.quantize(q, ROUND_DOWN) for v in plain if v.adjusted() < 20) for q in places))

    def holds(self, number: Decimal, places: int, cut: bool = False) -> bool:
        """Whether ``number`` (shown with ``places`` decimals; ``cut`` for a trailing „…“) is one of these."""
        number = abs(number)
        if number in self.exact:
            return True
        if places > PLACES:
            return False
        return number in self.rounded[places] or (cut and number in self.cut[places])


@dataclass(frozen=True)
class Known:
    """The numbers a model knows (all, and by unit family) and its dates."""

    numbers: Numbers
    units: dict[str, Numbers]
    dates: frozenset[_dt.date]

    @classmethod
    def of(cls, values: Found) -> Known:
        return cls(Numbers.of(values), {unit: Numbers.of(found) for unit, found in values.units.items()},
                   frozenset(values.dates))

    def holds(self, number: Decimal, places: int, cut: bool = False, unit: str | None = None) -> bool:
        """Whether ``number`` is the model's; with a ``unit``, a figure of the model in that unit."""
        if unit is None:
            return self.numbers.holds(number, places, cut)
        return unit in self.units and self.units[unit].holds(number, places, cut)


PLACES = 12
TEXT_NUMBER = re.compile(r"(?<![\w.,])\d+(?:\.\d+)?(?![\w])")
STRING_OR_COMMENT = re.compile(r'"[^"\n]*"|#[^\n]*')


def _add(values: Found, value: Any, percent: bool = False, unit: str | None = None) -> None:
    if isinstance(value, _dt.date):
        values.dates.add(value)
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        if isinstance(value, (tuple, list)):
            for item in value:
                _add(values, item, percent, unit)
        return
    values.add_with_unit(Decimal(value), None if percent else unit)
    if percent:
        values.add_with_unit(Decimal(value).scaleb(2), "%")


def _add_text(values: Found, text: str) -> None:
    """The numbers and dates of a text the library wrote (an explanation, a message): ``1650``, ``86.6…``."""
    values.dates.update(dates_in(text))
    text = re.sub(r"\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}|\.rules:\d+", " ", text)
    for number in TEXT_NUMBER.finditer(text):
        values.add_with_unit(Decimal(number[0]), unit_of(text[number.end():number.end() + 12]))


def _add_result(values: Found, result: teilhabe_rules.Result) -> None:
    """Every figure of an evaluation: each value of each scope and package, levels, explanations, warnings."""
    def scope(found: Any) -> None:
        for quantity in (*found.values.values(), *(q for p in found.packages.values() for q in p.values.values())):
            _add(values, quantity.value, bool(quantity.type and quantity.type.unit.percent), unit_of(quantity.unit))
        for package in found.packages.values():
            _add(values, [package.computed_level, package.granted_level, package.level])
        for items in found.lists.values():
            for item in items:
                scope(item)
    scope(result.root)
    for explanation in result.explanations().values():
        _add_text(values, explanation.text)
    for warning in result.warnings:
        _add_text(values, warning)


def _add_model(values: Found, model: teilhabe_rules.Model) -> None:
    """Parameters (default and dated values), table keys and values, levels, the rule file's constants."""
    checked = model.checked
    for parameter in checked.parameters.values():
        percent = parameter.type.unit.percent
        _add(values, parameter.default, percent)
        for period in parameter.periods:
            _add(values, period.value, percent)
    for table in checked.tables.values():
        for row in table.rows:
            _add(values, list(row.keys))
            _add(values, row.value, table.value_type.unit.percent)
    for package in checked.packages.values():
        _add(values, [level.number for level in package.levels])
    for path in {checked.file_of(node.span) for node in checked.nodes.values()}:
        _add_text(values, STRING_OR_COMMENT.sub(" ", Path(path).read_text("utf-8")))
    # the figures the model's own words state: title, ``annahme`` and ``quelle`` of parameters and tables
    texts = [(p.doc, *p.assumptions, *p.sources) for p in checked.parameters.values()]
    texts += [(t.title, *t.assumptions, *t.sources) for t in checked.tables.values()]
    for text in (text for group in texts for text in group if text):
        for stated in stated_numbers(text):
            values.add_with_unit(stated.value, stated.unit)
    coverage = example_coverage(model)
    _add(values, [coverage.examples, coverage.evaluated])
    _add(values, [number for pair in coverage.counts().values() for number in pair])


def _evaluate(values: Found, model: teilhabe_rules.Model, case: Any, agreement: Any = None,
              at: Any = None, failures: bool = True) -> teilhabe_rules.Result | None:
    """Add the figures of one evaluation; of a failing one (an example that expects an error), its messages'."""
    try:
        result = model.evaluate(copy.deepcopy(case), agreement, explain=True, at=at)
    except teilhabe_rules.TeilhabeError as error:
        for diagnostic in error.diagnostics if failures else ():
            _add_text(values, f"{diagnostic.message} {diagnostic.hint or ''}")
        return None
    _add_result(values, result)
    return result


def _add_differences(values: Found, results: list[teilhabe_rules.Result]) -> None:
    """What a documented override changes: the differences of a case's top-level figures between two of its
    evaluations (``nur Poolen … −14.328,92``)."""
    for first, second in itertools.combinations(results, 2):
        for key, quantity in first.root.values.items():
            other = second.root.values.get(key)
            if isinstance(quantity.value, Decimal) and other is not None and isinstance(other.value, Decimal):
                values.add(quantity.value - other.value)


def _leaves(data: Any) -> list[_dt.date]:
    """The dates among the leaves of a case's data."""
    if isinstance(data, dict):
        return [leaf for value in data.values() for leaf in _leaves(value)]
    if isinstance(data, (list, tuple)):
        return [leaf for value in data for leaf in _leaves(value)]
    return [data] if isinstance(data, _dt.date) else []


def _cases(page: str) -> list[Any]:
    """The example cases of a page: every case file under examples/ of its models, every population row."""
    found: list[Any] = []
    for name in PAGE_MODELS[page]:
        folder = EXAMPLES / name
        for path in sorted(folder.rglob("*.toml")) if folder.is_dir() else ():
            if "vereinbarung" not in path.name:
                found.append(path)
        for path in sorted(folder.glob("*.jsonl")) if folder.is_dir() else ():
            found.extend(json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip())
    return found


@functools.cache
def known(page: str) -> Known:
    """Everything the page's models know and compute (evaluated once per test run)."""
    values = Found()
    models = [teilhabe_rules.bundled(name) for name in PAGE_MODELS[page]]
    for model in models:
        _add_model(values, model)
        for example in model.checked.examples:
            agreement = None
            if example.agreement:
                agreement = model.load_agreement({"parameter": {
                    name: value if isinstance(value, (str, bool)) else str(value)
                    for name, value, _ in example.agreement}})
            _evaluate(values, model, example.case, agreement, example.at)
            values.dates.update(dates_in(repr(example.case)))
            values.dates.update(_leaves(example.case))
    folder = EXAMPLES / page
    agreements: list[Any] = [None, *sorted(folder.glob("vereinbarung*.toml"))]
    if page == "mawo":
        agreements.extend(MAWO_OVERRIDES)
    for path in agreements[1:2]:  # the bundled agreement's values (``Anteil 80 % im Korridor 75–85 %``)
        _add_text(values, re.sub(r"#[^\n]*", " ", path.read_text("utf-8")))
    for case in _cases(page):
        values.dates.update(dates_in(case.read_text("utf-8") if isinstance(case, Path) else json.dumps(case)))
        results = []
        for agreement in agreements:
            for model in models:  # a case is one model's: the other rejects it
                results.append(_evaluate(values, model, case, agreement, failures=False))
        _add_differences(values, [result for result in results if result is not None])
    for population in sorted(folder.glob("*.jsonl")):  # the Budgetvergleich over a population (compare)
        summary = compare(models[0], None, population, figures=("budgetvergleich_alt", "budgetvergleich_neu"))
        for stated in stated_numbers(summary.render_text()):
            values.add_with_unit(stated.value, stated.unit)
    return Known.of(values)


@dataclass(frozen=True)
class Stated:
    """A number as a page states it: its line, its text (``52,33``), its value and shown places."""

    line: int
    text: str
    value: Decimal
    places: int
    cut: bool  # followed by „…“: more digits follow
    over: int | None = None  # the divisor of a fraction ``174.840/7``
    unit: str | None = None  # the unit family written right after it: ``min``, ``h``, ``EUR``, ``VK``, ``%``, …
    context: str = ""  # the page from the number on (a few words): what an allowance names


MONTHS = "Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember"
# what is not a figure of the model: dates, legal references, section and list numbers, versions, source lines
NOT_FIGURES = re.compile("|".join((
    r"\b\d{1,2}\.\d{1,2}\.\d{4}\b", r"\b\d{4}-\d{2}-\d{2}\b", r"\b\d{1,2}\.\d{1,2}\.(?=–)",  # 01.01.2024, 01.01.–
    rf"\b(?:{MONTHS}) \d{{4}}\b", r"\b\d{1,2}/\d{4}\b", r"\b\d{4}/\d{4}\b",  # März 2026, 10/2021, 2018/2019
    r"§+\s*\d+[a-z]?(?:\s+Abs\.\s*\d+(?:,\s*\d+)*(?:\s*[a-z]\b)?)?(?:\s+(?:Nr\.|Satz)\s*\d+)?",  # § 78 Abs. 2 Nr. 1
    r"\bArt\.\s*\d+(?:\s+Abs\.\s*\d+)?",  # Art. 26 Abs. 4 BTHG
    r"\bAbschnitte?\s+\d+(?:\.\d+)?", r"\bsiehe \d+(?:\.\d+)?\.?", r"\(\d+\.\d+\)",  # Abschnitt 4, siehe 5., (3.1)
    r"\bVersion \d+\.\d+",  # Version 2024.1
    r"\.rules:\d+",  # a rule's source line
    r"\b(?:19|20)\d\d\b(?![.,]\d|\s*(?:EUR|h\b|Tage|min|%|VK|Plätze))",  # a year: seit 2024, Stand 2024
)))
# in German notation a dot before one digit is no thousands separator: a version (BEI_NRW 3.0, 2.0-Fall)
VERSION = re.compile(r"\b\d\.\d(?=[\s,)/\-–]|$)")
HEADING_OR_ITEM = re.compile(r"^(?:#+\s+\d+(?:\.\d+)*\.?|\s*\d+\.\s)")  # ## 3.1 …, 1. **Bedarf …
# a number, „…“ when more digits follow, and the divisor of a fraction (``174.840/7``; ``0 / 7`` is a list)
GERMAN = re.compile(r"(?<![\w.,/])(\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?)(…)?(?:/(\d+)\b)?(?![\w]|[.,]\d)")
ENGLISH = re.compile(r"(?<![\w.,/])(\d+(?:\.\d+)?)(…)?(?:/(\d+)\b)?(?![\w]|\.\d)")


def _segments(text: str) -> list[tuple[int, str, bool]]:
    """(line, text, English notation) for every piece of a page: prose, German code blocks and the
    command line's output (``--explain``) in German notation, inline code (rule syntax), TOML, Python
    and command lines in English."""
    found: list[tuple[int, str, bool]] = []
    lines = text.splitlines()
    fence: str | None = None
    english_block = in_code = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("```"):
            if fence is None:
                fence = line[3:].strip()
                block = "\n".join(lines[number:lines.index("```", number)]) if "```" in lines[number:] else ""
                commands = all(re.match(r"\s*(?:teilhabe-rules |--)", row) for row in block.splitlines() if row)
                english_block = fence in ("toml", "python") or commands
            else:
                fence = None
            continue
        if fence is not None:
            found.append((number, line, english_block))
            continue
        line = HEADING_OR_ITEM.sub(" ", line)
        in_code = in_code and bool(line.strip())  # inline code may go on over a line break, not a paragraph
        for index, piece in enumerate(line.split("`")):
            found.append((number, piece, in_code != (index % 2 == 1)))
        in_code = in_code != (line.count("`") % 2 == 1)
    return found


def stated_numbers(text: str) -> list[Stated]:
    """Every number a page states, in German notation (``1.650``, ``52,33``, ``25,857142…``) or, in code,
    in the library's (``1650``, ``86.666…``); dates, paragraphs, section and list numbers left out."""
    found = []
    for line, piece, english in _segments(text):
        piece = NOT_FIGURES.sub(lambda m: " " * len(m.group(0)), piece)
        piece = piece if english else VERSION.sub("   ", piece)
        for match in (ENGLISH if english else GERMAN).finditer(piece):
            shown = match.group(1)
            value = Decimal(shown) if english else german(shown)
            places = len(shown.partition("." if english else ",")[2])
            over = int(match.group(3)) if match.group(3) else None
            unit = unit_of(piece[match.end():match.end() + 12]) if over is None else None
            context = piece[match.start():match.start() + 40]
            found.append(Stated(line, shown, value, places, bool(match.group(2)), over, unit, context))
    return found


def unknown_numbers(page: str, text: str) -> list[Stated]:
    """The numbers of a page that are none of its model's: neither known nor allowed (ALLOWED)."""
    model = known(page)
    wrong = []
    for stated in stated_numbers(text):
        if model.holds(stated.value, stated.places, stated.cut, stated.unit) or allowance(page, stated):
            continue
        if stated.over and model.holds((stated.value / stated.over).quantize(Decimal("1e-10")), 10):
            continue  # ``174.840/7`` is the budget 24.977,142857…
        wrong.append(stated)
    return wrong


def allowance(page: str, stated: Stated) -> str | None:
    """The allowance of ALLOWED that names this number: the page goes on from the number as the key does."""
    return next((key for key in ALLOWED[page] if stated.context.startswith(key)), None)


UNROUNDED = "the unrounded amount that runde() turns into the next, checked figure (half a cent rounded up)"
# numbers a page states that are not the model's, each with its reason
ALLOWED: dict[str, dict[str, str]] = {
    "mawo": {
        "1.476": "places in the homes where MAWo is applied (a fact about its use, not a figure of the model)",
        "1.551,375": UNROUNDED,
        "2.240,875": UNROUNDED,
        "1.344,525": UNROUNDED,
        "1.344,52": "what rounding half to even would give: the contrast to the model's commercial rounding",
        "277,97": "266 × 1,045 before the rounding to full euros the model assumes (278 EUR/Monat)",
        "42.221,60": "a person's yearly costs, personalkosten_jahr + platzkosten_jahr (= tagessatz_ungerundet × 365)",
        "18,27": "the Regie row per day: its checked EUR/Jahr ÷ 365 Berechnungstage",
        "7,50": "the Sach- und Investitionskosten row per day: its checked EUR/Jahr ÷ 365 Berechnungstage",
        "6.333,48": "15 % (pflegekasse_anteil) of the Jahresbetrag before the cap pflegekasse_hoechstbetrag",
        "485,86": "the Grundfall's February, 28 × 115,68 × 15 %: above the monthly cap as every month",
        "57,21": "the lowest Tagessatz whose 31-day months reach 266 EUR (266 / 31 / 15 %, rounded up)",
        "63,33": "the highest Tagessatz whose February stays under 266 EUR (266 / 28 / 15 %, rounded down)",
        "59,11": "the highest Tagessatz whose 30-day months stay under 266 EUR (266 / 30 / 15 %, rounded down)",
        "5 Tage weg": "the days of the information event's example trip (5 × 10 h = 50 h are checked)",
    },
    "bei_nrw3": {
        "30.416667": "365/12 to six places: a value an agreement may set for tage_je_monat",
        "16.033,928": "the measures' part of vergleich_neu, (4 × 60 + 1,5 × 45) × 365/7, before the modules",
        "20 % × ": "100 % − qa_fachkraftanteil (80 %), the share of the other staff in the QA rate",
        "59,70": "fachmodul_tagessatz + organisationsmodul_tagessatz (38,50 + 21,20)",
        "3.139,125": UNROUNDED,
        "3.759,425": UNROUNDED,
        "4.786,575": UNROUNDED,
        "5.633,975": UNROUNDED,
        "3.293,575": UNROUNDED,
        "30,25": "the factor of MP in a March 2026 bill: 25 + 3 full + 3 × 75 % reduced days",
        "61,50": "grundpauschale + investitionsbetrag (42,60 + 18,90), the part of the Pflegesatz besides MP",
        "50,85": "75 % × grundpauschale + investitionsbetrag, the reduced rate's part besides 0,75 × MP",
        "432": "the last digits of the unrounded budget 9.308,571428…432 (28 significant digits)",
        "429": "the last digits the exact fraction would have (…429)",
        "4,9": "QA hours per week of the converted case, 3 + 0,9 + 1 (the table's rows are checked)",
        "361,50": "the converted case's budget per week, 4,9 × 60 + 1,5 × 45",
    },
}


@pytest.fixture(scope="module", params=sorted(DOCS))
def page(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param, DOCS[request.param].read_text("utf-8")


def test_every_number_is_the_models(page: tuple[str, str]) -> None:
    """Every number of a page is a parameter, table, constant or computed figure of its models, or allowed."""
    name, text = page
    assert [f"{name}.md:{s.line}: {s.text}{'…' if s.cut else ''}" for s in unknown_numbers(name, text)] == []


def test_the_allowed_numbers_are_on_the_page(page: tuple[str, str]) -> None:
    """No stale allowance: every allowed number is stated on its page and is not the model's."""
    name, text = page
    used = {}
    for s in stated_numbers(text):
        key = allowance(name, s)
        if key is not None:
            used[key] = s
            assert not known(name).holds(s.value, s.places, s.cut, s.unit), f"{key} is the model's: no allowance"
    assert sorted(set(ALLOWED[name]) - set(used)) == []


def test_numbers_are_read_as_the_pages_write_them() -> None:
    """German notation in prose and in the command's output, the library's in rule syntax; dates, paragraphs,
    sections and versions are no figures."""
    text = ("## 3.1 LP 0\n\n1. Schritt: 1.650 h, 52,33 %, 25,857142… Wochen, 174.840/7, `1:28.41`, ab 01.01.2024,"
            " § 82 LRV, § 78 Abs. 2 Nr. 1 SGB IX, Abschnitt 4, (3.1), Version 2024.1, BEI_NRW 3.0, seit 2024\n"
            "```\n    vk   0,0311 VK  [models/mawo.rules:658]\n```\n")
    assert [(s.text, s.value, s.places, s.cut, s.over) for s in stated_numbers(text)] == [
        ("0", Decimal(0), 0, False, None), ("1.650", Decimal(1650), 0, False, None),
        ("52,33", Decimal("52.33"), 2, False, None),
        ("25,857142", Decimal("25.857142"), 6, True, None), ("174.840", Decimal(174840), 0, False, 7),
        ("1", Decimal(1), 0, False, None), ("28.41", Decimal("28.41"), 2, False, None),
        ("0,0311", Decimal("0.0311"), 4, False, None)]
    # inline code that goes on over a line break; a list ``0 / 7`` is no fraction
    assert [s.value for s in stated_numbers("ab `x = 1.5\nh/Woche` und 2,5 h, 0 / 7 / 21")] == [
        Decimal("1.5"), Decimal("2.5"), 0, 7, 21]


@pytest.mark.parametrize(("name", "right", "wrong"), [
    ("mawo", "44,57 h/Jahr. Die Stufe bleibt 2", "44,58 h/Jahr. Die Stufe bleibt 2"),  # prose of a worked example
    ("mawo", "| LP 2a | 1.832,80 | 5,02 |", "| LP 2a | 1.832,80 | 5,20 |"),  # a daily rate
    ("mawo", "| Budget des Angebots | 373.529,36 EUR/Jahr", "| Budget des Angebots | 373.592,36 EUR/Jahr"),
    ("mawo", "Nettobetrag 39.031,20 EUR", "Nettobetrag 39.013,20 EUR"),
    ("mawo", "| Pflegegrad 3 | 2 | 24 min/Tag |", "| Pflegegrad 3 | 2 | 25 min/Tag |"),  # an integer with its unit
    ("mawo", "„Musterhaus“: 24 Plätze", "„Musterhaus“: 23 Plätze"),
    ("bei_nrw3", "monatlich 1.570,98 EUR", "monatlich 1.570,89 EUR"),
    ("bei_nrw3", "Differenz: −17.819,46", "Differenz: −17.819,64"),  # the compare output
])
def test_a_changed_number_is_reported(name: str, right: str, wrong: str) -> None:
    """Changing one number of a page (in memory) makes the check report exactly that number."""
    text = DOCS[name].read_text("utf-8")
    assert text.count(right) == 1 and unknown_numbers(name, text) == []
    reported = [s.text for s in unknown_numbers(name, text.replace(right, wrong))]
    assert len(reported) == 1 and reported[0] in wrong and reported[0] not in right, reported


# dates a page states that are not the model's, each with its reason
ALLOWED_DATES: dict[str, dict[str, str]] = {
    "mawo": {"21.03.2024": "the day of the information event the model's published figures come from"},
    "bei_nrw3": {"31.12.2019": "the last day before the separation of the benefits on 01.01.2020 (a rule constant)"},
}


def unknown_dates(page: str, text: str) -> list[tuple[int, _dt.date]]:
    """The dates of a page that are none of its models' (validity, dated values, cases, messages)."""
    model = known(page)
    return [(line, date) for line, piece in enumerate(text.splitlines(), start=1) for date in dates_in(piece)
            if date not in model.dates and date.strftime("%d.%m.%Y") not in ALLOWED_DATES[page]]


def test_every_date_is_the_models(page: tuple[str, str]) -> None:
    """Every date of a page is a validity date, a dated value or a date of an example case or message."""
    name, text = page
    assert [f"{name}.md:{line}: {date:%d.%m.%Y}" for line, date in unknown_dates(name, text)] == []
    for allowed in ALLOWED_DATES[name]:  # no stale allowance
        assert allowed in text and dates_in(allowed)[0] not in known(name).dates, allowed


def test_a_changed_date_is_reported() -> None:
    """Changing one date of a page (in memory) makes the check report it."""
    text = DOCS["bei_nrw3"].read_text("utf-8")
    right, wrong = "ab 27.08.2025 (offenes Ende)", "ab 28.08.2025 (offenes Ende)"
    assert right in text and unknown_dates("bei_nrw3", text) == []
    assert [date for _, date in unknown_dates("bei_nrw3", text.replace(right, wrong))] == [_dt.date(2025, 8, 28)]


@pytest.mark.parametrize(("page", "heading"), [("mawo", "## 9. Beispielausgabe"),
                                               ("bei_nrw3", "### Ausgabe mit `--explain`")])
def test_the_sample_output_is_what_the_command_prints(page: str, heading: str) -> None:
    """The excerpt of ``teilhabe-rules eval … --explain`` on a model's page is what the command
    prints today: each of its lines, rule-file line numbers included."""
    import contextlib
    import io

    from teilhabe_rules.cli import main

    text = DOCS[page].read_text(encoding="utf-8")
    section = text[text.index(heading):]
    command, excerpt = re.findall(r"```\n(.*?)```", section, re.S)[:2]
    argv = command.split()
    assert argv[:2] == ["teilhabe-rules", "eval"], command
    out = io.StringIO()
    with contextlib.chdir(ROOT):
        assert main(argv[1:], out, io.StringIO()) == 0
    printed = out.getvalue().splitlines()
    shown = [line for line in excerpt.splitlines() if line.strip() != "…"]
    assert len(shown) > 20
    missing = [line for line in shown if line not in printed]
    assert not missing, missing
