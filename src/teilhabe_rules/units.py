"""Units of measure: parsing, algebra and exact conversion factors.

Takes: unit text as written in rule files, case data and agreements (``min/Tag``, ``EUR/VK/Jahr``).
Gives: :class:`Unit` values. Addition and comparison require equal units; multiplication and
division combine them; ``als`` converts between units of one dimension with an exact
:class:`fractions.Fraction` factor. ``%`` is a dimensionless share (``45 %`` is 0.45).
"""

from __future__ import annotations

import functools
from fractions import Fraction

import attrs

from .records import Record

__all__ = ["DIMENSIONLESS", "PERCENT", "Unit", "UnitError", "conversion_factor", "parse_unit"]


class UnitError(ValueError):
    """A unit text that names no known unit (carries a did-you-mean candidate list)."""

    def __init__(self, message: str, candidates: tuple[str, ...] = ()):
        super().__init__(message)
        self.candidates = candidates


# atom -> (dimension, scale in the dimension's base atom)
_ATOMS: dict[str, tuple[str, Fraction]] = {
    "min": ("Arbeitszeit", Fraction(1, 60)),
    "h": ("Arbeitszeit", Fraction(1)),
    "Tag": ("Kalenderzeit", Fraction(1)),
    "Woche": ("Kalenderzeit", Fraction(7)),
    "Jahr": ("Kalenderzeit", Fraction(365)),
    "Monat": ("Monat", Fraction(1)),
    "EUR": ("Geld", Fraction(1)),
    "VK": ("Personal", Fraction(1)),
    "Person": ("Person", Fraction(1)),
    "Platz": ("Platz", Fraction(1)),
}

_ALIASES: dict[str, str] = {
    "min": "min",
    "Min": "min",
    "Minute": "min",
    "Minuten": "min",
    "h": "h",
    "Std": "h",
    "Stunde": "h",
    "Stunden": "h",
    "Tag": "Tag",
    "Tage": "Tag",
    "Tagen": "Tag",
    "Woche": "Woche",
    "Wochen": "Woche",
    "Jahr": "Jahr",
    "Jahre": "Jahr",
    "Jahren": "Jahr",
    "Monat": "Monat",
    "Monate": "Monat",
    "Monaten": "Monat",
    "EUR": "EUR",
    "€": "EUR",
    "Euro": "EUR",
    "VK": "VK",
    "Person": "Person",
    "Personen": "Person",
    "Platz": "Platz",
    "Plätze": "Platz",
}

_PLURAL = {
    "Tag": "Tage",
    "Woche": "Wochen",
    "Jahr": "Jahre",
    "Monat": "Monate",
    "Person": "Personen",
    "Platz": "Plätze",
}

_ONE = frozenset({"1", "-1", "−1", "+1"})
"""One and minus one as a number is shown: the number after which a unit is in the singular."""

KNOWN_UNIT_NAMES: tuple[str, ...] = tuple(sorted(set(_ALIASES) | {"%"}))


@attrs.frozen(order=False, repr=False)
class Unit(Record):
    """A product of atoms with integer exponents; ``percent`` only affects display."""

    atoms: tuple[tuple[str, int], ...] = ()
    percent: bool = attrs.field(default=False, eq=False)

    @property
    def is_dimensionless(self) -> bool:
        return not self.atoms

    def takes_written(self, written: Unit) -> bool:
        """Whether a figure written with the unit ``written`` is one of this unit: the same atoms,
        a percentage where this is one, and a unit at all (``==`` treats ``%`` as a plain number,
        as arithmetic does — but ``5 %`` for a number without a unit would read 5, ``5 Tage/Tage``
        for a percentage 5 %, and ``5 Tage/Tage`` for a plain number is a unit that cancels)."""
        return self == written and self.percent == written.percent and (written.percent or bool(written.atoms))

    def __mul__(self, other: Unit) -> Unit:
        return _combine(self.atoms, other.atoms, 1)

    def __truediv__(self, other: Unit) -> Unit:
        return _combine(self.atoms, other.atoms, -1)

    def dimension(self) -> tuple[tuple[str, int], ...]:
        dims: dict[str, int] = {}
        for atom, exp in self.atoms:
            dim = _ATOMS[atom][0]
            dims[dim] = dims.get(dim, 0) + exp
        return tuple(sorted((d, e) for d, e in dims.items() if e))

    def scale(self) -> Fraction:
        result = Fraction(1)
        for atom, exp in self.atoms:
            result *= _ATOMS[atom][1] ** exp
        return result

    def __str__(self) -> str:
        return _unit_text(self.atoms, self.percent)

    def text_after(self, number: str) -> str:
        """The unit's text after a number shown as ``number``: the singular of a unit that has one
        (``Tag``, ``Woche``, ``Jahr``, ``Monat``, ``Person``, ``Platz``) after exactly one or minus
        one as shown (``1 Tag``, ``-1 Woche``, ``−1 Jahr``), else the unit's text (``1 h``,
        ``1 EUR/Tag``, ``1,0 Tage``, ``2 Tage``)."""
        atoms = self.atoms
        if len(atoms) == 1 and atoms[0][1] == 1 and number.strip() in _ONE:
            return atoms[0][0]  # an atom's name is its singular
        return _unit_text(atoms, self.percent)


@functools.lru_cache(maxsize=1024)
def _unit_text(atoms: tuple[tuple[str, int], ...], percent: bool) -> str:
    """Display text of a unit (cached: units are few and printed often)."""
    if not atoms:
        return "%" if percent else ""
    num = [a for a, e in atoms if e > 0 for _ in range(e)]
    den = [a for a, e in atoms if e < 0 for _ in range(-e)]
    if not num:
        head = "1"
    elif len(num) == 1 and not den:
        head = _PLURAL.get(num[0], num[0])
    else:
        head = "·".join(num)
    return head + "".join("/" + a for a in den)


DIMENSIONLESS = Unit()
PERCENT = Unit((), percent=True)


@functools.lru_cache(maxsize=1024)
def _combine(left: tuple[tuple[str, int], ...], right: tuple[tuple[str, int], ...], sign: int) -> Unit:
    exps: dict[str, int] = dict(left)
    for atom, exp in right:
        exps[atom] = exps.get(atom, 0) + sign * exp
    return Unit(tuple(sorted((a, e) for a, e in exps.items() if e)))


@functools.lru_cache(maxsize=1024)
def parse_unit(text: str) -> Unit:
    """Parse ``EUR/h``, ``min/Tag``, ``EUR/VK/Jahr``, ``Personen``, ``%`` (cached: units are
    immutable and a model writes the same few hundreds of times)."""
    text = text.strip()
    if text == "%":
        return PERCENT
    parts = [p.strip() for p in text.split("/")]
    result = DIMENSIONLESS
    for index, part in enumerate(parts):
        atom = _ALIASES.get(part)
        if atom is None:
            raise UnitError(f"unbekannte Einheit „{part}“", KNOWN_UNIT_NAMES)
        unit = Unit(((atom, 1),))
        result = result * unit if index == 0 else result / unit
    return result


def conversion_factor(source: Unit, target: Unit) -> Fraction | None:
    """Exact factor turning a number in ``source`` into ``target``; None if not convertible."""
    if source.dimension() != target.dimension():
        return None
    return source.scale() / target.scale()
