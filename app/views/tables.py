"""Tables 1-7 page: the results laid out as the paper prints them."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis.rounding import format_value
from app.views.common import EN_DASH, MISSING, ResultLookup, int_or_none


@dataclass(frozen=True)
class PaperTable:
    """One table of the paper, laid out for display and CSV download."""

    key: str  # T1 ... T7
    title: str
    frame: pl.DataFrame
    footnotes: tuple[str, ...] = ()


INDENT = "\u2003"  # em space: keeps the indentation in the grid and in the CSV


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
    col = _arm_header(int_or_none(r.value("POP", "FAS", "n")))
    fmt = {
        "median": lambda i: r.text("T1", i, "median"),
        "minmax": lambda i: _min_max(r, "T1", i),
        "npct": lambda i: _n_pct(r, "T1", i),
    }
    rows = [
        (_label(lvl, text), "" if kind is None else fmt[kind](item)) for lvl, text, kind, item in _T1_ROWS
    ]
    frame = pl.DataFrame(rows, schema={"": pl.String, col: pl.String}, orient="row")
    return PaperTable(
        "T1",
        "Table 1  Patient demographics and baseline characteristics in the full analysis set",
        frame,
        _T1_FOOTNOTES,
    )


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
        (
            _label(1, "Mean (standard deviation)"),
            *[_mean_sd(r, "T2", rdi[d]) for d in _T2_DRUGS[:3]],
            EN_DASH,
        ),
        (_label(1, "Median"), *[r.text("T2", rdi[d], "median") for d in _T2_DRUGS[:3]], EN_DASH),
        (_label(1, "Min, max"), *[_min_max(r, "T2", rdi[d]) for d in _T2_DRUGS[:3]], EN_DASH),
    ]
    n = int_or_none(r.value("POP", "SAF", "n"))
    schema = {
        f"Ixazomib + LenDex N = {n if n is not None else MISSING}": pl.String,
        **{d: pl.String for d in _T2_DRUGS},
    }
    return PaperTable(
        "T2",
        "Table 2  Study drug exposure in the safety analysis set",
        pl.DataFrame(rows, schema=schema, orient="row"),
        (
            "(a) A treatment cycle was defined as a cycle in which the patient received any amount "
            "of ixazomib, lenalidomide or dexamethasone",
        ),
    )


_T3_ROWS = (
    (0, "CR", "CR"),
    (1, "sCR", "SCR"),
    (0, "PR", "PR"),
    (1, "VGPR", "VGPR"),
    (0, "Overall response (≥ PR)", "ORR"),
    (0, "VGPR or better (CR + VGPR)", "VGPR_OR_BETTER"),
    (0, "SD", "SD"),
    (0, "PD", "PD"),
)


def table3(r: ResultLookup) -> PaperTable:
    """Table 3: response to treatment (RE): n (%) and exact 95% CI."""
    n_re = int_or_none(r.value("POP", "RE", "n")) or r.denominator("T3", "ORR", "n")
    rows = []
    for lvl, text, item in _T3_ROWS:
        lo, hi = r.text("T3", item, "ci_lo"), r.text("T3", item, "ci_hi")
        rows.append(
            (
                _label(lvl, text),
                _n_pct(r, "T3", item),
                MISSING if lo == MISSING and hi == MISSING else f"({lo}, {hi})",
            )
        )
    schema = {
        f"Ixazomib + LenDex N = {n_re if n_re is not None else MISSING} (a)": pl.String,
        "n (%)": pl.String,
        "95% CI": pl.String,
    }
    return PaperTable(
        "T3",
        "Table 3  Summary of response to treatment in the response-evaluable analysis set",
        pl.DataFrame(rows, schema=schema, orient="row"),
        (
            "CR complete response, sCR stringent CR, PR partial response, VGPR very good partial "
            "response, SD stable disease, PD progressive disease; CI exact (Clopper-Pearson)",
            "(a) Response-evaluable: received at least one dose of study drug, had measurable disease "
            "at baseline and at least one post-baseline response assessment",
        ),
    )


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
    return _arm_header(int_or_none(r.value("POP", "SAF", "n"))) + " n (%)"


def table4(r: ResultLookup) -> PaperTable:
    """Table 4: overall summary of TEAEs (SAF)."""
    rows = [(text, _n_pct(r, "T4", item)) for text, item in _T4_ROWS]
    return PaperTable(
        "T4",
        "Table 4  Overall summary of TEAEs in the safety analysis set",
        pl.DataFrame(rows, schema={"": pl.String, _saf_header(r): pl.String}, orient="row"),
        (
            "(a) Dose modification included dose reduction, dose increase, dose delay and dose "
            "discontinuation",
            "(b) Study drug discontinuation may have been in relation to >= 1 of the three study drugs",
            "(c) Deaths within 30 days of the last dose of study drug",
        ),
    )


def _pt_items(r: ResultLookup, table: str, order: pl.DataFrame | None) -> list[str]:
    """``PT=...`` items of a table: the paper's order first, then the rest by n (desc) and name."""
    present = r.items(table, "n", prefix="PT=")
    ordered: list[str] = []
    if order is not None and order.height:
        for item in order.filter((pl.col("TABLE_ID") == table) & (pl.col("STAT") == "n")).sort("ORD")["ITEM"]:
            if item in present and item not in ordered:
                ordered.append(item)
    rest = sorted(
        (i for i in present if i not in ordered), key=lambda i: (-(r.value(table, i, "n") or 0), i.lower())
    )
    return ordered + rest


