"""The band chart of a corridor, as inline SVG.

Takes: the bands of one corridor (:class:`ChartBand`: level, label, bounds with their inclusivity;
optionally the bounds an agreement sets and those of an older version). Gives: an SVG element
(:func:`corridor_svg`, as :class:`markupsafe.Markup`) that shows, on one quantity axis, a row per
band: a bar from its lower to its upper bound, a filled marker where the bound belongs to the
band (``ab``/``bis``), an open marker where it does not (``über``/``unter``), an arrow where the
band is open; below it a dashed bar for the agreed bounds and a grey bar for the older version's,
where these differ. The axis is labelled at every bound, German style. Every text is escaped; the
chart carries ``<title>`` and ``<desc>`` (the bands in words) for screen readers.

Coordinates are computed in :class:`~decimal.Decimal` and written with one decimal place; no
float is involved.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import attrs
from markupsafe import Markup, escape

from .numbers import number_text

__all__ = ["COLOURS", "Bounds", "ChartBand", "band_text", "corridor_svg"]

# Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), by level
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999933", "#882255")

_WIDTH = Decimal(760)
_LABEL_X = Decimal(8)
_X0 = Decimal(220)  # the plot area: from _X0 to _X1
_X1 = Decimal(730)
_TOP = Decimal(12)
_LANE = Decimal(18)
_ROW_GAP = Decimal(10)
_BAR = Decimal(12)
_RADIUS = Decimal(5)
_OPEN_SHARE = Decimal("0.15")  # how far an open band reaches past the last bound, as a share of the range


@attrs.frozen
class Bounds:
    """A band's bounds: None is an open side; the inclusive flags say whether the bound belongs to the band."""

    lower: Decimal | None
    lower_inclusive: bool
    upper: Decimal | None
    upper_inclusive: bool


@attrs.frozen
class ChartBand:
    """One band of a corridor: its level and label, the model's bounds, and where they differ the
    bounds of an agreement (``agreed``) and of an older version (``old``)."""

    level: int
    label: str
    bounds: Bounds
    agreed: Bounds | None = None
    old: Bounds | None = None


def band_text(bounds: Bounds, unit: str) -> str:
    """``über 7 bis 21 min/Tag``; ``ab 0`` for a band open above; ``alle Werte`` for one open on both sides."""
    parts = []
    if bounds.lower is not None:
        parts.append(f"{'ab' if bounds.lower_inclusive else 'über'} {number_text(bounds.lower)}")
    if bounds.upper is not None:
        parts.append(f"{'bis' if bounds.upper_inclusive else 'unter'} {number_text(bounds.upper)}")
    if not parts:
        return "alle Werte"
    return " ".join(parts) + (f"\u00a0{unit}" if unit else "")


