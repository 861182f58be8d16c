"""Charts as inline SVG strings: no JavaScript, crisp in print, legible in grey and for colour-blind readers.

Colours are the Okabe-Ito palette; series are also told apart by labels, never by colour alone.
Every text that comes from data is escaped here, because the templates mark these strings safe.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
TEXT = "#1f2933"
GRID = "#d9dee3"
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'


def _fmt(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value * 100:.0f}%"
    if unit == "h":
        return f"{value:.1f} h"
    if abs(value) >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _nice_top(value: float) -> float:
    """The smallest round number (1, 2, 2.5 or 5 x 10^k, times 4 ticks) at or above value."""
    if value <= 0:
        return 1.0
    step = value / 4
    magnitude = 10 ** math.floor(math.log10(step))
    for factor in (1, 2, 2.5, 5, 10):
        if step <= factor * magnitude:
            return 4 * factor * magnitude
    return value


TITLE_H = 20


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    """The chart with its title printed above it (and as the SVG's accessible name)."""
    total = height + TITLE_H
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {total}" width="{width}" height="{total}" '
        f'role="img" aria-label="{escape(title)}" {FONT} font-size="11">'
        f"<title>{escape(title)}</title>"
        f'<text x="0" y="14" font-size="12" font-weight="bold" fill="{TEXT}">{escape(title)}</text>'
        f'<g transform="translate(0 {TITLE_H})">{"".join(body)}</g></svg>'
    )


def empty_chart(
    title: str, message: str = "No data for this period", width: int = 560, height: int = 80
) -> str:
    return _svg(
        width,
        height,
        [
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{TEXT}">{escape(message)}</text>'
        ],
        title,
    )


def grouped_bars(
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    unit: str = "",
    width: int = 560,
    height: int = 220,
    target: float | None = None,
    target_label: str = "",
) -> str:
    """Vertical bars, one group per category and one bar per series, values printed above bars."""
    values = [v for vals in series.values() for v in vals if v is not None]
    if not categories or not values:
        return empty_chart(title)
    top = _nice_top(max(max(values), target or 0) * 1.08)
    if unit == "%" and max(values) <= 1:
        top = min(top, 1.0)  # a share never goes past 100%
    left, right, bottom, legend_h = 44, 10, 34, 20
    plot_w, plot_h = width - left - right, height - bottom - legend_h - 8
    y0 = legend_h + 8 + plot_h
    body = []
    for i in range(5):  # grid lines and their labels
        tick = top * i / 4
        y = y0 - plot_h * i / 4
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">{_fmt(tick, unit)}</text>'
        )
    group_w = plot_w / len(categories)
    bar_w = min(40, group_w * 0.8 / max(1, len(series)))
    for ci, category in enumerate(categories):
        gx = left + ci * group_w + (group_w - bar_w * len(series)) / 2
        for si, vals in enumerate(series.values()):
            v = vals[ci]
            if v is None:
                continue
            h = plot_h * v / top
            x = gx + si * bar_w
            body.append(
                f'<rect x="{x:.1f}" y="{y0 - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" fill="{PALETTE[si % len(PALETTE)]}"/>'
            )
            body.append(
                f'<text x="{x + bar_w / 2 - 1:.1f}" y="{y0 - h - 3:.1f}" text-anchor="middle" font-size="9" fill="{TEXT}">{_fmt(v, unit)}</text>'
            )
        body.append(
            f'<text x="{left + ci * group_w + group_w / 2:.1f}" y="{y0 + 14}" text-anchor="middle" fill="{TEXT}">{escape(str(category))}</text>'
        )
    if target is not None:
        y = y0 - plot_h * target / top
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="{TEXT}" stroke-dasharray="5 3"/>'
        )
        body.append(
            f'<text x="{width - right}" y="{y - 4:.1f}" text-anchor="end" fill="{TEXT}">{escape(target_label)}</text>'
        )
    body.extend(_legend(list(series), left))
    return _svg(width, height, body, title)


