"""Summary page: headline figures (stored or recomputed on a filtered set of subjects
with the ``analysis`` package) and the Kaplan-Meier curve of PFS."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from analysis.rounding import format_value
from app.views.common import MISSING, RESPONSE_ROWS, ResultLookup, ci_text, int_or_none

# analysis.km / analysis.results import lifelines and analysis.proportions scipy.stats
# (seconds on a cold start); they are imported where a recomputation needs them, so the
# unfiltered Summary renders without.


@dataclass(frozen=True)
class SummaryFigures:
    """Headline figures of the Summary page, already printed."""

    source: str  # "results" or "recomputed"
    n_fas: int | None
    n_re: int | None
    vgpr_n: int | None
    vgpr_pct: str
    vgpr_ci: str
    orr_n: int | None
    orr_pct: str
    orr_ci: str
    pfs_median: str
    pfs_ci: str
    pfs_events: int | None
    followup_median: str
    pfs_median_months: float | None = None
    data_cutoff: str | None = None


@dataclass(frozen=True)
class Card:
    """One headline figure as the Summary page shows it (``st.metric`` + caption)."""

    label: str
    value: str
    caption: str
    help: str = ""


def _count(x: int | None) -> str:
    return MISSING if x is None else str(x)


def _with_unit(text: str, unit: str) -> str:
    return MISSING if text == MISSING else f"{text}{unit}"


def _ci(text: str) -> str:
    return MISSING if text == ci_text(MISSING, MISSING) else text


def summary_cards(f: SummaryFigures) -> list[Card]:
    """The four headline cards: VGPR or better, ORR, median PFS, median follow-up.

    ``50.0%`` / ``16/32 · 95% CI 31.9–68.1`` style; a figure the warehouse lacks is ``–``.
    """
    return [
        Card(
            "VGPR or better",
            _with_unit(f.vgpr_pct, "%"),
            f"{_count(f.vgpr_n)}/{_count(f.n_re)} · 95% CI {_ci(f.vgpr_ci)}",
            "Primary endpoint: confirmed VGPR or better in the response-evaluable set; "
            "exact (Clopper-Pearson) 95% CI",
        ),
        Card(
            "Overall response (≥ PR)",
            _with_unit(f.orr_pct, "%"),
            f"{_count(f.orr_n)}/{_count(f.n_re)} · 95% CI {_ci(f.orr_ci)}",
            "Confirmed PR or better in the response-evaluable set; exact 95% CI",
        ),
        Card(
            "Median PFS",
            _with_unit(f.pfs_median, " months"),
            f"95% CI {_ci(f.pfs_ci)} · {_count(f.pfs_events)} events",
            "Kaplan-Meier median (FAS); Brookmeyer-Crowley log-log 95% CI",
        ),
        Card(
            "Median follow-up",
            _with_unit(f.followup_median, " months"),
            "reverse Kaplan-Meier of OS",
            "Median follow-up by the reverse Kaplan-Meier method (censoring as the event)",
        ),
    ]


def summary_scope(f: SummaryFigures) -> str:
    """One line saying which subjects the figures are about and where they come from."""
    if f.source == "results":
        return (
            f"All subjects ({_count(f.n_fas)} FAS, {_count(f.n_re)} response-evaluable), data cutoff "
            f"{f.data_cutoff or MISSING} — figures from results.analysis_results."
        )
    return (
        f"Filtered: {_count(f.n_fas)} FAS subjects, {_count(f.n_re)} response-evaluable — "
        "recomputed from adam.adsl/adrs/adtte with the analysis package."
    )


def summary_from_results(results: pl.DataFrame) -> SummaryFigures:
    """Headline figures as stored in ``results.analysis_results`` (unfiltered).

    Parameters
    ----------
    results : polars.DataFrame
        ``results.analysis_results``.

    Returns
    -------
    SummaryFigures
        VGPR or better and ORR (Table 3: n, %, exact 95% CI, N = RE), median PFS with
        its 95% CI and number of events, median follow-up (reverse KM), all as printed.
    """
    r = ResultLookup(results)
    n_re = int_or_none(r.value("POP", "RE", "n")) or r.denominator("T3", "VGPR_OR_BETTER", "n")
    return SummaryFigures(
        source="results",
        n_fas=int_or_none(r.value("POP", "FAS", "n")),
        n_re=n_re,
        vgpr_n=int_or_none(r.value("T3", "VGPR_OR_BETTER", "n")),
        vgpr_pct=r.text("T3", "VGPR_OR_BETTER", "pct"),
        vgpr_ci=ci_text(r.text("T3", "VGPR_OR_BETTER", "ci_lo"), r.text("T3", "VGPR_OR_BETTER", "ci_hi")),
        orr_n=int_or_none(r.value("T3", "ORR", "n")),
        orr_pct=r.text("T3", "ORR", "pct"),
        orr_ci=ci_text(r.text("T3", "ORR", "ci_lo"), r.text("T3", "ORR", "ci_hi")),
        pfs_median=r.text("EFF", "PFS", "median_months"),
        pfs_ci=ci_text(r.text("EFF", "PFS", "ci_lo"), r.text("EFF", "PFS", "ci_hi")),
        pfs_events=int_or_none(r.value("EFF", "PFS", "events")),
        followup_median=r.text("EFF", "FOLLOW_UP", "median_months"),
        pfs_median_months=r.value("EFF", "PFS", "median_months"),
        data_cutoff=r.data_cutoff(),
    )


def filter_subjects(
    adsl: pl.DataFrame, cytogenetic_risk: Sequence[str] = (), sites: Sequence[str] = ()
) -> pl.DataFrame:
    """Subjects of ``adsl`` in the chosen cytogenetic-risk groups and sites (empty = all)."""
    out = adsl
    if cytogenetic_risk:
        out = out.filter(pl.col("CYTORISK").is_in(list(cytogenetic_risk)))
    if sites:
        out = out.filter(pl.col("SITEID").cast(pl.String).is_in([str(s) for s in sites]))
    return out


def _proportion(n: int, N: int) -> tuple[str, str]:
    """Printed percentage and CI of n/N (Clopper-Pearson), one decimal."""
    if N == 0:
        return MISSING, ci_text(MISSING, MISSING)
    from analysis.proportions import clopper_pearson  # scipy: only when recomputing (filters)

    lo, hi = clopper_pearson(n, N)
    return format_value(100.0 * n / N, 1), ci_text(format_value(100.0 * lo, 1), format_value(100.0 * hi, 1))


def _months(days: float | None) -> str:
    from analysis.km import days_to_months

    return format_value(days_to_months(days), 1)


def _tte(subjects: pl.DataFrame, tte: pl.DataFrame, paramcd: str) -> pl.DataFrame:
    """``AVAL`` (days) and ``EVENT`` of one parameter among FAS ``subjects``."""
    fas = subjects.filter(pl.col("FASFL") == "Y").select("USUBJID")
    return (
        tte.filter(pl.col("PARAMCD") == paramcd)
        .join(fas, on="USUBJID", how="semi")
        .filter(pl.col("AVAL").is_not_null())
        .select(pl.col("AVAL").cast(pl.Float64), (pl.col("CNSR") == 0).cast(pl.Int64).alias("EVENT"))
    )


def summary_from_adam(subjects: pl.DataFrame, bor: pl.DataFrame, tte: pl.DataFrame) -> SummaryFigures:
    """Headline figures recomputed from (filtered) ADaM frames with the ``analysis`` package.

    Parameters
    ----------
    subjects : polars.DataFrame
        ``adam.adsl`` rows of the chosen subjects (``USUBJID, FASFL, RSEVFL``).
    bor : polars.DataFrame
        ``adam.adrs`` BOR rows (``USUBJID, AVALC``).
    tte : polars.DataFrame
        ``adam.adtte`` rows for PFS and OS (``USUBJID, PARAMCD, AVAL, CNSR``).

    Returns
    -------
    SummaryFigures
        Same rules as the results tables: response rates over the RE subjects with
        Clopper-Pearson CIs, KM median PFS with Brookmeyer-Crowley log-log CI, median
        follow-up by reverse KM of OS; months = days / 30.4375; ``NE`` when not estimable.
    """
    from analysis.km import DAYS_PER_MONTH, km_quantile, median_followup

    re_ids = subjects.filter(pl.col("RSEVFL") == "Y").select("USUBJID")
    responses = bor.join(re_ids, on="USUBJID", how="semi")["AVALC"].to_list()
    n_re = re_ids.height
    vgpr_n = sum(a in RESPONSE_ROWS["VGPR_OR_BETTER"] for a in responses)
    orr_n = sum(a in RESPONSE_ROWS["ORR"] for a in responses)
    vgpr_pct, vgpr_ci = _proportion(vgpr_n, n_re)
    orr_pct, orr_ci = _proportion(orr_n, n_re)

    pfs = _tte(subjects, tte, "PFS")
    median_months = None
    if pfs.height:
        q = km_quantile(pfs["AVAL"], pfs["EVENT"], p=0.5)
        pfs_median, pfs_ci = _months(q["estimate"]), ci_text(_months(q["lower"]), _months(q["upper"]))
        median_months = None if q["estimate"] is None else q["estimate"] / DAYS_PER_MONTH
    else:
        pfs_median, pfs_ci = MISSING, ci_text(MISSING, MISSING)
    os_ = _tte(subjects, tte, "OS")
    followup = _months(median_followup(os_["AVAL"], os_["EVENT"])["estimate"]) if os_.height else MISSING
    return SummaryFigures(
        source="recomputed",
        n_fas=subjects.filter(pl.col("FASFL") == "Y").height,
        n_re=n_re,
        vgpr_n=vgpr_n,
        vgpr_pct=vgpr_pct,
        vgpr_ci=vgpr_ci,
        orr_n=orr_n,
        orr_pct=orr_pct,
        orr_ci=orr_ci,
        pfs_median=pfs_median,
        pfs_ci=pfs_ci,
        pfs_events=int(pfs["EVENT"].sum()) if pfs.height else 0,
        followup_median=followup,
        pfs_median_months=median_months,
    )


# --------------------------------------------------------------------------- Kaplan-Meier
def km_frames_from_adam(
    subjects: pl.DataFrame, tte: pl.DataFrame, paramcd: str = "PFS", step_months: float = 3.0
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """KM step data and numbers at risk of (filtered) subjects, in the results-table layout.

    Returns
    -------
    tuple of polars.DataFrame
        ``(curve, at_risk)`` shaped like ``results.km_curves`` / ``results.km_at_risk``
        (built with :func:`analysis.results.km_curve_frame`,
        :func:`analysis.results.at_risk_times` and :func:`analysis.km.numbers_at_risk`);
        both empty when no FAS subject has the parameter.
    """
    from analysis.km import DAYS_PER_MONTH, numbers_at_risk
    from analysis.results import at_risk_times, km_curve_frame

    data = _tte(subjects, tte, paramcd)
    days = data["AVAL"].to_list()
    curve = km_curve_frame(days, data["EVENT"].to_list(), paramcd)
    if not days:
        return curve, pl.DataFrame(
            schema={"PARAMCD": pl.String, "TIME_MONTHS": pl.Float64, "N_RISK": pl.Int64}
        )
    ticks = at_risk_times(max(days), step_months)
    at_risk = pl.DataFrame(
        {
            "PARAMCD": [paramcd] * len(ticks),
            "TIME_MONTHS": ticks,
            "N_RISK": numbers_at_risk(days, ticks * DAYS_PER_MONTH),
        },
        schema={"PARAMCD": pl.String, "TIME_MONTHS": pl.Float64, "N_RISK": pl.Int64},
    )
    return curve, at_risk


def km_figure(
    curve: pl.DataFrame,
    at_risk: pl.DataFrame,
    *,
    title: str = "Progression-free survival (FAS)",
    y_title: str = "Progression-free survival",
    median_months: float | None = None,
    step_months: float = 3.0,
) -> go.Figure:
    """Kaplan-Meier figure: step line, 95% band, censor marks, numbers at risk below the axis.

    Parameters
    ----------
    curve : polars.DataFrame
        ``TIME_MONTHS, SURV, LOWER, UPPER, N_CENSOR`` (``results.km_curves`` layout,
        first row at time 0); the band may be null where S(t) = 0.
    at_risk : polars.DataFrame
        ``TIME_MONTHS, N_RISK`` at the x-axis ticks.
    title, y_title : str
        Figure and y-axis titles.
    median_months : float, optional
        Draws a dotted guide at S = 0.5 down to the median when given.
    step_months : float, default 3
        Spacing of the x-axis ticks (the at-risk times).

    Returns
    -------
    plotly.graph_objects.Figure
        Two rows sharing the x axis: the curve (traces ``95% CI`` upper/lower,
        ``Kaplan-Meier estimate``, ``Censored``) and a text row ``Number at risk``.
    """
    x = curve["TIME_MONTHS"].to_list()
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.84, 0.16], vertical_spacing=0.1)
    band = dict(line_shape="hv", mode="lines", line=dict(width=0), hoverinfo="skip", connectgaps=False)
    fig.add_trace(
        go.Scatter(x=x, y=curve["UPPER"].to_list(), name="95% CI upper", showlegend=False, **band),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=curve["LOWER"].to_list(),
            name="95% CI",
            fill="tonexty",
            fillcolor="rgba(31, 119, 180, 0.18)",
            showlegend=True,
            **band,
        ),
        row=1,
        col=1,
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=curve["SURV"].to_list(),
            name="Kaplan-Meier estimate",
            mode="lines",
            line_shape="hv",
            line=dict(color="rgb(31, 119, 180)", width=2.5),
            hovertemplate="%{x:.1f} months<br>S(t) = %{y:.3f}<extra></extra>",
        ),
        row=1,
        col=1,
    )
    censored = curve.filter(pl.col("N_CENSOR") > 0)
    fig.add_trace(
        go.Scatter(
            x=censored["TIME_MONTHS"].to_list(),
            y=censored["SURV"].to_list(),
            name="Censored",
            mode="markers",
            marker=dict(symbol="line-ns-open", size=11, color="rgb(31, 119, 180)", line=dict(width=2)),
            customdata=censored["N_CENSOR"].to_list(),
            hovertemplate="censored at %{x:.1f} months (%{customdata})<extra></extra>",
        ),
        row=1,
        col=1,
    )
    if median_months is not None:
        fig.add_trace(
            go.Scatter(
                x=[0, median_months, median_months],
                y=[0.5, 0.5, 0],
                mode="lines",
                name="Median",
                line=dict(color="grey", width=1, dash="dot"),
                hoverinfo="skip",
                showlegend=False,
            ),
            row=1,
            col=1,
        )
    fig.add_trace(
        go.Scatter(
            x=at_risk["TIME_MONTHS"].to_list(),
            y=["At risk"] * at_risk.height,
            mode="text",
            text=[str(n) for n in at_risk["N_RISK"].to_list()],
            textfont=dict(size=13),
            name="Number at risk",
            showlegend=False,
            hoverinfo="skip",
        ),
        row=2,
        col=1,
    )
    x_max = max([*x, *at_risk["TIME_MONTHS"].to_list(), step_months])
    ticks = [i * step_months for i in range(int(x_max // step_months) + 1)]
    fig.update_xaxes(
        range=[-0.5, x_max + 1], tickvals=ticks, showticklabels=True, title_text="Months", row=1, col=1
    )
    fig.update_xaxes(
        range=[-0.5, x_max + 1],
        tickvals=ticks,
        showticklabels=False,
        showgrid=False,
        zeroline=False,
        row=2,
        col=1,
    )
    fig.update_yaxes(range=[0, 1.03], tickformat=".1f", title_text=y_title, row=1, col=1)
    fig.update_yaxes(showgrid=False, zeroline=False, title_text="", tickfont=dict(size=13), row=2, col=1)
    fig.update_layout(
        title=dict(text=title),
        height=560,
        margin=dict(l=70, r=20, t=60, b=30),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        hovermode="closest",
    )
    return fig
