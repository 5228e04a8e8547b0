"""The management review's input pack (PROCEDURES.md §5 "Inputs"; ISO 9001 §9.3.2): figures and charts that
each procedure computes itself for the period under review. The core and ``reviews/`` import no app: an app
registers its provider from its own ``AppConfig.ready()``; registering one is a three-line declaration:

    from qms.registry import register_review_input      # in the app's ready()
    from production import review
    register_review_input("isolation", _("隔离区与不合格品"), review.isolation_figures, order=40)

``isolation_figures(start, end)`` takes two dates (both included, Asia/Shanghai) and returns a ``ReviewSection``
(its figures and charts) or simply a list of ``ReviewFigure``. Each figure is one or a few grouped queries over
the period, whoever may see the records: the review reads the company's figures, not one user's.

Charts are data (``ReviewChart``), drawn here on the server as SVG (pygal), so that the review's pages and its
PDF show the same picture without a browser.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.utils import timezone

from qms.registry import ReviewFigure, ReviewInput, registry

BAR, PIE, LINE = "bar", "pie", "line"


@dataclass(frozen=True)
class ReviewChart:
    """A chart of a section: ``labels`` along the axis (or the pie's slices) and ``series`` as
    ``(name, values)`` pairs, one value per label (a pie has one series)."""

    title: str
    labels: tuple
    series: tuple
    kind: str = BAR

    def to_dict(self) -> dict:
        return {"title": str(self.title), "kind": self.kind, "labels": [str(label) for label in self.labels],
                "series": [[str(name), list(values)] for name, values in self.series]}

    @classmethod
    def from_dict(cls, data: dict) -> "ReviewChart":
        return cls(data["title"], tuple(data["labels"]), tuple((name, tuple(values)) for name, values in data["series"]),
                   data.get("kind", BAR))


def bar(title, labels, *series, kind: str = BAR) -> ReviewChart:
    """``bar(_("投诉类型"), ["质量", "交付"], (_("数量"), [3, 1]))``."""
    return ReviewChart(str(title), tuple(str(label) for label in labels),
                       tuple((str(name), tuple(values)) for name, values in series), kind)


def pie(title, counts: dict) -> ReviewChart:
    """One slice per label: ``pie(_("责任归属"), {"我方": 4, "顾客": 1})``."""
    return ReviewChart(str(title), tuple(str(label) for label in counts), (("", tuple(counts.values())),), PIE)


@dataclass
class ReviewSection:
    figures: list[ReviewFigure] = field(default_factory=list)
    charts: list[ReviewChart] = field(default_factory=list)


@dataclass
class PackSection:
    """A registered input with what it gave for the period."""

    key: str
    label: str
    figures: list[ReviewFigure]
    charts: list[ReviewChart]

    def to_dict(self) -> dict:
        return {"key": self.key, "label": str(self.label),
                "figures": [{"label": str(f.label), "value": _plain(f.value), "note": str(f.note)}
                            for f in self.figures],
                "charts": [chart.to_dict() for chart in self.charts]}

    @classmethod
    def from_dict(cls, data: dict) -> "PackSection":
        return cls(data["key"], data["label"],
                   [ReviewFigure(f["label"], f["value"], f["note"]) for f in data["figures"]],
                   [ReviewChart.from_dict(c) for c in data["charts"]])


def _plain(value):
    return value if isinstance(value, (int, float, str)) or value is None else str(value)


def _section(entry: ReviewInput, start: dt.date, end: dt.date) -> PackSection:
    given = entry.figures(start, end)
    if not isinstance(given, ReviewSection):
        given = ReviewSection(list(given))
    return PackSection(entry.key, str(entry.label), list(given.figures), list(given.charts))


def entries(keys=None) -> list[ReviewInput]:
    chosen = [entry for entry in registry.review_inputs.values() if keys is None or entry.key in keys]
    return sorted(chosen, key=lambda e: (e.order, e.key))


def collect(start: dt.date, end: dt.date, keys=None) -> list[PackSection]:
    """Every registered input's figures and charts for the period, in their declared order (``keys``: only
    those inputs)."""
    if end < start:
        raise ValueError("the period ends before it starts")
    return [_section(entry, start, end) for entry in entries(keys)]


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The period as aware datetimes: [start 00:00, the day after end 00:00) in the portal's time zone."""
    zone = timezone.get_default_timezone()
    return (dt.datetime.combine(start, dt.time.min, tzinfo=zone),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone))


def percent(part, whole, digits: int = 1):
    """``part`` of ``whole`` in %, or None when there is nothing to divide by."""
    return round(float(part) * 100 / float(whole), digits) if whole else None


def shown_percent(part, whole) -> str:
    rate = percent(part, whole)
    return "—" if rate is None else f"{rate}%"


# --- drawing --------------------------------------------------------------------------------------------
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)
FONT = "WenQuanYi Micro Hei, WenQuanYi Zen Hei, Noto Sans CJK SC, sans-serif"


def render_svg(chart: ReviewChart, *, width: int = 640, height: int = 300) -> str:
    """The chart as an inline ``<svg>`` element (no script, no external resource): for the pages and the PDF."""
    import pygal
    from pygal.style import Style

    style = Style(font_family=FONT, background="white", plot_background="white", foreground="#222",
                  foreground_strong="#111", foreground_subtle="#888", title_font_size=14, label_font_size=11,
                  major_label_font_size=11, legend_font_size=11, value_font_size=10,
                  colors=("#0d6efd", "#dc3545", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#6c757d"))
    options = dict(style=style, width=width, height=height, title=chart.title, disable_xml_declaration=True,
                   js=[], explicit_size=False, legend_at_bottom=True, print_values=False, margin=8,
                   show_legend=len(chart.series) > 1 or chart.kind == PIE)
    if chart.kind == PIE:
        drawing = pygal.Pie(**options)
        values = chart.series[0][1] if chart.series else ()
        for label, value in zip(chart.labels, values):
            drawing.add(label, value or 0)
    else:
        drawing = (pygal.Line if chart.kind == LINE else pygal.Bar)(x_label_rotation=20 if len(chart.labels) > 6
                                                                    else 0, **options)
        drawing.x_labels = list(chart.labels)
        for name, values in chart.series:
            drawing.add(name, [value if value is not None else None for value in values])
    if not any(any(v for v in values if v) for _name, values in chart.series):
        drawing.no_data_text = "—"
    # pygal adds its tooltip configuration as an inline script: the pages run no inline script (CSP) and the PDF none
    return _SCRIPT.sub("", drawing.render(is_unicode=True))
