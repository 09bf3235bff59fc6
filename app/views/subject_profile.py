"""Subject profile: one subject's course on one study-day axis (pure functions, no Streamlit).

The marks come from ``review.review_subject_events`` (one row per mark, with its source record;
docs/derivations.md#subject-profile). The figure has five panels sharing the x axis (study day,
day 1 = TRTSDT): SPEP, UPEP and dFLC values with markers coloured by the assessment's IMWG
category; the treatment and event lanes (dosing bars per drug and cycle, IMWG category of each
assessment, confirmed responses and PD, subsequent therapy, disposition, death); and one lane per
adverse event, bars coloured by grade. A mark whose source record is new or changed in the site's
latest transfer (CHGTYPE) gets a thick black outline.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from app.views.common import MISSING

#: Lanes of the event panel, top to bottom: (TRACK, label on the y axis).
EVENT_LANES: tuple[tuple[str, str], ...] = (
    ("DOSE IXAZOMIB", "Ixazomib"),
    ("DOSE LENALIDOMIDE", "Lenalidomide"),
    ("DOSE DEXAMETHASONE", "Dexamethasone"),
    ("RESPONSE", "IMWG response"),
    ("CONFIRMED", "Confirmed"),
    ("SUBSEQUENT THERAPY", "Subsequent therapy"),
    ("DISPOSITION", "Disposition"),
    ("DEATH", "Death"),
)
#: Measurement panels: (TRACK, y-axis title).
MEASUREMENTS: tuple[tuple[str, str], ...] = (
    ("SPEP", "M-protein<br>g/dL"),
    ("UPEP", "Urine M<br>mg/24h"),
    ("DFLC", "dFLC<br>mg/dL"),
)
DOSE_TRACKS = tuple(t for t, _ in EVENT_LANES if t.startswith("DOSE "))
POINT_TRACKS = ("RESPONSE", "CONFIRMED", "SUBSEQUENT THERAPY", "DISPOSITION", "DEATH")

#: IMWG categories, best first, and their colours (markers of the measurement and response lanes).
IMWG_COLOURS: dict[str, str] = {
    "SCR": "#1a7f37",
    "CR": "#2da44e",
    "VGPR": "#54aeff",
    "PR": "#0969da",
    "MR": "#8250df",
    "SD": "#9a6700",
    "PD": "#cf222e",
    "NE": "#8c959f",
}
#: Dosing categories (review_profile_dose_cycles) and their colours.
DOSE_COLOURS: dict[str, str] = {
    "FULL": "#2da44e",
    "PARTLY HELD": "#d4a72c",
    "REDUCED": "#fb8f44",
    "HELD": "#cf222e",
}
#: AE grade colours (CTCAE 1-5).
GRADE_COLOURS: dict[str, str] = {
    "Grade 1": "#fff3b0",
    "Grade 2": "#ffc46b",
    "Grade 3": "#f0883e",
    "Grade 4": "#d1242f",
    "Grade 5": "#6e0f14",
    "Grade ?": "#8c959f",
}
#: Symbols of the point lanes that are not coloured by an IMWG category.
OTHER_POINTS: dict[str, tuple[str, str]] = {
    "SUBSEQUENT THERAPY": ("triangle-right", "#6639ba"),
    "DISPOSITION": ("square", "#57606a"),
    "DEATH": ("x-thin-open", "#000000"),
}
#: Outline of a mark whose source record is new or changed in the site's latest transfer.
CHANGED_LINE = ("#000000", 3)

#: Columns of the table of marks under the figure (in order).
TABLE_COLUMNS = (
    "TRACK",
    "MARK",
    "CATEGORY",
    "VALUE",
    "UNIT",
    "FLAG",
    "STARTDT",
    "ENDDT",
    "STARTDY",
    "ENDDY",
    "CHGTYPE",
    "FORM",
    "RECID",
    "TRANSFER_ID",
    "SOURCE_FILE",
    "SOURCE_ROW",
    "DETAIL",
)


# --------------------------------------------------------------------------- header
def _text(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _round(value: float | None) -> str:
    return MISSING if value is None else f"{value:.0f}"


def header_sections(header: dict[str, Any]) -> list[tuple[str, list[tuple[str, str]]]]:
    """The ADSL values shown above the figure, in groups: ``[(group, [(label, text), ...])]``.

    Parameters
    ----------
    header : dict
        One row of :func:`app.data.subject_header`.
    """

    def days(start: Any, end: Any) -> str:
        if start is None or end is None:
            return ""
        return f" (day {study_day(end, start)})"

    death = MISSING
    if header.get("DTHFL") == "Y":
        death = f"{_text(header.get('DTHDT'))}{days(header.get('TRTSDT'), header.get('DTHDT'))}, {_text(header.get('DTHCAUS'))}"
    eot = _text(header.get("EOTSTT"))
    if header.get("EOTSTT") == "DISCONTINUED":
        eot = f"{_text(header.get('EOTDT'))}{days(header.get('TRTSDT'), header.get('EOTDT'))}: {_text(header.get('DCTREAS'))}"
    populations = ", ".join(
        name
        for name, flag in (("FAS", "FASFL"), ("SAF", "SAFFL"), ("RE", "RSEVFL"), ("MEAS", "MEASFL"))
        if header.get(flag) == "Y"
    )
    return [
        (
            "Subject",
            [
                ("Site", _text(header.get("SITEID"))),
                ("Age / sex", f"{_text(header.get('AGE'))} / {_text(header.get('SEX'))}"),
                ("Populations", populations or "none"),
                ("ECOG at baseline", _text(header.get("ECOGBL"))),
            ],
        ),
        (
            "Disease at baseline",
            [
                ("ISS", _text(header.get("ISS"))),
                ("Cytogenetic risk", _text(header.get("CYTORISK"))),
                ("Myeloma type", f"{_text(header.get('MMTYPE'))} {_text(header.get('LCTYPE'))}"),
                ("Prior lines", f"{_text(header.get('PRLINES'))} ({_text(header.get('PRRELREF'))})"),
            ],
        ),
        (
            "Treatment",
            [
                ("First / last dose", f"{_text(header.get('TRTSDT'))} – {_text(header.get('TRTEDT'))}"),
                (
                    "Lenalidomide start",
                    f"{_text(header.get('LENSTDOS'))} mg (CrCl {_round(header.get('CRCLBL'))} mL/min)",
                ),
                ("End of treatment", eot),
                ("Subsequent therapy", _text(header.get("SUBSQDT"))),
            ],
        ),
        (
            "Outcome",
            [
                ("Best overall response", _text(header.get("BOR"))),
                ("Death", death),
                ("Last known alive", _text(header.get("LSTALVDT"))),
            ],
        ),
    ]


def study_day(day: date, trtsdt: date) -> int:
    """Study day of ``day`` (docs/derivations.md#study-day): day 1 = TRTSDT, no day 0."""
    delta = (day - trtsdt).days
    return delta + 1 if delta >= 0 else delta


# --------------------------------------------------------------------------- marks
def with_hover(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` with ``HOVER``: what the mark is, when, and its source record (site,
    transfer, file, row, and whether the latest transfer made it new or changed)."""
    value = (
        pl.when(pl.col("VALUE").is_not_null())
        .then(
            pl.lit(" ")
            + pl.col("VALUE").round(3).cast(pl.String)
            + pl.lit(" ")
            + pl.col("UNIT").fill_null("")
        )
        .otherwise(pl.lit(""))
    )
    span = (
        pl.when(pl.col("ENDDT") != pl.col("STARTDT"))
        .then(
            pl.lit("day ")
            + pl.col("STARTDY").cast(pl.String).fill_null("?")
            + pl.lit(" to ")
            + pl.col("ENDDY").cast(pl.String).fill_null("?")
            + pl.lit(" (")
            + pl.col("STARTDT").cast(pl.String).fill_null("?")
            + pl.lit(" to ")
            + pl.col("ENDDT").cast(pl.String).fill_null("?")
            + pl.lit(")")
        )
        .otherwise(
            pl.lit("day ")
            + pl.col("STARTDY").cast(pl.String).fill_null("?")
            + pl.lit(" (")
            + pl.col("STARTDT").cast(pl.String).fill_null("?")
            + pl.lit(")")
        )
    )
    change = (
        pl.when(pl.col("CHGTYPE").is_not_null())
        .then(pl.lit("<br><b>") + pl.col("CHGTYPE") + pl.lit(" in the site's latest transfer</b>"))
        .otherwise(pl.lit(""))
    )
    return events.with_columns(
        HOVER=pl.concat_str(
            [
                pl.lit("<b>")
                + pl.col("MARK").fill_null("")
                + pl.lit("</b> ")
                + pl.col("CATEGORY").fill_null("")
                + value,
                pl.when(pl.col("FLAG").is_not_null())
                .then(pl.lit(" – ") + pl.col("FLAG"))
                .otherwise(pl.lit("")),
                pl.lit("<br>") + span,
                pl.lit("<br>") + pl.col("DETAIL").fill_null(""),
                pl.lit("<br>source: site ")
                + pl.col("SITEID").fill_null("?")
                + pl.lit(", transfer ")
                + pl.col("TRANSFER_ID").fill_null("?")
                + pl.lit(", ")
                + pl.col("SOURCE_FILE").fill_null("?")
                + pl.lit(" row ")
                + pl.col("SOURCE_ROW").cast(pl.String).fill_null("?"),
                change,
            ]
        )
    )


def ae_lanes(events: pl.DataFrame) -> list[str]:
    """One y label per AE mark, in start order (``<n>. <term>``; numbered so that two AEs with
    the same term get lanes of their own)."""
    aes = events.filter(pl.col("TRACK") == "AE")
    return [f"{i + 1}. {label}" for i, label in enumerate(aes["MARK"].fill_null("?").to_list())]


def table_of_marks(events: pl.DataFrame) -> pl.DataFrame:
    """The marks as the table under the figure (:data:`TABLE_COLUMNS`), lanes in figure order."""
    order = {t: i for i, t in enumerate([t for t, _ in MEASUREMENTS] + [t for t, _ in EVENT_LANES] + ["AE"])}
    return (
        events.with_columns(
            _ORDER=pl.col("TRACK").replace_strict(order, default=len(order), return_dtype=pl.Int64)
        )
        .sort("_ORDER", "STARTDT", "MARK", nulls_last=True, maintain_order=True)
        .select(TABLE_COLUMNS)
    )


def counts_by_track(events: pl.DataFrame) -> dict[str, int]:
    """Marks per lane (the caption under the figure)."""
    return dict(events.group_by("TRACK").len().sort("TRACK").iter_rows())


def source_of(point: dict[str, Any]) -> tuple[str, int] | None:
    """``(SOURCE_FILE, SOURCE_ROW)`` of a clicked mark (its ``customdata``), if any."""
    custom = point.get("customdata")
    if not custom or len(custom) < 2 or custom[0] is None or custom[1] is None:
        return None
    return str(custom[0]), int(custom[1])


# --------------------------------------------------------------------------- figure
Mark = dict[str, Any]


class _Traces:
    """Traces of the figure collected first, added in one call (plotly validates each call)."""

    def __init__(self) -> None:
        self.traces: list[dict[str, Any]] = []
        self.rows: list[int] = []
        self.shown: set[str] = set()

    def _legend(self, name: str, group: str) -> dict[str, Any]:
        first_of_group = group not in self.shown
        first = name not in self.shown
        self.shown.update((name, group))
        legend = {"name": name, "legendgroup": group, "showlegend": first}
        if first_of_group:
            legend["legendgrouptitle"] = {"text": group}
        return legend

    def bars(self, marks: list[Mark], lanes: list[str], colour: str, name: str, group: str, row: int) -> None:
        """Horizontal bars from STARTDY to ENDDY (a one-day mark is one day wide)."""
        self.traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "base": [m["STARTDY"] - 0.5 for m in marks],
                "x": [max(m["ENDDY"] - m["STARTDY"] + 1, 1) for m in marks],
                "y": lanes,
                "width": 0.7,
                "marker": {"color": colour, "line": _outline(marks, "rgba(0,0,0,0.35)", 0.5)},
                "hovertext": [m["HOVER"] for m in marks],
                "hoverinfo": "text",
                "customdata": _custom(marks),
                **self._legend(name, group),
            }
        )
        self.rows.append(row)

    def points(
        self,
        marks: list[Mark],
        y: list[Any],
        colour: str,
        symbol: str,
        name: str,
        group: str,
        row: int,
        size: int = 11,
        x: list[Any] | None = None,
    ) -> None:
        """Markers at STARTDY (or ``x``)."""
        self.traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": x if x is not None else [m["STARTDY"] for m in marks],
                "y": y,
                "marker": {
                    "color": colour,
                    "symbol": symbol,
                    "size": size,
                    "line": _outline(marks, "rgba(255,255,255,0.9)", 1),
                },
                "hovertext": [m["HOVER"] for m in marks],
                "hoverinfo": "text",
                "customdata": _custom(marks),
                **self._legend(name, group),
            }
        )
        self.rows.append(row)

    def plain(self, trace: dict[str, Any], row: int) -> None:
        self.traces.append(trace)
        self.rows.append(row)


def _outline(marks: list[Mark], default: str, width: float) -> dict[str, list]:
    changed = [m["CHGTYPE"] is not None for m in marks]
    return {
        "color": [CHANGED_LINE[0] if c else default for c in changed],
        "width": [CHANGED_LINE[1] if c else width for c in changed],
    }


def _custom(marks: list[Mark]) -> list[list[Any]]:
    return [[m["SOURCE_FILE"], m["SOURCE_ROW"]] for m in marks]


def profile_figure(events: pl.DataFrame, title: str = "") -> go.Figure:
    """The subject's profile: one figure, five panels on one study-day axis.

    Parameters
    ----------
    events : polars.DataFrame
        :func:`app.data.subject_profile_events` of one subject; marks without a study day
        (no TRTSDT) are not drawn (they stay in the table).
    title : str
        Figure title.

    Returns
    -------
    plotly.graph_objects.Figure
        Every mark's trace carries ``customdata = [SOURCE_FILE, SOURCE_ROW]`` per mark, so a click
        leads to the source record; marks new or changed in the site's latest transfer have a
        thick black outline.
    """
    drawn = with_hover(events.filter(pl.col("STARTDY").is_not_null())).sort("STARTDY", maintain_order=True)
    by_track: dict[str, list[Mark]] = {}
    for mark in drawn.iter_rows(named=True):
        by_track.setdefault(mark["TRACK"], []).append(mark)

    def of(track: str, **where: Any) -> list[Mark]:
        return [m for m in by_track.get(track, []) if all(m[k] == v for k, v in where.items())]

    lanes = [label for _, label in EVENT_LANES]
    lane_of = dict(EVENT_LANES)
    ae_marks = by_track.get("AE", [])
    aes = [f"{i + 1}. {m['MARK'] or '?'}" for i, m in enumerate(ae_marks)]
    heights = [1.2, 1.2, 1.2, 0.45 * len(lanes), 0.32 * max(len(aes), 1) + 0.3]
    fig = make_subplots(
        rows=5,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.045,
        row_heights=heights,
        subplot_titles=(
            "Serum M-protein (SPEP)",
            "Urine M-protein (UPEP)",
            "Difference of involved and uninvolved free light chains (dFLC)",
            "Treatment and response",
            "Adverse events (bar from start to end; ongoing: to the data cutoff)",
        ),
    )
    out = _Traces()
    imwg = "IMWG category"

    # measurements: grey line, markers coloured by the assessment's category
    for row, (track, axis_title) in enumerate(MEASUREMENTS, start=1):
        marks = by_track.get(track, [])
        fig.update_yaxes(title_text=axis_title, row=row, col=1, rangemode="tozero")
        if not marks:
            _say_empty(fig, "no result", row)
            continue
        out.plain(
            {
                "type": "scatter",
                "mode": "lines",
                "x": [m["STARTDY"] for m in marks],
                "y": [m["VALUE"] for m in marks],
                "line": {"color": "#8c959f", "width": 1.5},
                "hoverinfo": "skip",
                "showlegend": False,
            },
            row,
        )
        for category, colour in IMWG_COLOURS.items():
            part = [m for m in marks if m["CATEGORY"] == category]
            if part:
                out.points(part, [m["VALUE"] for m in part], colour, "circle", category, imwg, row, size=10)

    # treatment and event lanes
    for track in DOSE_TRACKS:
        for category, colour in DOSE_COLOURS.items():
            part = of(track, CATEGORY=category)
            if part:
                out.bars(part, [lane_of[track]] * len(part), colour, category, "Dosing per cycle", 4)
        stopped = of(track, FLAG="DISCONTINUED")
        if stopped:
            out.points(
                stopped,
                [lane_of[track]] * len(stopped),
                "#24292f",
                "line-ns-open",
                "drug discontinued",
                "Dosing per cycle",
                4,
                size=16,
                x=[m["ENDDY"] + 0.5 for m in stopped],
            )
    for track in ("RESPONSE", "CONFIRMED"):
        for category, colour in IMWG_COLOURS.items():
            part = of(track, CATEGORY=category, FLAG=None)
            if part:
                symbol = "diamond" if track == "CONFIRMED" else "circle"
                out.points(part, [lane_of[track]] * len(part), colour, symbol, category, imwg, 4)
        pd_confirmed = of(track, FLAG="CONFIRMED PD")
        if pd_confirmed:
            out.points(
                pd_confirmed,
                [lane_of[track]] * len(pd_confirmed),
                IMWG_COLOURS["PD"],
                "star",
                "confirmed PD (PDCNF)",
                "Events",
                4,
                size=16,
            )
    for track, (symbol, colour) in OTHER_POINTS.items():
        part = by_track.get(track, [])
        if part:
            out.points(
                part,
                [lane_of[track]] * len(part),
                colour,
                symbol,
                lane_of[track].lower(),
                "Events",
                4,
                size=14,
            )
    # every lane on the axis, also the empty ones
    out.plain(
        {
            "type": "scatter",
            "x": [None] * len(lanes),
            "y": lanes,
            "mode": "markers",
            "showlegend": False,
            "hoverinfo": "skip",
        },
        4,
    )

    # adverse events: one lane each, coloured by grade; serious ones get a red marker at the start
    if not ae_marks:
        _say_empty(fig, "no adverse event", 5)
    lane_of_ae = {id(m): lane for m, lane in zip(ae_marks, aes)}
    for category, colour in GRADE_COLOURS.items():
        part = [m for m in ae_marks if m["CATEGORY"] == category]
        if part:
            out.bars(part, [lane_of_ae[id(m)] for m in part], colour, category.lower(), "AE grade", 5)
    serious = [m for m in ae_marks if "SERIOUS" in (m["FLAG"] or "")]
    if serious:
        out.points(
            serious,
            [lane_of_ae[id(m)] for m in serious],
            "#cf222e",
            "diamond-tall",
            "serious (AESER)",
            "AE grade",
            5,
            size=12,
        )

    # the outline of new/changed records, explained once in the legend
    out.plain(
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "name": "new/changed in the latest transfer",
            "marker": {
                "color": "white",
                "size": 12,
                "line": {"color": CHANGED_LINE[0], "width": CHANGED_LINE[1]},
            },
            "legendgroup": "Source",
            "legendgrouptitle": {"text": "Source"},
        },
        4,
    )
    fig.add_traces(out.traces, rows=out.rows, cols=[1] * len(out.rows))

    fig.update_yaxes(
        categoryorder="array", categoryarray=lanes[::-1], range=[-0.5, len(lanes) - 0.5], row=4, col=1
    )
    if aes:
        fig.update_yaxes(categoryorder="array", categoryarray=aes[::-1], row=5, col=1)
    fig.update_xaxes(title_text="Study day (day 1 = first dose, TRTSDT)", row=5, col=1)
    fig.update_xaxes(zeroline=False, showgrid=True, gridcolor="#eaeef2", showticklabels=True)
    for row in range(1, 6):
        fig.add_vline(x=1, line={"color": "#57606a", "width": 1, "dash": "dot"}, row=row, col=1)
    fig.update_layout(
        title={"text": title, "x": 0},
        barmode="overlay",
        height=int(260 * sum(heights) / 2.2 + 300),
        margin={"l": 10, "r": 10, "t": 60, "b": 40},
        legend={"orientation": "v", "groupclick": "toggleitem", "font": {"size": 11}},
        hoverlabel={"align": "left"},
        clickmode="event+select",
    )
    fig.update_annotations(font_size=12)
    return fig


def _say_empty(fig, text: str, row: int) -> None:
    """``text`` in the middle of the (empty) panel ``row`` of the profile figure."""
    fig.add_annotation(
        text=text, xref="x domain", yref="y domain", x=0.5, y=0.5, showarrow=False, row=row, col=1
    )
