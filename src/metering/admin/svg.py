"""Inline SVG: usage bars and the 24-hour chart. No scripts, no external assets; every text is escaped."""

from __future__ import annotations

from markupsafe import Markup, escape

BAR_WIDTH, BAR_HEIGHT = 220, 14
#: Line styles of the 24-hour chart (classes s0..s7 in admin.css): each differs from the others in colour AND
#: dash pattern, so lines stay apart for colour-blind readers and in greyscale prints.
SERIES_STYLES = 8


def level(percent: float, warn_at: float) -> str:
    """CSS class of a usage level: ok below the first notification threshold, warn up to 100%, over above."""
    if percent > 100:
        return "over"
    return "warn" if percent >= warn_at else "ok"


def usage_bar(percent: float, label: str, warn_at: float) -> Markup:
    """A horizontal bar filled to `percent` (capped at the bar's end), with an accessible label."""
    filled = max(0.0, min(percent, 100.0)) / 100 * BAR_WIDTH
    return Markup(
        '<svg class="bar" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        "<title>{label}</title>"
        '<rect class="track" x="0" y="0" width="{w}" height="{h}" rx="3"/>'
        '<rect class="fill {cls}" x="0" y="0" width="{f:.1f}" height="{h}" rx="3" data-percent="{p:.1f}"/>'
        "</svg>"
    ).format(w=BAR_WIDTH, h=BAR_HEIGHT, label=escape(label), cls=level(percent, warn_at), f=filled, p=percent)


def line_chart(
    series: list[tuple[str, list[float]]], hour_labels: list[str], width: int = 560, height: int = 160
) -> Markup:
    """Percent-of-limit lines, one per series, over hourly points; a dashed line marks 100%."""
    left, right, top, bottom = 34, 8, 8, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max([100.0, *(v for _, values in series for v in values)])
    points = max((len(v) for _, v in series), default=0)

    def x(i: int) -> float:
        return left + (plot_w * i / max(1, points - 1))

    def y(v: float) -> float:
        return top + plot_h * (1 - v / peak)

    parts = [
        Markup(
            '<svg class="chart" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            'aria-label="Usage over the last 24 hours, percent of limit">'
        ).format(w=width, h=height)
    ]
    for value in (0, 50, 100):
        parts.append(
            Markup('<text class="axis" x="{x}" y="{y:.1f}">{v}%</text>').format(x=2, y=y(value) + 4, v=value)
        )
    parts.append(
        Markup('<line class="limit" x1="{a}" x2="{b}" y1="{y:.1f}" y2="{y:.1f}"/>').format(
            a=left, b=width - right, y=y(100)
        )
    )
    for i in range(0, points, 6):
        parts.append(
            Markup('<text class="axis" x="{x:.1f}" y="{y}">{t}</text>').format(
                x=x(i) - 12, y=height - 4, t=hour_labels[i] if i < len(hour_labels) else ""
            )
        )
    for n, (name, values) in enumerate(series):
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            Markup('<polyline class="series s{n}" points="{c}"><title>{t}</title></polyline>').format(
                n=n % SERIES_STYLES, c=coords, t=name
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def legend_swatch(n: int) -> Markup:
    """A short sample of line style `n` of the chart, for its legend entry."""
    return Markup(
        '<svg class="swatch" width="28" height="10" viewBox="0 0 28 10" aria-hidden="true">'
        '<line class="series s{n}" x1="0" x2="28" y1="5" y2="5"/></svg>'
    ).format(n=n % SERIES_STYLES)
