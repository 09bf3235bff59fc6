"""Swimmer, waterfall and spider plots of the study's responses (pure: frames -> figures).

The frames come from :mod:`app.data` (``swimmer_lanes``, ``swimmer_events``,
``waterfall_bars``, ``spider_lines``); the rules behind them are in
docs/derivations.md#review-plots. Every mark carries the subject's USUBJID in
``customdata`` so that a click can open the subject profile (:func:`selected_subject`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import polars as pl

from app.views import links

#: Days per month (docs/derivations.md#months-and-durations).
DAYS_PER_MONTH = 30.4375

#: Best overall response: label and colour, best first (response_categories order).
BOR_STYLE: dict[str, tuple[str, str]] = {
    "SCR": ("sCR", "#1a5e20"),
    "CR": ("CR", "#2e9e44"),
    "VGPR": ("VGPR", "#1f77b4"),
    "PR": ("PR", "#7fb8e6"),
    "MR": ("MR", "#c9a227"),
    "SD": ("SD", "#9e9e9e"),
    "PD": ("PD", "#d62728"),
    "NE": ("NE", "#5c5c5c"),
}

#: Swimmer markers per event (seed swimmer_events): plotly symbol, colour, size.
EVENT_STYLE: dict[str, tuple[str, str, int]] = {
    "PR_OR_BETTER": ("triangle-up", "#f2b701", 10),
    "VGPR_OR_BETTER": ("diamond", "#e36f00", 10),
    "CR_OR_BETTER": ("star", "#7a1fa2", 13),
    "PD": ("x-thin-open", "#d62728", 11),
    "DEATH": ("square", "#000000", 9),
    "EOT": ("line-ns-open", "#000000", 14),
}

#: Waterfall reference lines: percent change and label.
REFERENCE_LINES: tuple[tuple[float, str], ...] = (
    (25.0, "+25%"),
    (-50.0, "−50%"),
    (-90.0, "−90%"),
)

#: Columns of the table of drawn subjects (after the profile link).
DRAWN_COLUMNS = ("USUBJID", "SITEID", "CYTORISK", "BOR", "TRTSDT", "TRTEDT", "TRTDURD", "ONGOING", "DTHDT")


def bor_label(bor: str | None) -> str:
    """Printed best response (``sCR`` for ``SCR``; ``NE`` when missing)."""
    return BOR_STYLE.get(bor or "NE", (bor or "NE", ""))[0]


def shown_message(what: str, n_drawn: int, n_matched: int, cap: int) -> str:
    """How many subjects match the filters and how many a plot draws.

    Parameters
    ----------
    what : str
        What one subject is in the plot ("lanes", "bars", "lines").
    n_drawn, n_matched : int
        Subjects drawn and subjects matching the filters.
    cap : int
        Most subjects the plot draws.
    """
    if n_matched == 0:
        return f"No subject matches the filters: no {what} to draw."
    if n_drawn < n_matched:
        return (
            f"Showing {what} of the first {n_drawn:,} subjects (by USUBJID) of {n_matched:,} matching "
            f"(at most {cap:,} are drawn); narrow the filters to see the others."
        )
    return f"Showing {what} of all {n_matched:,} matching subjects."


def _bor_order(frame: pl.DataFrame) -> list[str]:
    present = set(frame["BOR"].to_list()) if frame.height else set()
    return [b for b in BOR_STYLE if b in present] + sorted(b for b in present if b not in BOR_STYLE)


def swimmer_figure(lanes: pl.DataFrame, events: pl.DataFrame) -> go.Figure:
    """Swimmer plot: one horizontal bar per subject from TRTSDT to TRTEDT in months.

    Bars are coloured by best overall response and sorted with the longest treatment on
    top; markers show response onsets, confirmed PD, death and end of treatment at their
    study day (day ``d`` ends at ``d / 30.4375`` months); an arrow after the bar marks
    treatment ongoing at the cutoff.

    Parameters
    ----------
    lanes : polars.DataFrame
        ``USUBJID, BOR, TRTDURD, TRTDURM, ONGOING`` (one row per subject).
    events : polars.DataFrame
        ``USUBJID, EVENT, LABEL, ADY`` of those subjects.
    """
    fig = go.Figure()
    if not lanes.height:
        return _empty(fig, "No subjects to draw")
    lanes = lanes.sort(["TRTDURD", "USUBJID"], descending=[False, True], nulls_last=False)
    order = lanes["USUBJID"].to_list()  # plotly draws the first category at the bottom
    for bor in _bor_order(lanes):
        part = lanes.filter(pl.col("BOR") == bor)
        label, colour = BOR_STYLE.get(bor, (bor, "#777777"))
        fig.add_trace(
            go.Bar(
                y=part["USUBJID"].to_list(),
                x=part["TRTDURM"].to_list(),
                orientation="h",
                name=f"BOR {label}",
                legendgroup="bor",
                legendgrouptitle_text="Best overall response",
                marker_color=colour,
                customdata=part["USUBJID"].to_list(),
                hovertemplate="%{customdata}<br>treated %{x:.1f} months<br>BOR " + label + "<extra></extra>",
            )
        )
    ongoing = lanes.filter(pl.col("ONGOING") == "Y")
    if ongoing.height:
        fig.add_trace(
            go.Scatter(
                y=ongoing["USUBJID"].to_list(),
                x=(ongoing["TRTDURM"] + 0.6).to_list(),
                mode="markers",
                name="Treatment ongoing",
                legendgroup="events",
                legendgrouptitle_text="Events",
                marker={"symbol": "arrow-right", "size": 11, "color": "#333333"},
                customdata=ongoing["USUBJID"].to_list(),
                hovertemplate="%{customdata}<br>treatment ongoing at the cutoff<extra></extra>",
            )
        )
    events = events.filter(pl.col("USUBJID").is_in(order)) if events.height else events
    for event, (symbol, colour, size) in EVENT_STYLE.items():
        part = events.filter(pl.col("EVENT") == event) if events.height else events
        if not part.height:
            continue
        fig.add_trace(
            go.Scatter(
                y=part["USUBJID"].to_list(),
                x=(part["ADY"] / DAYS_PER_MONTH).to_list(),
                mode="markers",
                name=part["LABEL"][0],
                legendgroup="events",
                legendgrouptitle_text="Events",
                marker={
                    "symbol": symbol,
                    "color": colour,
                    "size": size,
                    "line": {"width": 1.5, "color": colour},
                },
                customdata=part["USUBJID"].to_list(),
                text=part["ADY"].to_list(),
                hovertemplate="%{customdata}<br>" + part["LABEL"][0] + " on day %{text}<extra></extra>",
            )
        )
    fig.update_layout(
        barmode="overlay",
        height=max(360, 120 + 18 * len(order)),
        margin={"l": 10, "r": 10, "t": 30, "b": 50},
        xaxis_title="Months since the first dose",
        # the range pinned to the lanes: autorange left an empty band above them at 200 lanes
        yaxis={
            "categoryorder": "array",
            "categoryarray": order,
            "range": [-0.5, len(order) - 0.5],
            "title": None,
            "tickfont": {"size": 10},
        },
        legend={"orientation": "v", "groupclick": "toggleitem"},
        clickmode="event+select",
    )
    fig.update_xaxes(rangemode="tozero", showgrid=True)
    return fig


def waterfall_figure(bars: pl.DataFrame) -> go.Figure:
    """Waterfall plot: one bar per subject, its best (minimum) percent change from baseline,
    sorted from the largest rise on the left to the largest reduction on the right,
    coloured by best overall response, with the −90%, −50% and +25% reference lines.

    Parameters
    ----------
    bars : polars.DataFrame
        ``USUBJID, BOR, PARAMCD, BESTPCHG, BESTADY`` (one row per subject).
    """
    fig = go.Figure()
    if not bars.height:
        return _empty(fig, "No subjects to draw")
    bars = bars.sort(["BESTPCHG", "USUBJID"], descending=[True, False])
    order = bars["USUBJID"].to_list()
    for bor in _bor_order(bars):
        part = bars.filter(pl.col("BOR") == bor)
        label, colour = BOR_STYLE.get(bor, (bor, "#777777"))
        fig.add_trace(
            go.Bar(
                x=part["USUBJID"].to_list(),
                y=part["BESTPCHG"].to_list(),
                name=label,
                marker_color=colour,
                customdata=part["USUBJID"].to_list(),
                hovertext=part["PARAMCD"].to_list(),
                hovertemplate="%{customdata}<br>best change %{y:.1f}% (%{hovertext})<br>BOR "
                + label
                + "<extra></extra>",
            )
        )
    # labels on the left, where the bars (largest rise first) are short
    _add_reference_lines(fig, dash="dash", colour="#555555", label_position="top left")
    fig.update_layout(
        height=480,
        bargap=0.15,
        margin={"l": 10, "r": 10, "t": 30, "b": 30},
        legend_title_text="Best overall response",
        yaxis_title="Best change from baseline (%)",
        xaxis={
            "categoryorder": "array",
            "categoryarray": order,
            "showticklabels": False,
            "title": "Subjects",
        },
        clickmode="event+select",
    )
    low = min(-100.0, float(bars["BESTPCHG"].min()))
    high = max(40.0, float(bars["BESTPCHG"].max()) + 10)
    fig.update_yaxes(range=[low - 5, high], zeroline=True, zerolinecolor="#333333")
    return fig


def spider_figure(lines: pl.DataFrame) -> go.Figure:
    """Spider plot: percent change from baseline against study day, one line per subject
    (starting at day 1 with 0%), coloured by best overall response.

    Parameters
    ----------
    lines : polars.DataFrame
        ``USUBJID, BOR, ADY, PCHG`` (one row per subject and assessment).
    """
    fig = go.Figure()
    if not lines.height:
        return _empty(fig, "No subjects to draw")
    lines = lines.sort(["USUBJID", "ADY"])
    for bor in _bor_order(lines):
        part = lines.filter(pl.col("BOR") == bor)
        label, colour = BOR_STYLE.get(bor, (bor, "#777777"))
        xs: list[Any] = []
        ys: list[Any] = []
        ids: list[Any] = []
        for (usubjid,), subject in part.group_by(["USUBJID"], maintain_order=True):
            xs += [1, *subject["ADY"].to_list(), None]
            ys += [0.0, *subject["PCHG"].to_list(), None]
            ids += [usubjid] * (subject.height + 1) + [None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=label,
                line={"color": colour, "width": 1.5},
                marker={"size": 5, "color": colour},
                customdata=ids,
                connectgaps=False,
                hovertemplate="%{customdata}<br>day %{x}: %{y:.1f}%<br>BOR " + label + "<extra></extra>",
            )
        )
    _add_reference_lines(fig, dash="dot", colour="#777777", label_position="top right")
    fig.update_layout(
        height=480,
        margin={"l": 10, "r": 10, "t": 30, "b": 50},
        legend_title_text="Best overall response",
        xaxis_title="Study day",
        yaxis_title="Change from baseline (%)",
        clickmode="event+select",
    )
    return fig


def _empty(fig: go.Figure, text: str) -> go.Figure:
    fig.add_annotation(text=text, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_layout(height=240, xaxis_visible=False, yaxis_visible=False)
    return fig


def selected_subject(event: Mapping[str, Any] | Any | None) -> str | None:
    """USUBJID of the first selected point of an ``st.plotly_chart`` selection, if any.

    Reads ``event["selection"]["points"][i]["customdata"]`` (a string, or a list whose
    first item is the USUBJID); points without one (gaps between spider lines) are skipped.
    """
    if not event:
        return None
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        custom = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(custom, (list, tuple)):
            custom = custom[0] if custom else None
        if isinstance(custom, str) and custom:
            return custom
    return None


def drawn_subjects(lanes: pl.DataFrame) -> pl.DataFrame:
    """The drawn subjects with a profile link column first (``links.PROFILE_COLUMN``),
    best response printed (``sCR``), ordered by USUBJID."""
    columns = [c for c in DRAWN_COLUMNS if c in lanes.columns]
    frame = lanes.select(columns).sort("USUBJID")
    if "BOR" in frame.columns:
        frame = frame.with_columns(pl.col("BOR").map_elements(bor_label, return_dtype=pl.String))
    # dates as YYYY-MM-DD text, an empty cell (not "None") when there is none
    frame = frame.with_columns(
        *(pl.col(c).dt.strftime("%Y-%m-%d").fill_null("") for c, t in frame.schema.items() if t == pl.Date)
    )
    return links.with_profile_links(frame)


def _add_reference_lines(fig, *, dash: str, colour: str, label_position: str) -> None:
    """The IMWG percent-change lines of :data:`REFERENCE_LINES`, each labelled."""
    for value, label in REFERENCE_LINES:
        fig.add_hline(
            y=value,
            line={"dash": dash, "width": 1, "color": colour},
            annotation={"text": label, "bgcolor": "rgba(255,255,255,0.85)", "font": {"size": 11}},
            annotation_position=label_position,
        )