def _legend(names: list[str], left: int) -> list[str]:
    out, x = [], left
    for i, name in enumerate(names):
        out.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}"/>')
        out.append(f'<text x="{x + 14}" y="13" fill="{TEXT}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return out


def histogram(
    title: str, labels: Sequence[str], counts: Sequence[int], width: int = 560, height: int = 200
) -> str:
    """Bars of counts for ordered buckets (e.g. response-time ranges)."""
    if not counts or not sum(counts):
        return empty_chart(title)
    return grouped_bars(title, labels, {"requests": list(counts)}, width=width, height=height)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    unit: str = "",
    width: int = 560,
    height: int = 180,
    target: float | None = None,
    target_label: str = "",
) -> str:
    """Lines over ordered labels (months), with a dot and value on the last point of each line,
    and an optional dashed target line (e.g. the SLA target share)."""
    values = [v for vals in series.values() for v in vals if v is not None]
    if len(labels) < 2 or not values:
        return empty_chart(title, "Not enough history for a trend yet")
    low, high = min(0.0, min(values)), _nice_top(max(max(values), target or 0) * 1.08)
    if unit == "%" and max(values) <= 1 and (target or 0) <= 1:
        high = min(high, 1.0)  # a share never goes past 100%
    left, right, bottom, legend_h = 44, 40, 24, 20
    plot_w, plot_h = width - left - right, height - bottom - legend_h - 8
    y0 = legend_h + 8 + plot_h

    def y(v: float) -> float:
        return y0 - plot_h * (v - low) / (high - low)

    def x(i: int) -> float:
        return left + plot_w * i / (len(labels) - 1)

    body = []
    for i in range(5):
        v = low + (high - low) * i / 4
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="{GRID}"/>'
        )
        body.append(
            f'<text x="{left - 4}" y="{y(v) + 4:.1f}" text-anchor="end" fill="{TEXT}">{_fmt(v, unit)}</text>'
        )
    step = max(
        1, math.ceil(len(labels) / max(2, width // 80))
    )  # labels ~80 px apart: 13 months would overlap
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % step:
            continue
        body.append(
            f'<text x="{x(i):.1f}" y="{y0 + 14}" text-anchor="middle" fill="{TEXT}">{escape(str(label))}</text>'
        )
    if target is not None:
        body.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(target):.1f}" y2="{y(target):.1f}" stroke="{PALETTE[3]}" stroke-dasharray="4 3"/>'
        )
        body.append(
            f'<text x="{width - right}" y="{y(target) - 3:.1f}" text-anchor="end" fill="{PALETTE[3]}">{escape(target_label)}</text>'
        )
    dashes = ("", ' stroke-dasharray="6 3"', ' stroke-dasharray="2 2"', ' stroke-dasharray="8 2 2 2"')
    for si, vals in enumerate(series.values()):
        colour = PALETTE[si % len(PALETTE)]
        points = [(x(i), y(v)) for i, v in enumerate(vals) if v is not None]
        if not points:
            continue
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dashes[si % len(dashes)]}/>'
        )
        last = [v for v in vals if v is not None][-1]
        px, py = points[-1]
        body.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3" fill="{colour}"/>')
        body.append(f'<text x="{px + 5:.1f}" y="{py + 4:.1f}" fill="{TEXT}">{_fmt(last, unit)}</text>')
    body.extend(_legend(list(series), left))
    return _svg(width, height, body, title)