def table5(r: ResultLookup, order: pl.DataFrame | None = None) -> PaperTable:
    """Table 5: most common (>= 10%) TEAEs (SAF), by preferred term."""
    rows = [("Patients with at least 1 AE", _n_pct(r, "T4", "ANY_TEAE"))]
    rows += [(item.removeprefix("PT="), _n_pct(r, "T5", item)) for item in _pt_items(r, "T5", order)]
    return PaperTable(
        "T5",
        "Table 5  The most common (≥ 10%) TEAEs in the safety analysis set",
        pl.DataFrame(rows, schema={"": pl.String, _saf_header(r): pl.String}, orient="row"),
        ("AE adverse event, TEAE treatment-emergent adverse event",),
    )


def table6(r: ResultLookup, order: pl.DataFrame | None = None) -> PaperTable:
    """Table 6: grade 3 or higher TEAEs (SAF), by preferred term."""
    rows = []
    for item in _pt_items(r, "T6", order):
        term = item.removeprefix("PT=")
        if term == "Malignant neoplasm of unknown primary site":
            term += " (a)"
        rows.append((term, _n_pct(r, "T6", item)))
    return PaperTable(
        "T6",
        "Table 6  Grade 3 or higher TEAEs in the safety analysis set",
        pl.DataFrame(rows, schema={"": pl.String, _saf_header(r): pl.String}, orient="row"),
        ("Toxicity grade according to NCI CTCAE version 4.03", "(a) Reported during the follow-up period"),
    )


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
    n_saf = int_or_none(r.value("POP", "SAF", "n"))
    rows = []
    for lvl, text, group, optional in _T7_ROWS:
        if group is None:
            rows.append((_label(lvl, text), *[""] * len(T7_COLUMNS)))
            continue
        if optional and not r.has("T7", f"GROUP={group}", "any"):
            continue
        rows.append((_label(lvl, text), *[_t7_cell(r, group, stat, n_saf) for stat, _ in T7_COLUMNS]))
    schema = {
        f"N = {n_saf if n_saf is not None else MISSING}, n (%)": pl.String,
        **{heading: pl.String for _, heading in T7_COLUMNS},
    }
    return PaperTable(
        "T7",
        "Table 7  Summary of TEAEs of clinical importance (a) in the safety analysis set",
        pl.DataFrame(rows, schema=schema, orient="row"),
        (
            "(a) Sponsor groupings of preferred terms (seed ae_groupings); the dermatologic terms and "
            "the neuropathies are also reported alone",
            "(b) Headed 'Patient withdrawn from study' in the paper; read as drug interrupted "
            "(doses withheld), see docs/derivations.md#known-inconsistencies-of-the-paper",
        ),
    )


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