def _fmt(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1")))


class _Scale:
    """Quantity → x coordinate of the plot area."""

    def __init__(self, values: Sequence[Decimal], open_low: bool, open_high: bool):
        low, high = min(values), max(values)
        span = high - low if high > low else Decimal(1)
        self.low = low - span * _OPEN_SHARE if open_low else low
        self.high = high + span * _OPEN_SHARE if open_high else high
        if self.high == self.low:
            self.low, self.high = self.low - 1, self.high + 1

    def x(self, value: Decimal | None, side: str) -> Decimal:
        if value is None:
            return _X0 if side == "lower" else _X1
        return _X0 + (value - self.low) / (self.high - self.low) * (_X1 - _X0)


def _variants(band: ChartBand) -> list[tuple[str, Bounds]]:
    out = [("modell", band.bounds)]
    if band.agreed is not None:
        out.append(("vereinbart", band.agreed))
    if band.old is not None:
        out.append(("bisher", band.old))
    return out


def corridor_svg(ident: str, title: str, unit: str, bands: Sequence[ChartBand]) -> Markup:
    """The chart of a corridor whose bounds are all known numbers. ``ident`` makes the ids of its
    title and description unique in the page."""
    lanes = ["modell"]
    if any(b.agreed is not None for b in bands):
        lanes.append("vereinbart")
    if any(b.old is not None for b in bands):
        lanes.append("bisher")
    all_bounds = [bounds for band in bands for _, bounds in _variants(band)]
    values = [v for bounds in all_bounds for v in (bounds.lower, bounds.upper) if v is not None]
    if not values:
        values = [Decimal(0)]
    scale = _Scale(values, any(b.lower is None for b in all_bounds), any(b.upper is None for b in all_bounds))
    row_height = _LANE * len(lanes) + _ROW_GAP
    axis_y = _TOP + row_height * len(bands) + Decimal(4)
    ticks = sorted(set(values))
    tick_rows = _tick_rows(ticks, scale)
    legend_y = axis_y + Decimal(30) + Decimal(14) * max(tick_rows.values(), default=0)
    height = legend_y + Decimal(22) * (1 + (len(lanes) > 1))
    words = "; ".join(
        f"Stufe {band.level} ({band.label}): {band_text(band.bounds, unit)}"
        + (f", vereinbart {band_text(band.agreed, unit)}" if band.agreed is not None else "")
        + (f", bisher {band_text(band.old, unit)}" if band.old is not None else "")
        for band in bands
    )
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="korridor" role="img" '
        f'viewBox="0 0 {_fmt(_WIDTH)} {_fmt(height)}" width="{_fmt(_WIDTH)}" height="{_fmt(height)}" '
        f'aria-labelledby="{escape(ident)}-titel {escape(ident)}-beschreibung">',
        f'<title id="{escape(ident)}-titel">{escape(title)}</title>',
        f'<desc id="{escape(ident)}-beschreibung">{escape(words)}</desc>',
    ]
    for tick in ticks:  # the grid first: the bands are drawn over it
        x = scale.x(tick, "lower")
        out.append(f'<line x1="{_fmt(x)}" y1="{_fmt(_TOP)}" x2="{_fmt(x)}" y2="{_fmt(axis_y)}" class="raster"/>')
    for number, band in enumerate(bands):
        colour = COLOURS[number % len(COLOURS)]
        top = _TOP + row_height * number
        tooltip = f"Stufe {band.level} ({band.label}): {band_text(band.bounds, unit)}"
        out.append(f'<g class="band"><title>{escape(tooltip)}</title>')
        label = f"Stufe {band.level}"
        out.append(f'<text x="{_fmt(_LABEL_X)}" y="{_fmt(top + _BAR)}" class="stufe">{escape(label)}</text>')
        out.append(f'<text x="{_fmt(_LABEL_X + Decimal(58))}" y="{_fmt(top + _BAR)}" class="bezeichnung">'
                   f"{escape(_short(band.label))}</text>")
        for lane, bounds in _variants(band):
            y = top + _LANE * lanes.index(lane)
            out.extend(_bar(scale, bounds, y, colour, lane))
        out.append("</g>")
    out.append(f'<line x1="{_fmt(_X0)}" y1="{_fmt(axis_y)}" x2="{_fmt(_X1)}" y2="{_fmt(axis_y)}" class="achse"/>')
    for tick in ticks:
        x = scale.x(tick, "lower")
        row = tick_rows[tick]
        out.append(f'<line x1="{_fmt(x)}" y1="{_fmt(axis_y)}" x2="{_fmt(x)}" y2="{_fmt(axis_y + Decimal(5))}" '
                   'class="achse"/>')
        out.append(f'<text x="{_fmt(x)}" y="{_fmt(axis_y + Decimal(18) + Decimal(14) * row)}" class="wert" '
                   f'text-anchor="middle">{escape(number_text(tick))}</text>')
    if unit:
        out.append(f'<text x="{_fmt(_X0 - Decimal(8))}" y="{_fmt(axis_y + Decimal(18))}" class="einheit" '
                   f'text-anchor="end">{escape(unit)}</text>')
    out.extend(_legend(legend_y, lanes))
    out.append("</svg>")
    return Markup("\n".join(out))