def scatter(
    title: str,
    points: Mapping[str, Sequence[tuple[float, float]]],
    x_label: str,
    y_label: str,
    width: int = 560,
    height: int = 220,
) -> str:
    """Dots per series (accounts): e.g. posts that day against engagements per post."""
    all_points = [p for pts in points.values() for p in pts if p[1] is not None]
    if not all_points:
        return empty_chart(title)
    max_x = max(p[0] for p in all_points) * 1.1 or 1
    max_y = _nice_top(max(p[1] for p in all_points) * 1.08)
    left, right, bottom, legend_h = 48, 10, 34, 20
    plot_w, plot_h = width - left - right, height - bottom - legend_h - 8
    y0 = legend_h + 8 + plot_h
    body = []
    for i in range(5):
        v = max_y * i / 4
        yy = y0 - plot_h * i / 4
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>')
        body.append(
            f'<text x="{left - 4}" y="{yy + 4:.1f}" text-anchor="end" fill="{TEXT}">{_fmt(v, "")}</text>'
        )
    for i in range(int(max_x) + 1):
        xx = left + plot_w * i / max_x
        body.append(f'<text x="{xx:.1f}" y="{y0 + 14}" text-anchor="middle" fill="{TEXT}">{i}</text>')
    body.append(
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle" fill="{TEXT}">{escape(x_label)}</text>'
    )
    body.append(
        f'<text x="10" y="{legend_h + 8 + plot_h / 2}" transform="rotate(-90 10 {legend_h + 8 + plot_h / 2})" text-anchor="middle" fill="{TEXT}">{escape(y_label)}</text>'
    )
    shapes = ("circle", "square", "diamond")
    for si, pts in enumerate(points.values()):
        colour = PALETTE[si % len(PALETTE)]
        shape = shapes[si % len(shapes)]
        for px, py in pts:
            if py is None:
                continue
            cx, cy = left + plot_w * px / max_x, y0 - plot_h * py / max_y
            if shape == "circle":
                body.append(
                    f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}" fill-opacity="0.75"/>'
                )
            elif shape == "square":
                body.append(
                    f'<rect x="{cx - 3.5:.1f}" y="{cy - 3.5:.1f}" width="7" height="7" fill="{colour}" fill-opacity="0.75"/>'
                )
            else:
                body.append(
                    f'<polygon points="{cx:.1f},{cy - 4.5:.1f} {cx + 4.5:.1f},{cy:.1f} {cx:.1f},{cy + 4.5:.1f} {cx - 4.5:.1f},{cy:.1f}" fill="{colour}" fill-opacity="0.75"/>'
                )
    body.extend(_legend(list(points), left))
    return _svg(width, height, body, title)


WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
NO_DATA = "#f5f7fa"  # a cell without posts
NOT_REPORTED = "#9aa5b1"  # posts, but the network reports no engagements
# A sequential blue (light to dark through a clear mid blue): legible in grey and for colour-blind readers.
BLUES = ((0xDE, 0xEB, 0xF7), (0x6B, 0xAE, 0xD6), (0x08, 0x30, 0x6B))


