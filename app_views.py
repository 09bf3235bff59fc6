"""Pure functions behind the Streamlit pages: frames in, display tables and figures out.

Nothing here touches the warehouse or Streamlit. The pages read frames with
:mod:`app_data` and hand them to these functions:

* :func:`summary_from_results` / :func:`summary_from_adam` give the headline figures
  of the Summary page, either as stored in ``results.analysis_results`` or recomputed
  on a filtered set of subjects with the ``analysis`` package;
* :func:`km_frames_from_adam` and :func:`km_figure` draw the Kaplan-Meier curve;
* :func:`paper_tables` lays Tables 1-7 out as the paper prints them;
* :func:`comparison_view`, :func:`site_freshness`, :func:`validation_by_site`,
  :func:`stale_rows` and :func:`trace_cells` serve the other pages.

Printed numbers follow STUDY.md: rounding half away from zero
(:func:`analysis.rounding.format_value`), ``NE`` for not estimable, months one decimal.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from analysis.rounding import NOT_ESTIMABLE, format_value

# analysis.km / analysis.results import lifelines and analysis.proportions scipy.stats
# (seconds on a cold start); they are imported where a recomputation needs them, so the
# unfiltered Summary renders without.

#: Shown for a figure the warehouse does not (yet) hold.
MISSING = "–"
EN_DASH = "–"

#: Best overall response categories counted by each Table 3 row (AVAL order of ADRS).
RESPONSE_ROWS: dict[str, tuple[str, ...]] = {
    "CR": ("SCR", "CR"),
    "SCR": ("SCR",),
    "PR": ("VGPR", "PR"),
    "VGPR": ("VGPR",),
    "ORR": ("SCR", "CR", "VGPR", "PR"),
    "VGPR_OR_BETTER": ("SCR", "CR", "VGPR"),
    "SD": ("SD",),
    "PD": ("PD",),
}


# --------------------------------------------------------------------------- lookups
class ResultLookup:
    """``(TABLE_ID, ITEM, STAT)`` -> value, printed text and denominator of ``analysis_results``."""

    def __init__(self, results: pl.DataFrame):
        self._rows = {
            (r["TABLE_ID"], r["ITEM"], r["STAT"]): r
            for r in results.select(
                "TABLE_ID", "ITEM", "STAT", "VALUE", "VALUE_TEXT",
                *(c for c in ("DENOMINATOR", "DATA_CUTOFF") if c in results.columns),
            ).iter_rows(named=True)
        }

    def has(self, table: str, item: str, stat: str) -> bool:
        return (table, item, stat) in self._rows

    def text(self, table: str, item: str, stat: str) -> str:
        """The printed value, :data:`MISSING` when the figure is absent."""
        row = self._rows.get((table, item, stat))
        return MISSING if row is None or row["VALUE_TEXT"] is None else str(row["VALUE_TEXT"])

    def value(self, table: str, item: str, stat: str) -> float | None:
        row = self._rows.get((table, item, stat))
        return None if row is None else row["VALUE"]

    def denominator(self, table: str, item: str, stat: str) -> int | None:
        row = self._rows.get((table, item, stat))
        return None if row is None or row.get("DENOMINATOR") is None else int(row["DENOMINATOR"])

    def items(self, table: str, stat: str, prefix: str = "") -> list[str]:
        """Items of a table that carry ``stat``, in stored order."""
        return [k[1] for k in self._rows if k[0] == table and k[2] == stat and k[1].startswith(prefix)]

    def data_cutoff(self) -> str | None:
        for row in self._rows.values():
            if row.get("DATA_CUTOFF") is not None:
                return str(row["DATA_CUTOFF"])
        return None


def ci_text(lo: str, hi: str) -> str:
    """``31.9–68.1`` (en dash, as the paper's text prints a CI)."""
    return f"{lo}{EN_DASH}{hi}"


# --------------------------------------------------------------------------- summary
@dataclass(frozen=True)
class SummaryFigures:
    """Headline figures of the Summary page, already printed."""

    source: str                 # "results" or "recomputed"
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
        Card("VGPR or better", _with_unit(f.vgpr_pct, "%"),
             f"{_count(f.vgpr_n)}/{_count(f.n_re)} · 95% CI {_ci(f.vgpr_ci)}",
             "Primary endpoint: confirmed VGPR or better in the response-evaluable set; "
             "exact (Clopper-Pearson) 95% CI"),
        Card("Overall response (≥ PR)", _with_unit(f.orr_pct, "%"),
             f"{_count(f.orr_n)}/{_count(f.n_re)} · 95% CI {_ci(f.orr_ci)}",
             "Confirmed PR or better in the response-evaluable set; exact 95% CI"),
        Card("Median PFS", _with_unit(f.pfs_median, " months"),
             f"95% CI {_ci(f.pfs_ci)} · {_count(f.pfs_events)} events",
             "Kaplan-Meier median (FAS); Brookmeyer-Crowley log-log 95% CI"),
        Card("Median follow-up", _with_unit(f.followup_median, " months"), "reverse Kaplan-Meier of OS",
             "Median follow-up by the reverse Kaplan-Meier method (censoring as the event)"),
    ]