def _short(label: str, limit: int = 24) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _tick_rows(ticks: Sequence[Decimal], scale: _Scale) -> dict[Decimal, int]:
    """A text row per tick label, so that labels closer than 44 px do not overlap."""
    rows: dict[Decimal, int] = {}
    last_x: dict[int, Decimal] = {}
    for tick in ticks:
        x = scale.x(tick, "lower")
        row = 0
        while row in last_x and x - last_x[row] < 44:
            row += 1
        rows[tick] = row
        last_x[row] = x
    return rows


def _bar(scale: _Scale, bounds: Bounds, y: Decimal, colour: str, lane: str) -> list[str]:
    left, right = scale.x(bounds.lower, "lower"), scale.x(bounds.upper, "upper")
    middle = y + _BAR / 2
    out = []
    if lane == "modell":
        style = f'fill="{colour}" fill-opacity="0.35" stroke="{colour}"'
        marker_colour = colour
    elif lane == "vereinbart":
        style = f'fill="none" stroke="{colour}" stroke-dasharray="5 3" stroke-width="2"'
        marker_colour = colour
    else:
        style = 'fill="#bbbbbb" fill-opacity="0.5" stroke="#777777"'
        marker_colour = "#777777"
    height = _BAR if lane == "modell" else _BAR - Decimal(4)
    top = y if lane == "modell" else y + Decimal(2)
    out.append(f'<rect x="{_fmt(left)}" y="{_fmt(top)}" width="{_fmt(max(right - left, Decimal(0)))}" '
               f'height="{_fmt(height)}" {style} class="balken {lane}"/>')
    for value, inclusive, side in ((bounds.lower, bounds.lower_inclusive, "lower"),
                                   (bounds.upper, bounds.upper_inclusive, "upper")):
        if value is None:
            tip = _X0 - Decimal(6) if side == "lower" else _X1 + Decimal(6)
            base = _X0 if side == "lower" else _X1
            out.append(f'<path d="M {_fmt(base)} {_fmt(middle - Decimal(6))} L {_fmt(tip)} {_fmt(middle)} '
                       f'L {_fmt(base)} {_fmt(middle + Decimal(6))} Z" fill="{marker_colour}" class="offen"/>')
            continue
        x = scale.x(value, side)
        fill = marker_colour if inclusive else "#ffffff"
        kind = "eingeschlossen" if inclusive else "ausgeschlossen"
        out.append(f'<circle cx="{_fmt(x)}" cy="{_fmt(middle)}" r="{_fmt(_RADIUS)}" fill="{fill}" '
                   f'stroke="{marker_colour}" stroke-width="2" class="grenze {kind}"/>')
    return out


def _legend(y: Decimal, lanes: Sequence[str]) -> list[str]:
    out = [
        f'<g class="legende" transform="translate({_fmt(_X0)} {_fmt(y)})">',
        '<circle cx="5" cy="0" r="5" fill="#333333" stroke="#333333" stroke-width="2"/>',
        '<text x="15" y="4">Grenze gehört zur Stufe (ab, bis)</text>',
        '<circle cx="225" cy="0" r="5" fill="#ffffff" stroke="#333333" stroke-width="2"/>',
        '<text x="235" y="4">Grenze gehört nicht dazu (über, unter)</text>',
    ]
    second = []
    if "vereinbart" in lanes:
        second.append('<rect x="0" y="18" width="24" height="8" fill="none" stroke="#333333" '
                      'stroke-dasharray="5 3" stroke-width="2"/><text x="30" y="26">vereinbart</text>')
    if "bisher" in lanes:
        offset = 130 if "vereinbart" in lanes else 0
        second.append(f'<rect x="{offset}" y="18" width="24" height="8" fill="#bbbbbb" stroke="#777777"/>'
                      f'<text x="{offset + 30}" y="26">bisher (Vergleichsmodell)</text>')
    out.extend(second)
    out.append("</g>")
    return out