def _compact(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f}k" if value < 10_000 else f"{value / 1000:.0f}k"
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _shade(share: float) -> str:
    low, high, t = (BLUES[0], BLUES[1], share * 2) if share <= 0.5 else (BLUES[1], BLUES[2], share * 2 - 1)
    r, g, b = (round(lo + (hi - lo) * t) for lo, hi in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap(title: str, cells: Sequence[Mapping], min_posts: int, width: int = 580) -> str:
    """Weekday (rows, Monday first) by hour (columns, 0-23) of engagements per post.

    Each cell is a mapping with weekday (ISO, 1 = Monday), hour, posts, posts_with_engagements,
    engagements_per_post and status: 'shown' (its value printed and shaded from the lightest to
    the darkest blue of the shown cells), 'too_few' (fewer than min_posts posts reporting
    engagements: struck through, no value), 'not_reported' (the network reports no engagements:
    grey). A cell absent had no posts. Every cell's figures are in its <title> (a tooltip).
    """
    left, top, cell_w, cell_h = 34, 16, (width - 40) / 24, 18
    grid_h = top + 7 * cell_h
    height = grid_h + 30
    by_cell = {(int(c["weekday"]), int(c["hour"])): c for c in cells}
    shown = [c["engagements_per_post"] for c in cells if c["status"] == "shown"]
    low, high = (min(shown), max(shown)) if shown else (0.0, 0.0)
    body = []
    for hour in range(0, 24, 3):
        body.append(
            f'<text x="{left + hour * cell_w + cell_w / 2:.1f}" y="11" text-anchor="middle" font-size="9" fill="{TEXT}">{hour:02d}h</text>'
        )
    for day in range(1, 8):
        y = top + (day - 1) * cell_h
        body.append(
            f'<text x="{left - 4}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end" font-size="9" fill="{TEXT}">{WEEKDAY_NAMES[day - 1]}</text>'
        )
        for hour in range(24):
            x = left + hour * cell_w
            cell = by_cell.get((day, hour))
            rect = f'x="{x:.1f}" y="{y:.1f}" width="{cell_w - 1:.1f}" height="{cell_h - 1:.1f}"'
            when = f"{WEEKDAY_NAMES[day - 1]} {hour:02d}:00-{hour + 1:02d}:00"
            if cell is None:
                body.append(f'<rect {rect} fill="{NO_DATA}"><title>{when}: no posts</title></rect>')
                continue
            counts = f"{cell['posts']} posts, {cell['posts_with_engagements']} reporting engagements"
            if cell["status"] == "not_reported":
                body.append(
                    f'<rect {rect} fill="{NOT_REPORTED}"><title>{when}: engagements not reported ({counts})</title></rect>'
                )
                body.append(
                    f'<text x="{x + cell_w / 2 - 0.5:.1f}" y="{y + cell_h / 2 + 3:.1f}" text-anchor="middle" font-size="7" fill="#ffffff">n/a</text>'
                )
            elif cell["status"] == "too_few":
                body.append(
                    f'<rect {rect} fill="{NO_DATA}" stroke="{GRID}"><title>{when}: too few posts to judge ({counts})</title></rect>'
                )
                body.append(
                    f'<line x1="{x + 2:.1f}" y1="{y + cell_h - 3:.1f}" x2="{x + cell_w - 3:.1f}" y2="{y + 2:.1f}" stroke="{NOT_REPORTED}"/>'
                )
            else:
                value = cell["engagements_per_post"]
                share = (value - low) / (high - low) if high > low else 1.0
                ink = "#ffffff" if share > 0.55 else TEXT
                body.append(
                    f'<rect {rect} fill="{_shade(share)}"><title>{when}: {value:,.1f} engagements per post ({counts})</title></rect>'
                )
                body.append(
                    f'<text x="{x + cell_w / 2 - 0.5:.1f}" y="{y + cell_h / 2 + 3:.1f}" text-anchor="middle" font-size="7.5" fill="{ink}">{_compact(value)}</text>'
                )
    # The legend: the scale's ends and what the other cells mean.
    y = grid_h + 10
    x = left
    if shown:
        body.append(f'<text x="{x}" y="{y + 9}" font-size="9" fill="{TEXT}">{_compact(low)}</text>')
        x += 6 + 5.2 * len(_compact(low))
        for i in range(5):
            body.append(f'<rect x="{x + 10 * i}" y="{y}" width="10" height="10" fill="{_shade(i / 4)}"/>')
        x += 54
        label = f"{_compact(high)} engagements per post"
        body.append(f'<text x="{x}" y="{y + 9}" font-size="9" fill="{TEXT}">{escape(label)}</text>')
        x += 16 + 5.5 * len(label)
    legend = [
        (NO_DATA, GRID, f"fewer than {min_posts} posts", "line"),
        (NOT_REPORTED, "", "n/a: not reported", None),
        (NO_DATA, GRID, "no posts", None),
    ]
    for fill, stroke, label, mark in legend:
        outline = f' stroke="{stroke}"' if stroke else ""
        body.append(f'<rect x="{x}" y="{y}" width="12" height="10" fill="{fill}"{outline}/>')
        if mark:
            body.append(
                f'<line x1="{x + 1}" y1="{y + 9}" x2="{x + 11}" y2="{y + 1}" stroke="{NOT_REPORTED}"/>'
            )
        body.append(f'<text x="{x + 16}" y="{y + 9}" font-size="9" fill="{TEXT}">{escape(label)}</text>')
        x += 22 + 5.5 * len(label)
    return _svg(width, int(height), body, title)