def summary_scope(f: SummaryFigures) -> str:
    """One line saying which subjects the figures are about and where they come from."""
    if f.source == "results":
        return (f"All subjects ({_count(f.n_fas)} FAS, {_count(f.n_re)} response-evaluable), data cutoff "
                f"{f.data_cutoff or MISSING} — figures from results.analysis_results.")
    return (f"Filtered: {_count(f.n_fas)} FAS subjects, {_count(f.n_re)} response-evaluable — "
            "recomputed from adam.adsl/adrs/adtte with the analysis package.")


def _int_or_none(x: float | None) -> int | None:
    return None if x is None else int(round(x))


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
    n_re = _int_or_none(r.value("POP", "RE", "n")) or r.denominator("T3", "VGPR_OR_BETTER", "n")
    return SummaryFigures(
        source="results",
        n_fas=_int_or_none(r.value("POP", "FAS", "n")),
        n_re=n_re,
        vgpr_n=_int_or_none(r.value("T3", "VGPR_OR_BETTER", "n")),
        vgpr_pct=r.text("T3", "VGPR_OR_BETTER", "pct"),
        vgpr_ci=ci_text(r.text("T3", "VGPR_OR_BETTER", "ci_lo"), r.text("T3", "VGPR_OR_BETTER", "ci_hi")),
        orr_n=_int_or_none(r.value("T3", "ORR", "n")),
        orr_pct=r.text("T3", "ORR", "pct"),
        orr_ci=ci_text(r.text("T3", "ORR", "ci_lo"), r.text("T3", "ORR", "ci_hi")),
        pfs_median=r.text("EFF", "PFS", "median_months"),
        pfs_ci=ci_text(r.text("EFF", "PFS", "ci_lo"), r.text("EFF", "PFS", "ci_hi")),
        pfs_events=_int_or_none(r.value("EFF", "PFS", "events")),
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
        return curve, pl.DataFrame(schema={"PARAMCD": pl.String, "TIME_MONTHS": pl.Float64, "N_RISK": pl.Int64})
    ticks = at_risk_times(max(days), step_months)
    at_risk = pl.DataFrame(
        {"PARAMCD": [paramcd] * len(ticks), "TIME_MONTHS": ticks,
         "N_RISK": numbers_at_risk(days, ticks * DAYS_PER_MONTH)},
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
    fig.add_trace(go.Scatter(x=x, y=curve["UPPER"].to_list(), name="95% CI upper", showlegend=False, **band),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=x, y=curve["LOWER"].to_list(), name="95% CI", fill="tonexty",
                             fillcolor="rgba(31, 119, 180, 0.18)", showlegend=True, **band), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=x, y=curve["SURV"].to_list(), name="Kaplan-Meier estimate", mode="lines", line_shape="hv",
        line=dict(color="rgb(31, 119, 180)", width=2.5),
        hovertemplate="%{x:.1f} months<br>S(t) = %{y:.3f}<extra></extra>",
    ), row=1, col=1)
    censored = curve.filter(pl.col("N_CENSOR") > 0)
    fig.add_trace(go.Scatter(
        x=censored["TIME_MONTHS"].to_list(), y=censored["SURV"].to_list(), name="Censored", mode="markers",
        marker=dict(symbol="line-ns-open", size=11, color="rgb(31, 119, 180)", line=dict(width=2)),
        customdata=censored["N_CENSOR"].to_list(),
        hovertemplate="censored at %{x:.1f} months (%{customdata})<extra></extra>",
    ), row=1, col=1)
    if median_months is not None:
        fig.add_trace(go.Scatter(
            x=[0, median_months, median_months], y=[0.5, 0.5, 0], mode="lines", name="Median",
            line=dict(color="grey", width=1, dash="dot"), hoverinfo="skip", showlegend=False,
        ), row=1, col=1)
    fig.add_trace(go.Scatter(
        x=at_risk["TIME_MONTHS"].to_list(), y=["At risk"] * at_risk.height, mode="text",
        text=[str(n) for n in at_risk["N_RISK"].to_list()], textfont=dict(size=13),
        name="Number at risk", showlegend=False, hoverinfo="skip",
    ), row=2, col=1)
    x_max = max([*x, *at_risk["TIME_MONTHS"].to_list(), step_months])
    ticks = [i * step_months for i in range(int(x_max // step_months) + 1)]
    fig.update_xaxes(range=[-0.5, x_max + 1], tickvals=ticks, showticklabels=True, title_text="Months",
                     row=1, col=1)
    fig.update_xaxes(range=[-0.5, x_max + 1], tickvals=ticks, showticklabels=False, showgrid=False,
                     zeroline=False, row=2, col=1)
    fig.update_yaxes(range=[0, 1.03], tickformat=".1f", title_text=y_title, row=1, col=1)
    fig.update_yaxes(showgrid=False, zeroline=False, title_text="", tickfont=dict(size=13), row=2, col=1)
    fig.update_layout(
        title=dict(text=title), height=560, margin=dict(l=70, r=20, t=60, b=30),
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0),
        hovermode="closest",
    )
    return fig


# --------------------------------------------------------------------------- paper tables
@dataclass(frozen=True)
class PaperTable:
    """One table of the paper, laid out for display and CSV download."""

    key: str          # T1 ... T7
    title: str
    frame: pl.DataFrame
    footnotes: tuple[str, ...] = ()


INDENT = "\u2003"   # em space: keeps the indentation in the grid and in the CSV


def _label(level: int, text: str) -> str:
    return INDENT * level + text


def _n_pct(r: ResultLookup, table: str, item: str) -> str:
    n, pct = r.text(table, item, "n"), r.text(table, item, "pct")
    if n == MISSING:
        return MISSING
    return f"{n} ({pct})"


def _min_max(r: ResultLookup, table: str, item: str) -> str:
    lo, hi = r.text(table, item, "min"), r.text(table, item, "max")
    return MISSING if lo == MISSING and hi == MISSING else f"{lo}, {hi}"


def _mean_sd(r: ResultLookup, table: str, item: str) -> str:
    mean, sd = r.text(table, item, "mean"), r.text(table, item, "sd")
    return MISSING if mean == MISSING and sd == MISSING else f"{mean} ({sd})"


def _arm_header(n: int | None) -> str:
    return f"Ixazomib + LenDex N = {n if n is not None else MISSING}"


# (level, label, kind, item); kind None = a heading row
_T1_ROWS: tuple[tuple[int, str, str | None, str | None], ...] = (
    (0, "Age (years)", None, None),
    (1, "Median", "median", "AGE"),
    (1, "Min, max", "minmax", "AGE"),
    (0, "Sex (n, %)", None, None),
    (1, "Male", "npct", "SEX=M"),
    (1, "Female", "npct", "SEX=F"),
    (0, "Baseline body surface area (m2)", None, None),
    (1, "Median", "median", "BSA"),
    (1, "Min, max", "minmax", "BSA"),
    (0, "Time since initial diagnosis to first dose at study entry (months)", None, None),
    (1, "Median", "median", "MONTHS_SINCE_DIAGNOSIS"),
    (1, "Min, max", "minmax", "MONTHS_SINCE_DIAGNOSIS"),
    (0, "Type of myeloma at initial diagnosis (n, %)", None, None),
    (1, "IgG", "npct", "MMTYPE=IGG"),
    (1, "IgA", "npct", "MMTYPE=IGA"),
    (1, "Bence-Jones", "npct", "MMTYPE=BENCE-JONES"),
    (1, "Light chain only", "npct", "MMTYPE=LIGHT CHAIN ONLY"),
    (0, "ISS stage for myeloma at study entry (n, %)", None, None),
    (1, "I", "npct", "ISS=I"),
    (1, "II", "npct", "ISS=II"),
    (1, "III", "npct", "ISS=III"),
    (0, "Creatinine clearance (ml/min) (n, %)", None, None),
    (1, "30 to < 60", "npct", "CRCL=30 to <60"),
    (1, "60 to < 90", "npct", "CRCL=60 to <90"),
    (1, "90 to max", "npct", "CRCL=>=90"),
    (0, "Baseline ECOG performance status (n, %)", None, None),
    (1, "0", "npct", "ECOG=0"),
    (1, "1", "npct", "ECOG=1"),
    (0, "Prior therapy (n, %)", None, None),
    (1, "Lines of prior therapy", None, None),
    (2, "1", "npct", "PRIOR_LINES=1"),
    (2, "2", "npct", "PRIOR_LINES=2"),
    (2, "3", "npct", "PRIOR_LINES=3"),
    (1, "Patient population categories", None, None),
    (2, "Relapsed patients (a)", "npct", "RELAPSED"),
    (2, "Refractory patients (b)", "npct", "REFRACTORY"),
    (1, "Patients with ASCT", "npct", "PRIOR_ASCT"),
    (1, "Prior IMiD therapy", None, None),
    (2, "Exposed", "npct", "PRIOR_IMID_EXPOSED"),
    (3, "Thalidomide (c)", "npct", "PRIOR_THALIDOMIDE"),
    (3, "Lenalidomide (c)", "npct", "PRIOR_LENALIDOMIDE"),
    (2, "Naive", "npct", "PRIOR_IMID_NAIVE"),
    (1, "Prior PI therapy", None, None),
    (2, "Exposed", "npct", "PRIOR_PI_EXPOSED"),
    (3, "Bortezomib (d)", "npct", "PRIOR_BORTEZOMIB"),
    (3, "Carfilzomib (d)", "npct", "PRIOR_CARFILZOMIB"),
    (2, "Naive", "npct", "PRIOR_PI_NAIVE"),
    (0, "Cytogenetics", None, None),
    (1, "Cytogenetics results", None, None),
    (2, "High risk (e)", "npct", "CYTO_RISK=HIGH"),
    (2, "Standard", "npct", "CYTO_RISK=STANDARD"),
    (2, "Not available", "npct", "CYTO_RISK=NOT AVAILABLE"),
    (1, "Chromosomal abnormalities", None, None),
    (2, "Del 13 or 13q", "npct", "FISH_POSITIVE=DEL13"),
    (2, "Del 17 or 17p", "npct", "FISH_POSITIVE=DEL17P"),
    (2, "t(4;14)", "npct", "FISH_POSITIVE=T4_14"),
    (2, "t(11;14)", "npct", "FISH_POSITIVE=T11_14"),
    (2, "t(14;16)", "npct", "FISH_POSITIVE=T14_16"),
)

_T1_FOOTNOTES = (
    "ASCT autologous stem cell transplantation, ECOG Eastern Cooperative Oncology Group, IMiD "
    "immunomodulatory drug, PI proteasome inhibitor, ISS International Staging System, LenDex "
    "lenalidomide and dexamethasone",
    "(a) Relapsed: relapsed from at least one previous treatment but not refractory to any previous treatment",
    "(b) Refractory: refractory to at least one previous treatment but did not relapse from any previous treatment",
    "(c) One patient had been exposed to both thalidomide and lenalidomide",
    "(d) One patient had been exposed to both bortezomib and carfilzomib",
    "(e) High-risk cytogenetic abnormalities: t(4;14), t(14;16) or del(17p); cutoffs 3%, 3% and 5% positive cells",
)


def table1(r: ResultLookup) -> PaperTable:
    """Table 1: demographics and baseline characteristics (FAS)."""
    col = _arm_header(_int_or_none(r.value("POP", "FAS", "n")))
    fmt = {"median": lambda i: r.text("T1", i, "median"), "minmax": lambda i: _min_max(r, "T1", i),
           "npct": lambda i: _n_pct(r, "T1", i)}
    rows = [(_label(lvl, text), "" if kind is None else fmt[kind](item)) for lvl, text, kind, item in _T1_ROWS]
    frame = pl.DataFrame(rows, schema={"": pl.String, col: pl.String}, orient="row")
    return PaperTable("T1", "Table 1  Patient demographics and baseline characteristics in the full analysis set",
                      frame, _T1_FOOTNOTES)


_T2_DRUGS = ("Ixazomib", "Lenalidomide", "Dexamethasone", "Combination")


def table2(r: ResultLookup) -> PaperTable:
    """Table 2: study drug exposure (SAF); cycles are per subject, so the same in every column."""
    rdi = {d: f"RDI_{d.upper()}" for d in _T2_DRUGS[:3]}
    rows = [
        ("Number of treatment cycles (a)", *[""] * 4),
        (_label(1, "Mean (standard deviation)"), *[_mean_sd(r, "T2", "CYCLES")] * 4),
        (_label(1, "Median"), *[r.text("T2", "CYCLES", "median")] * 4),
        (_label(1, "Min, max"), *[_min_max(r, "T2", "CYCLES")] * 4),
        ("Relative dose intensity (%)", *[""] * 4),
        (_label(1, "Mean (standard deviation)"), *[_mean_sd(r, "T2", rdi[d]) for d in _T2_DRUGS[:3]], EN_DASH),
        (_label(1, "Median"), *[r.text("T2", rdi[d], "median") for d in _T2_DRUGS[:3]], EN_DASH),
        (_label(1, "Min, max"), *[_min_max(r, "T2", rdi[d]) for d in _T2_DRUGS[:3]], EN_DASH),
    ]
    n = _int_or_none(r.value("POP", "SAF", "n"))
    schema = {f"Ixazomib + LenDex N = {n if n is not None else MISSING}": pl.String,
              **{d: pl.String for d in _T2_DRUGS}}
    return PaperTable("T2", "Table 2  Study drug exposure in the safety analysis set",
                      pl.DataFrame(rows, schema=schema, orient="row"),
                      ("(a) A treatment cycle was defined as a cycle in which the patient received any amount "
                       "of ixazomib, lenalidomide or dexamethasone",))


_T3_ROWS = (
    (0, "CR", "CR"), (1, "sCR", "SCR"), (0, "PR", "PR"), (1, "VGPR", "VGPR"),
    (0, "Overall response (≥ PR)", "ORR"), (0, "VGPR or better (CR + VGPR)", "VGPR_OR_BETTER"),
    (0, "SD", "SD"), (0, "PD", "PD"),
)


def table3(r: ResultLookup) -> PaperTable:
    """Table 3: response to treatment (RE): n (%) and exact 95% CI."""
    n_re = _int_or_none(r.value("POP", "RE", "n")) or r.denominator("T3", "ORR", "n")
    rows = []
    for lvl, text, item in _T3_ROWS:
        lo, hi = r.text("T3", item, "ci_lo"), r.text("T3", item, "ci_hi")
        rows.append((_label(lvl, text), _n_pct(r, "T3", item),
                     MISSING if lo == MISSING and hi == MISSING else f"({lo}, {hi})"))
    schema = {f"Ixazomib + LenDex N = {n_re if n_re is not None else MISSING} (a)": pl.String,
              "n (%)": pl.String, "95% CI": pl.String}
    return PaperTable("T3", "Table 3  Summary of response to treatment in the response-evaluable analysis set",
                      pl.DataFrame(rows, schema=schema, orient="row"),
                      ("CR complete response, sCR stringent CR, PR partial response, VGPR very good partial "
                       "response, SD stable disease, PD progressive disease; CI exact (Clopper-Pearson)",
                       "(a) Response-evaluable: received at least one dose of study drug, had measurable disease "
                       "at baseline and at least one post-baseline response assessment"))


_T4_ROWS = (
    ("Any AE", "ANY_TEAE"),
    ("Grade 3 or higher AE", "GRADE3PLUS"),
    ("Drug-related AE", "RELATED"),
    ("Drug-related Grade 3 or higher AE", "RELATED_GRADE3PLUS"),
    ("SAE", "SERIOUS"),
    ("Drug-related SAE", "RELATED_SERIOUS"),
    ("AEs resulting in any study drug dose reduction", "LEADING_TO_DOSE_REDUCTION"),
    ("AEs resulting in any study drug dose modification (a)", "LEADING_TO_DOSE_MODIFICATION"),
    ("AEs resulting in any study drug discontinuation (b)", "LEADING_TO_DRUG_DISCONTINUATION"),
    ("On-study deaths (c)", "ON_STUDY_DEATH"),
)


def _saf_header(r: ResultLookup) -> str:
    return _arm_header(_int_or_none(r.value("POP", "SAF", "n"))) + " n (%)"


def table4(r: ResultLookup) -> PaperTable:
    """Table 4: overall summary of TEAEs (SAF)."""
    rows = [(text, _n_pct(r, "T4", item)) for text, item in _T4_ROWS]
    return PaperTable("T4", "Table 4  Overall summary of TEAEs in the safety analysis set",
                      pl.DataFrame(rows, schema={"": pl.String, _saf_header(r): pl.String}, orient="row"),
                      ("(a) Dose modification included dose reduction, dose increase, dose delay and dose "
                       "discontinuation", "(b) Study drug discontinuation may have been in relation to >= 1 of "
                       "the three study drugs", "(c) Deaths within 30 days of the last dose of study drug"))


def _pt_items(r: ResultLookup, table: str, order: pl.DataFrame | None) -> list[str]:
    """``PT=...`` items of a table: the paper's order first, then the rest by n (desc) and name."""
    present = r.items(table, "n", prefix="PT=")
    ordered: list[str] = []
    if order is not None and order.height:
        for item in order.filter((pl.col("TABLE_ID") == table) & (pl.col("STAT") == "n")).sort("ORD")["ITEM"]:
            if item in present and item not in ordered:
                ordered.append(item)
    rest = sorted((i for i in present if i not in ordered),
                  key=lambda i: (-(r.value(table, i, "n") or 0), i.lower()))
    return ordered + rest


def table5(r: ResultLookup, order: pl.DataFrame | None = None) -> PaperTable:
    """Table 5: most common (>= 10%) TEAEs (SAF), by preferred term."""
    rows = [("Patients with at least 1 AE", _n_pct(r, "T4", "ANY_TEAE"))]
    rows += [(item.removeprefix("PT="), _n_pct(r, "T5", item)) for item in _pt_items(r, "T5", order)]
    return PaperTable("T5", "Table 5  The most common (≥ 10%) TEAEs in the safety analysis set",
                      pl.DataFrame(rows, schema={"": pl.String, _saf_header(r): pl.String}, orient="row"),
                      ("AE adverse event, TEAE treatment-emergent adverse event",))


def table6(r: ResultLookup, order: pl.DataFrame | None = None) -> PaperTable:
    """Table 6: grade 3 or higher TEAEs (SAF), by preferred term."""
    rows = []
    for item in _pt_items(r, "T6", order):
        term = item.removeprefix("PT=")
        if term == "Malignant neoplasm of unknown primary site":
            term += " (a)"
        rows.append((term, _n_pct(r, "T6", item)))
    return PaperTable("T6", "Table 6  Grade 3 or higher TEAEs in the safety analysis set",
                      pl.DataFrame(rows, schema={"": pl.String, _saf_header(r): pl.String}, orient="row"),
                      ("Toxicity grade according to NCI CTCAE version 4.03", "(a) Reported during the follow-up period"))


#: Table 7 columns: (statistic key, column heading).
T7_COLUMNS = (
    ("any", "Any grade: adverse event"),
    ("related", "Any grade: drug related"),
    ("grade3plus", "≥ Grade 3: adverse event"),
    ("related_grade3plus", "≥ Grade 3: drug related"),
    ("drug_withdrawn", "Dose discontinuation"),
    ("dose_reduced", "Dose reduction"),
    ("drug_interrupted", "Patient withdrawn from study (b): drug interrupted"),
    ("next_cycle_delayed", "Next cycle delayed"),
)

# (level, label, group or None for a heading, shown only when the results hold it)
_T7_ROWS: tuple[tuple[int, str, str | None, bool], ...] = (
    (0, "Blood toxicity", None, False),
    (1, "Neutropenia", "Neutropenia", False),
    (1, "Thrombocytopenia", "Thrombocytopenia", False),
    (0, "Cardiac disorders", None, False),
    (1, "Cardiac failure", "Cardiac failure", False),
    (1, "Arrhythmia", "Arrhythmia", True),
    (1, "Myocardial infarction", "Myocardial infarction", True),
    (0, "Gastrointestinal disorders", None, False),
    (1, "Nausea", "Nausea", False),
    (1, "Vomiting", "Vomiting", False),
    (1, "Diarrhea", "Diarrhea", False),
    (0, "Dermatologic disorders", "Dermatologic disorders", False),
    (1, "Rash", "Rash", False),
    (1, "Maculopapular rash", "Maculopapular rash", False),
    (1, "Urticaria", "Urticaria", False),
    (1, "Erythema multiforme", "Erythema multiforme", False),
    (1, "Generalized rash", "Generalized rash", False),
    (1, "Macular rash", "Macular rash", False),
    (0, "Peripheral neuropathy", None, False),
    (1, "Peripheral sensory neuropathy", "Peripheral sensory neuropathy", False),
    (1, "Peripheral neuropathy", "Peripheral neuropathy", False),
)


def _t7_cell(r: ResultLookup, group: str, stat: str, n_saf: int | None) -> str:
    n = r.value("T7", f"GROUP={group}", stat)
    if n is None:
        return MISSING
    n = int(round(n))
    if n == 0:
        return "0"
    denominator = r.denominator("T7", f"GROUP={group}", stat) or n_saf
    if not denominator:
        return str(n)
    return f"{n} ({format_value(100.0 * n / denominator, 0)})"


def table7(r: ResultLookup) -> PaperTable:
    """Table 7: TEAEs of clinical importance (SAF): groups x any/grade >= 3/actions, n (%)."""
    n_saf = _int_or_none(r.value("POP", "SAF", "n"))
    rows = []
    for lvl, text, group, optional in _T7_ROWS:
        if group is None:
            rows.append((_label(lvl, text), *[""] * len(T7_COLUMNS)))
            continue
        if optional and not r.has("T7", f"GROUP={group}", "any"):
            continue
        rows.append((_label(lvl, text), *[_t7_cell(r, group, stat, n_saf) for stat, _ in T7_COLUMNS]))
    schema = {f"N = {n_saf if n_saf is not None else MISSING}, n (%)": pl.String,
              **{heading: pl.String for _, heading in T7_COLUMNS}}
    return PaperTable("T7", "Table 7  Summary of TEAEs of clinical importance (a) in the safety analysis set",
                      pl.DataFrame(rows, schema=schema, orient="row"),
                      ("(a) Sponsor groupings of preferred terms (seed ae_groupings); the dermatologic terms and "
                       "the neuropathies are also reported alone",
                       "(b) Headed 'Patient withdrawn from study' in the paper; read as drug interrupted "
                       "(doses withheld), see STUDY.md 'Known inconsistencies'"))


def paper_tables(results: pl.DataFrame, order: pl.DataFrame | None = None) -> list[PaperTable]:
    """Tables 1-7 of the paper from ``results.analysis_results``.

    Parameters
    ----------
    results : polars.DataFrame
        ``results.analysis_results``.
    order : polars.DataFrame, optional
        ``ORD, TABLE_ID, ITEM, STAT`` of ``ref.published_results`` (the paper's row
        order of Tables 5 and 6).

    Returns
    -------
    list of PaperTable
        Row labels as the paper prints them (sub-rows indented with em spaces),
        ``n (%)`` cells, ``–`` where the warehouse lacks a figure.
    """
    r = ResultLookup(results)
    return [table1(r), table2(r), table3(r), table4(r), table5(r, order), table6(r, order), table7(r)]


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV of a display table (for ``st.download_button``)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- published
def comparison_counts(comparison: pl.DataFrame) -> dict[str, int]:
    """Totals of ``results.published_comparison``: figures, matches, mismatches (explained or not)."""
    mismatch = comparison.filter(~pl.col("MATCH").fill_null(False))
    explained = mismatch.filter(pl.col("EXPLANATION").is_not_null() & (pl.col("EXPLANATION") != ""))
    return {
        "total": comparison.height,
        "matched": comparison.height - mismatch.height,
        "mismatched": mismatch.height,
        "explained": explained.height,
        "unexplained": mismatch.height - explained.height,
    }


def comparison_view(comparison: pl.DataFrame) -> pl.DataFrame:
    """Published figures beside the warehouse's, mismatches first, then in the paper's order."""
    frame = comparison if "ORD" in comparison.columns else comparison.with_row_index("ORD")
    has_expl = pl.col("EXPLANATION").is_not_null() & (pl.col("EXPLANATION") != "")
    match = pl.col("MATCH").fill_null(False)
    return (
        frame.with_columns(
            pl.when(~match & has_expl).then(pl.lit("mismatch, explained"))
            .when(~match).then(pl.lit("MISMATCH"))
            .when(has_expl).then(pl.lit("match (known inconsistency)"))
            .otherwise(pl.lit("match")).alias("Status"),
            match.alias("_M"),
        )
        .sort(["_M", "ORD"])
        .select(
            "Status",
            pl.col("TABLE_ID").alias("Table"),
            pl.col("ITEM").alias("Item"),
            pl.col("STAT").alias("Statistic"),
            pl.col("PUBLISHED").alias("Published"),
            pl.col("WAREHOUSE_TEXT").fill_null(MISSING).alias("Warehouse"),
            pl.col("NOTE").fill_null("").alias("Note"),
            pl.col("EXPLANATION").fill_null("").alias("Explanation"),
        )
    )


# --------------------------------------------------------------------------- data quality
def parse_transfer_id(transfer_id: str | None) -> datetime | None:
    """``20190412T0200`` -> datetime (``None`` when absent or malformed)."""
    if not transfer_id:
        return None
    try:
        return datetime.strptime(transfer_id, "%Y%m%dT%H%M")
    except ValueError:
        return None


def site_freshness(sites: pl.DataFrame) -> pl.DataFrame:
    """Days each site's latest transfer lies behind the newest transfer of any site.

    Parameters
    ----------
    sites : polars.DataFrame
        One row per site with ``SITEID`` and ``LATEST_TRANSFER_ID`` (other columns kept).

    Returns
    -------
    polars.DataFrame
        The input plus ``LATEST_TRANSFER`` (datetime), ``DAYS_BEHIND`` (whole days
        before the newest transfer; 0 for the sites that sent it) and ``FRESHNESS``
        (``up to date`` / ``N days behind``), most stale first.
    """
    frame = sites.with_columns(
        pl.col("LATEST_TRANSFER_ID").map_elements(parse_transfer_id, return_dtype=pl.Datetime)
        .alias("LATEST_TRANSFER")
    )
    newest = frame["LATEST_TRANSFER"].max()
    days = (pl.lit(newest) - pl.col("LATEST_TRANSFER")).dt.total_days() if newest is not None else pl.lit(None)
    return (
        frame.with_columns(days.cast(pl.Int64).alias("DAYS_BEHIND"))
        .with_columns(
            pl.when(pl.col("DAYS_BEHIND") == 0).then(pl.lit("up to date"))
            .when(pl.col("DAYS_BEHIND").is_null()).then(pl.lit("unknown"))
            .otherwise(pl.format("{} days behind", pl.col("DAYS_BEHIND"))).alias("FRESHNESS")
        )
        .sort(["DAYS_BEHIND", "SITEID"], descending=[True, False], nulls_last=True)
    )


ALL_SITES = "(not site-specific)"

#: A validation table is a table of check results when it names the check (and the site).
CHECK_COLUMNS = frozenset({"CHECK_ID", "CHECK", "CHECK_IDS"})


def check_tables(tables: pl.DataFrame) -> list[str]:
    """Validation tables that list check results per site.

    Parameters
    ----------
    tables : polars.DataFrame
        ``TABLE_NAME, COLUMNS`` (list of column names) of the ``validation`` schema.

    Returns
    -------
    list of str
        Tables with a ``SITEID`` column and a check column (``CHECK_ID``, ``CHECK`` or
        ``CHECK_IDS``): one row per failed check, quarantined transfer or query. Input
        frames and build logs of the validation step (no check column) are not results.
    """
    out = []
    for name, columns in tables.select("TABLE_NAME", "COLUMNS").iter_rows():
        upper = {c.upper() for c in columns}
        if "SITEID" in upper and upper & CHECK_COLUMNS:
            out.append(name)
    return out


def validation_by_site(counts: dict[str, pl.DataFrame], sites: Sequence[str] = ()) -> pl.DataFrame:
    """Problems per site and validation table, side by side.

    Parameters
    ----------
    counts : dict of str to polars.DataFrame
        Per check table (see :func:`check_tables`): ``SITEID`` (null = not site-specific)
        and ``N``, its number of rows for that site.
    sites : sequence of str
        Sites to list even without any row (all sites of the study).

    Returns
    -------
    polars.DataFrame
        ``SITEID``, one count column per table (0 when none, tables in name order) and
        ``TOTAL``; rows without a site under :data:`ALL_SITES`, listed last.
    """
    out = pl.DataFrame({"SITEID": sorted({str(s) for s in sites})}, schema={"SITEID": pl.String})
    names = sorted(counts)
    for name in names:
        frame = counts[name].select(
            pl.col("SITEID").cast(pl.String).fill_null(ALL_SITES), pl.col("N").cast(pl.Int64).alias(name)
        ).group_by("SITEID").agg(pl.col(name).sum())
        out = out.join(frame, on="SITEID", how="full", coalesce=True)
    return (
        out.with_columns(pl.col(names).fill_null(0))
        .with_columns(pl.sum_horizontal(names).cast(pl.Int64).alias("TOTAL") if names
                      else pl.lit(0, dtype=pl.Int64).alias("TOTAL"))
        .sort(pl.col("SITEID") == ALL_SITES, "SITEID")
    )


_STALE_COLUMNS = ("STALE", "IS_STALE", "STALEFL", "STALE_FL")


def stale_rows(frame: pl.DataFrame) -> pl.DataFrame:
    """Rows a results publication-status table flags as stale.

    A row is stale when a ``STALE``/``IS_STALE``/``STALEFL`` column is true/``Y``/1,
    or a ``STATUS`` / ``PUBLICATION_STATUS`` column reads ``STALE``.
    """
    upper = {c.upper(): c for c in frame.columns}
    conditions = [
        pl.col(upper[c]).cast(pl.String).str.to_uppercase().is_in(["TRUE", "Y", "YES", "1"])
        for c in _STALE_COLUMNS if c in upper
    ] + [
        pl.col(upper[c]).cast(pl.String).str.to_uppercase() == "STALE"
        for c in ("STATUS", "PUBLICATION_STATUS") if c in upper
    ]
    if not conditions:
        return frame.clear()
    return frame.filter(pl.any_horizontal(conditions).fill_null(False))


def stale_message(stale: pl.DataFrame) -> str:
    """What a reader is told about stale results (reason and when they were published)."""
    upper = {c.upper(): c for c in stale.columns}
    parts = []
    for row in stale.iter_rows(named=True):
        reason = row.get(upper.get("REASON", ""), None) or "no reason recorded"
        published = row.get(upper.get("PUBLISHED_AT", ""), None)
        parts.append(f"{reason}" + (f" (results published {published})" if published else ""))
    return "The analysis results are stale: they are not from the latest build — " + "; ".join(parts)


def running_message(status: pl.DataFrame) -> str | None:
    """What a reader is told while a build is running (``BUILD_RUNNING`` of the publication
    status): the page keeps showing the published build until the new one is published."""
    if "BUILD_RUNNING" not in status.columns or not status.height or not status["BUILD_RUNNING"][0]:
        return None
    row = status.row(0, named=True)
    return (f"A `dbt build` is running now: this page shows the published build "
            f"{row.get('PUBLISHED_BUILD_ID')} (published {row.get('PUBLISHED_AT')}) until the new "
            "build has passed its checks and is published.")


# --------------------------------------------------------------------------- subjects
@dataclass(frozen=True)
class TraceCell:
    """A table cell whose subjects and source records can be listed."""

    label: str
    kind: str                                   # "bor", "teae" or "tte_event"
    result_key: tuple[str, str, str]            # (TABLE_ID, ITEM, STAT) of the figure
    categories: tuple[str, ...] = ()            # kind "bor": BOR values counted
    term: str | None = None                     # kind "teae": preferred term
    min_grade: int = 0                          # kind "teae": grade >= this
    paramcd: str | None = None                  # kind "tte_event"

    @property
    def description(self) -> str:
        """How the subjects of the cell are found (shown under the figures)."""
        if self.kind == "bor":
            return ("Best overall response (adam.adrs BOR) in " + ", ".join(self.categories)
                    + " among response-evaluable subjects; the trace follows SRCDOM/SRCSEQ down to the "
                    "assessment and its raw record.")
        if self.kind == "teae":
            grade = f" with grade ≥ {self.min_grade}" if self.min_grade else ""
            return f"Treatment-emergent adam.adae records of {self.term}{grade} in the safety set."
        return (f"adam.adtte {self.paramcd} events (CNSR = 0) in the FAS; the trace follows SRCDOM/SRCSEQ "
                "to the confirmed progression or the death record.")


_T3_LABELS = {item: text for _, text, item in _T3_ROWS}


def trace_cells(results: pl.DataFrame, order: pl.DataFrame | None = None) -> list[TraceCell]:
    """Cells offered on the "Subjects behind a number" page.

    Table 3 rows (best overall response), Table 5 and Table 6 preferred terms (TEAEs;
    grade >= 3 for Table 6), PFS events and OS deaths; the figure of each is looked up
    in ``results.analysis_results`` with ``result_key``.
    """
    r = ResultLookup(results)
    cells = [
        TraceCell(f"Table 3 · {_T3_LABELS[item]}", "bor", ("T3", item, "n"), categories=cats)
        for item, cats in RESPONSE_ROWS.items()
    ]
    cells.sort(key=lambda c: c.result_key[1] != "VGPR_OR_BETTER")  # the primary endpoint first
    cells.append(TraceCell("Efficacy · PFS events (confirmed PD or death)", "tte_event",
                           ("EFF", "PFS", "events"), paramcd="PFS"))
    cells.append(TraceCell("Efficacy · OS deaths", "tte_event", ("EFF", "OS", "deaths"), paramcd="OS"))
    for item in _pt_items(r, "T5", order):
        cells.append(TraceCell(f"Table 5 · {item.removeprefix('PT=')}", "teae", ("T5", item, "n"),
                               term=item.removeprefix("PT=")))
    for item in _pt_items(r, "T6", order):
        cells.append(TraceCell(f"Table 6 · {item.removeprefix('PT=')} (grade ≥ 3)", "teae", ("T6", item, "n"),
                               term=item.removeprefix("PT="), min_grade=3))
    return cells


def figure_of(results: pl.DataFrame, key: tuple[str, str, str]) -> str:
    """Printed figure of a result key (``–`` when absent)."""
    return ResultLookup(results).text(*key)


def unique_sources(trace: pl.DataFrame) -> tuple[list[str], list[int]]:
    """Distinct ``(SOURCE_FILE, SOURCE_ROW)`` pairs of a trace (for the audit-trail lookup)."""
    pairs = (
        trace.filter(pl.col("SOURCE_FILE").is_not_null() & pl.col("SOURCE_ROW").is_not_null())
        .select("SOURCE_FILE", "SOURCE_ROW").unique().sort("SOURCE_FILE", "SOURCE_ROW")
    )
    return pairs["SOURCE_FILE"].to_list(), [int(x) for x in pairs["SOURCE_ROW"].to_list()]


def for_display(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates as ``YYYY-MM-DD`` text (the grid would show a midnight time) and ``""`` for null text."""
    return frame.with_columns(
        *(pl.col(c).dt.strftime("%Y-%m-%d") for c, t in frame.schema.items() if t == pl.Date),
        *(pl.col(c).fill_null("") for c, t in frame.schema.items() if t == pl.String),
    )


def options(values: Iterable[object]) -> list[str]:
    """Sorted distinct non-null values as text (filter choices)."""
    return sorted({str(v) for v in values if v is not None})


__all__ = [
    "Card", "MISSING", "NOT_ESTIMABLE", "PaperTable", "ResultLookup", "SummaryFigures", "TraceCell",
    "ci_text", "comparison_counts", "comparison_view", "csv_bytes", "figure_of", "filter_subjects", "for_display",
    "km_figure", "km_frames_from_adam", "options", "paper_tables", "running_message", "site_freshness", "stale_rows",
    "stale_message", "summary_cards", "summary_from_adam", "summary_from_results", "summary_scope", "check_tables", "trace_cells", "unique_sources", "validation_by_site",
]
