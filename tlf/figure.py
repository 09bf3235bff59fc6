"""Figure 1 of the paper: the Kaplan-Meier plot of progression-free survival (full analysis set)
with the numbers at risk under it, drawn from the analysis-results dataset ``results.ard`` alone.

Every number on the figure is an ARD row: the step curve and its log-log band are the ``F1``
rows ``PFS|TIME=<days>`` (surv, surv_lower, surv_upper, n_censor), the numbers at risk the ``F1``
rows ``PFS|MONTH=<m>`` (n_risk, printed as STAT_FMT), the median with its 95% CI and the events
the ``EFF`` rows of item ``PFS`` (STAT_FMT), N the ``POP`` row ``FAS``. Nothing is recomputed
here; the one conversion is the x axis unit (days -> months, presentation only).
docs/DESIGN.md "Tables and figures".
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import polars as pl

__all__ = [
    "DAYS_PER_MONTH",
    "FIGURE_TITLE",
    "FigureError",
    "figure_png",
    "figure_rtf",
    "page_header_text",
]

FIGURE_TITLE = "Figure 1 Kaplan\u2013Meier plot of progression-free survival in the full analysis set"
DAYS_PER_MONTH = 30.4375
"""Days per month of the x axis (365.25 / 12), as results.km_curves.TIME_MONTHS."""
# fixed size, resolution and font: identical ARD rows give identical PNG bytes
_SIZE_IN = (9.0, 5.0)
_DPI = 150
_RC = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs on every machine
    "font.size": 9,
    "axes.linewidth": 0.8,
    "svg.hashsalt": "ctwh",
    "path.simplify": False,
}
_CURVE_STATS = ("surv", "surv_lower", "surv_upper", "n_censor")


class FigureError(ValueError):
    """Figure 1 cannot be drawn from the ARD given; the message names the missing rows."""


def _rows(ard: pl.DataFrame, table_id: str, prefix: str) -> pl.DataFrame:
    return ard.filter((pl.col("TABLE_ID") == table_id) & pl.col("ITEM").str.starts_with(prefix))


def _level(level: str) -> float:
    # VARIABLE_LEVEL of `PFS|TIME=<days, %g>` / `PFS|MONTH=<months, %g>` (the ARD contract)
    return float(level)


def _steps(ard: pl.DataFrame) -> pl.DataFrame:
    """The PFS Kaplan-Meier steps, one row per time (days), columns TIME and the curve stats."""
    rows = _rows(ard, "F1", "PFS|TIME=").filter(pl.col("STAT_NAME").is_in(_CURVE_STATS))
    if rows.is_empty():
        raise FigureError("results.ard has no F1 rows 'PFS|TIME=...': Figure 1 cannot be drawn")
    wide = (
        rows.select("VARIABLE_LEVEL", "STAT_NAME", "STAT")
        .pivot(on="STAT_NAME", index="VARIABLE_LEVEL", values="STAT")
        .with_columns(pl.col("VARIABLE_LEVEL").cast(pl.Float64).alias("TIME"))
        .sort("TIME")
    )
    missing = [s for s in _CURVE_STATS if s not in wide.columns]
    if missing:
        raise FigureError(f"results.ard F1 'PFS|TIME=...' rows lack the statistics {missing}")
    return wide


def _at_risk(ard: pl.DataFrame) -> list[tuple[float, str]]:
    rows = _rows(ard, "F1", "PFS|MONTH=").filter(pl.col("STAT_NAME") == "n_risk")
    if rows.is_empty():
        raise FigureError("results.ard has no F1 rows 'PFS|MONTH=...' n_risk: no numbers at risk")
    return sorted((_level(r["VARIABLE_LEVEL"]), r["STAT_FMT"]) for r in rows.iter_rows(named=True))


def _fmt(ard: pl.DataFrame, table_id: str, item: str, stat: str) -> str:
    hit = ard.filter(
        (pl.col("TABLE_ID") == table_id) & (pl.col("ITEM") == item) & (pl.col("STAT_NAME") == stat)
    )
    if hit.height != 1:
        raise FigureError(f"results.ard has {hit.height} rows {table_id}|{item}|{stat} (one expected)")
    return hit["STAT_FMT"][0]


def annotation(ard: pl.DataFrame) -> dict[str, str]:
    """The printed values of the figure's annotation, as the ARD formats them.

    Parameters
    ----------
    ard : polars.DataFrame
        ``results.ard``.

    Returns
    -------
    dict of str to str
        ``median``, ``ci_lo``, ``ci_hi`` (EFF PFS, months), ``events`` (EFF PFS) and ``n``
        (POP FAS): each the row's STAT_FMT ("NE" when not estimable).
    """
    return {
        "median": _fmt(ard, "EFF", "PFS", "median_months"),
        "ci_lo": _fmt(ard, "EFF", "PFS", "ci_lo"),
        "ci_hi": _fmt(ard, "EFF", "PFS", "ci_hi"),
        "events": _fmt(ard, "EFF", "PFS", "events"),
        "n": _fmt(ard, "POP", "FAS", "n"),
    }


def data_cutoff(ard: pl.DataFrame) -> str:
    """The one DATA_CUTOFF of the ARD as ISO text (YYYY-MM-DD)."""
    values = ard["DATA_CUTOFF"].drop_nulls().unique().to_list()
    if len(values) != 1:
        raise FigureError(
            f"results.ard holds {len(values)} data cutoffs {sorted(map(str, values))}: one expected"
        )
    return str(values[0])[:10]


def figure_png(ard: pl.DataFrame) -> bytes:
    """Figure 1 as PNG bytes: PFS Kaplan-Meier curve, log-log 95% band, censor marks, numbers
    at risk and the median PFS annotation, from the ARD rows alone.

    Parameters
    ----------
    ard : polars.DataFrame
        ``results.ard`` (TABLE_ID, ITEM, STAT_NAME, STAT, STAT_FMT, ...).

    Returns
    -------
    bytes
        A PNG of fixed size, resolution and font without a Software entry: identical ARD rows
        give identical bytes.

    Raises
    ------
    FigureError
        A row the figure needs is missing from the ARD.
    """
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    steps = _steps(ard)
    at_risk = _at_risk(ard)
    note = annotation(ard)
    # axis unit only: step times are days (the ARD's level), the paper's axis is months
    months = (steps["TIME"] / DAYS_PER_MONTH).to_list()
    x_max = max(max(m for m, _ in at_risk), max(months))
    with rc_context(_RC):
        fig = Figure(figsize=_SIZE_IN, dpi=_DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.09, 0.30, 0.88, 0.66))
        risk_ax = fig.add_axes((0.09, 0.03, 0.88, 0.10), sharex=ax)
        ax.step(months, steps["surv"].to_list(), where="post", color="black", linewidth=1.4, label="PFS")
        for col in ("surv_lower", "surv_upper"):
            ax.step(
                months,
                steps[col].to_list(),
                where="post",
                color="black",
                linewidth=0.8,
                linestyle=(0, (4, 3)),
                label="95% CI (log-log)" if col == "surv_lower" else None,
            )
        censored = steps.filter(pl.col("n_censor") > 0)
        ax.plot(
            (censored["TIME"] / DAYS_PER_MONTH).to_list(),
            censored["surv"].to_list(),
            linestyle="none",
            marker="+",
            markersize=8,
            markeredgewidth=1.2,
            color="black",
            label="Censored",
        )
        ax.set_ylim(0, 1.05)
        ax.set_xlim(0, x_max + 0.5)
        ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
        ax.set_xticks([m for m, _ in at_risk])
        ax.set_ylabel("Progression-free survival probability")
        ax.set_xlabel("Months since first dose")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="upper right", frameon=False)
        ax.text(
            0.02,
            0.05,
            f"Median PFS {note['median']} months (95% CI {note['ci_lo']}\u2013{note['ci_hi']})\n"
            f"Events {note['events']}/{note['n']}",
            transform=ax.transAxes,
            ha="left",
            va="bottom",
        )
        risk_ax.set_ylim(0, 1)
        risk_ax.axis("off")
        for month, text in at_risk:
            risk_ax.text(month, 0.3, text, ha="center", va="center")
        risk_ax.text(0, 0.95, "No. at risk", ha="left", va="top", transform=risk_ax.transAxes)
        buffer = io.BytesIO()
        # no Software entry: the PNG does not name the matplotlib version
        fig.savefig(buffer, format="png", dpi=_DPI, metadata={"Software": None})
    return buffer.getvalue()


def page_header_text(study_id: str, cutoff: str) -> str:
    """The page header of every output: study, data cutoff, 'Page x of y' (RTF field codes).

    Parameters
    ----------
    study_id : str
        Study identifier (e.g. ``NCT02917941``).
    cutoff : str
        Data cutoff, ISO date.

    Returns
    -------
    str
        RTF header text (rtflite does not convert header text, so the fields stay fields).
        The NUMPAGES field carries its font size in its result: LibreOffice draws a field's
        result in the result's own size, not the header's.
    """
    return (
        f"Study {study_id}    Data cutoff {cutoff}    "
        "Page \\chpgn  of {\\field{\\*\\fldinst {\\fs18 NUMPAGES }}{\\fldrslt {\\fs18 1}}}"
    )


def figure_rtf(ard: pl.DataFrame, *, study_id: str) -> str:
    """Figure 1 as an RTF document (rtflite ``RTFFigure``): title, page header with study, data
    cutoff and 'Page x of y', the PNG of `figure_png`, footnotes on population, N, methods and
    cutoff.

    Parameters
    ----------
    ard : polars.DataFrame
        ``results.ard``.
    study_id : str
        Study identifier for the page header.

    Returns
    -------
    str
        The RTF text; identical ARD rows give identical text.

    Raises
    ------
    FigureError
        A row the figure needs is missing from the ARD.
    """
    import rtflite as rtf

    png = figure_png(ard)
    note = annotation(ard)
    at_risk = _at_risk(ard)
    cutoff = data_cutoff(ard)
    # the numbers at risk are also text (the PNG's are pixels): readable and searchable in the PDF
    footnotes = [
        f"Full analysis set (FAS), N = {note['n']}: all enrolled patients who received at least one dose "
        "of study drug.",
        "Kaplan\u2013Meier (product-limit) estimate; dashed lines: pointwise 95% confidence band on the "
        "log-log scale (Greenwood variance); +: censored.",
        f"Median PFS {note['median']} months, 95% CI {note['ci_lo']}\u2013{note['ci_hi']} "
        "(Brookmeyer\u2013Crowley, log-log); "
        f"events {note['events']} of {note['n']}. NE: not estimable.",
        "Numbers at risk (patients with PFS time at or after the time shown), months: "
        + ", ".join(f"{month:g}: {n}" for month, n in at_risk)
        + ".",
        f"Months = days / {DAYS_PER_MONTH:g}. Data cutoff {cutoff}.",
    ]
    # rtflite embeds figures from files: a throwaway file, only its bytes enter the RTF
    with tempfile.TemporaryDirectory(prefix="ctwh-f01-") as tmp:
        path = Path(tmp) / "f01_pfs_km.png"
        path.write_bytes(png)
        doc = rtf.RTFDocument(
            # landscape letter; a smaller top margin than rtflite's 2 in keeps title, figure and notes on one page
            rtf_page=rtf.RTFPage(orientation="landscape", margin=[1.0, 1.0, 1.5, 1.0, 1.0, 0.75]),
            rtf_page_header=rtf.RTFPageHeader(text=page_header_text(study_id, cutoff), text_font_size=9),
            rtf_title=rtf.RTFTitle(text=[FIGURE_TITLE]),
            rtf_figure=rtf.RTFFigure(
                figures=[path], fig_width=7.6, fig_height=7.6 * _SIZE_IN[1] / _SIZE_IN[0]
            ),
            rtf_footnote=rtf.RTFFootnote(text=footnotes, text_font_size=8, as_table=False),
            # the same source line as the tables (tlf.rtf_tables)
            rtf_source=rtf.RTFSource(
                text=[
                    f"Source: results.ard (analysis results dataset), study {study_id}, data cutoff {cutoff}"
                ],
                text_font_size=8,
            ),
        )
        return doc.rtf_encode()
