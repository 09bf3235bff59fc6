"""The paper's table layout: Tables 1-7 (and Table 8, the figures of its text) as rows of printed cells, each cell tracing to the
analysis-results rows it prints (docs/DESIGN.md "Tables and figures").

One layout serves the page (CSV, grid) and the RTF outputs (:mod:`tlf.rtf_tables`). It
reads the printed text of every figure (``STAT_FMT`` of ``results.ard``, or ``VALUE_TEXT``
of ``results.analysis_results``) through :class:`ResultLookup` and computes nothing: a
percentage is the ARD's own row (Table 7's ``<stat>_pct``), rounding and ``NE`` are the
ARD's (docs/derivations.md#rounding-half-away-from-zero).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import polars as pl

#: Shown for a figure the warehouse does not (yet) hold.
MISSING = "–"
EN_DASH = "–"

#: A printed cell and the ``RESULT_ID`` s of the figures it prints, in printed order.
Cell = tuple[str, tuple[str, ...]]

#: Analysis sets: code -> words (footnotes).
ANALYSIS_SETS = {
    "FAS": "full analysis set",
    "SAF": "safety analysis set",
    "RE": "response-evaluable analysis set",
}


# --------------------------------------------------------------------------- lookups
class ResultLookup:
    """``(TABLE_ID, ITEM, STAT)`` -> value, printed text, denominator and ``RESULT_ID`` of the
    analysis results.

    Parameters
    ----------
    results : polars.DataFrame
        ``TABLE_ID, ITEM, STAT, VALUE, VALUE_TEXT`` and optionally ``DENOMINATOR,
        DATA_CUTOFF, RESULT_ID, METHOD, ANALYSIS_SET`` (``results.analysis_results``, or
        ``results.ard`` renamed by :meth:`from_ard`). Without ``RESULT_ID`` a row's id is
        ``TABLE_ID|ITEM|STAT``, as the ARD builds it.
    """

    _OPTIONAL = ("DENOMINATOR", "DATA_CUTOFF", "RESULT_ID", "METHOD", "ANALYSIS_SET")

    def __init__(self, results: pl.DataFrame):
        self._rows = {
            (r["TABLE_ID"], r["ITEM"], r["STAT"]): r
            for r in results.select(
                "TABLE_ID",
                "ITEM",
                "STAT",
                "VALUE",
                "VALUE_TEXT",
                *(c for c in self._OPTIONAL if c in results.columns),
            ).iter_rows(named=True)
        }

    @classmethod
    def from_ard(cls, ard: pl.DataFrame) -> ResultLookup:
        """The lookup over ``results.ard`` (``STAT_NAME`` -> ``STAT``, ``STAT`` -> ``VALUE``,
        ``STAT_FMT`` -> ``VALUE_TEXT``; docs/DESIGN.md "Analysis-results dataset (ARD)")."""
        return cls(ard.rename({"STAT": "VALUE", "STAT_FMT": "VALUE_TEXT"}).rename({"STAT_NAME": "STAT"}))

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

    def result_id(self, table: str, item: str, stat: str) -> str | None:
        """The figure's ``RESULT_ID``, ``None`` when it is absent."""
        row = self._rows.get((table, item, stat))
        if row is None:
            return None
        return row.get("RESULT_ID") or f"{table}|{item}|{stat}"

    def row(self, result_id: str) -> dict | None:
        """The row of a ``RESULT_ID`` (``TABLE_ID|ITEM|STAT``)."""
        table, rest = result_id.split("|", 1)
        item, stat = rest.rsplit("|", 1)
        return self._rows.get((table, item, stat))

    def items(self, table: str, stat: str, prefix: str = "") -> list[str]:
        """Items of a table that carry ``stat``, in stored order."""
        return [k[1] for k in self._rows if k[0] == table and k[2] == stat and k[1].startswith(prefix)]

    def data_cutoff(self) -> str | None:
        for row in self._rows.values():
            if row.get("DATA_CUTOFF") is not None:
                return str(row["DATA_CUTOFF"])
        return None


# --------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class PaperTable:
    """One table of the paper, laid out for display, CSV download and RTF.

    Attributes
    ----------
    key : str
        ``T1`` ... ``T7``, or ``TX`` (Table 8, the figures of the text).
    title : str
        The paper's title.
    frame : polars.DataFrame
        Row label (indented with em spaces) and printed cells, all text.
    footnotes : tuple of str
        The paper's footnotes, then analysis set and N, methods and data cutoff.
    sources : tuple of tuple of tuple of str
        Per row, per column after the label: the ``RESULT_ID`` s the cell prints, in order.
    levels : tuple of int
        Indentation level of each row; a level-0 row starts a category (it and the rows
        below it up to the next level-0 row are kept on one page).
    orientation : str
        ``portrait`` or ``landscape`` (wide tables) for the RTF page.
    """

    key: str  # T1 ... T7, TX
    title: str
    frame: pl.DataFrame
    footnotes: tuple[str, ...] = ()
    sources: tuple[tuple[tuple[str, ...], ...], ...] = ()
    levels: tuple[int, ...] = ()
    orientation: str = "portrait"

    def categories(self) -> list[range]:
        """Row ranges of the categories (a level-0 row and the deeper rows under it)."""
        starts = [i for i, lvl in enumerate(self.levels) if lvl == 0] or [0]
        if starts[0] != 0:
            starts.insert(0, 0)
        ends = [*starts[1:], self.frame.height]
        return [range(a, b) for a, b in zip(starts, ends) if b > a]


INDENT = "\u2003"  # em space: keeps the indentation in the grid and in the CSV


def _label(level: int, text: str) -> str:
    return INDENT * level + text


def _ids(r: ResultLookup, table: str, item: str, *stats: str) -> tuple[str, ...]:
    return tuple(i for s in stats if (i := r.result_id(table, item, s)) is not None)


def _text(r: ResultLookup, table: str, item: str, stat: str) -> Cell:
    return r.text(table, item, stat), _ids(r, table, item, stat)


def _n_pct(r: ResultLookup, table: str, item: str, pct_stat: str = "pct", n_stat: str = "n") -> Cell:
    n, pct = r.text(table, item, n_stat), r.text(table, item, pct_stat)
    if n == MISSING:
        return MISSING, ()
    return f"{n} ({pct})", _ids(r, table, item, n_stat, pct_stat)


def _min_max(r: ResultLookup, table: str, item: str) -> Cell:
    lo, hi = r.text(table, item, "min"), r.text(table, item, "max")
    if lo == MISSING and hi == MISSING:
        return MISSING, ()
    return f"{lo}, {hi}", _ids(r, table, item, "min", "max")


def _mean_sd(r: ResultLookup, table: str, item: str) -> Cell:
    mean, sd = r.text(table, item, "mean"), r.text(table, item, "sd")
    if mean == MISSING and sd == MISSING:
        return MISSING, ()
    return f"{mean} ({sd})", _ids(r, table, item, "mean", "sd")


def _ci(r: ResultLookup, table: str, item: str) -> Cell:
    lo, hi = r.text(table, item, "ci_lo"), r.text(table, item, "ci_hi")
    if lo == MISSING and hi == MISSING:
        return MISSING, ()
    return f"({lo}, {hi})", _ids(r, table, item, "ci_lo", "ci_hi")


_BLANK: Cell = ("", ())
_DASH: Cell = (EN_DASH, ())  # a dash the paper prints itself (no figure behind it)


def _set_n(r: ResultLookup, analysis_set: str) -> str:
    return r.text("POP", analysis_set, "n")


def _arm_header(n: str) -> str:
    return f"Ixazomib + LenDex N = {n}"


def _methods(r: ResultLookup, sources: Iterable[Iterable[tuple[str, ...]]]) -> list[str]:
    """Distinct ``METHOD`` texts of the figures printed, in first-printed order."""
    seen: list[str] = []
    for row in sources:
        for cell in row:
            for rid in cell:
                method = (r.row(rid) or {}).get("METHOD")
                if method and method not in seen:
                    seen.append(method)
    return seen


def _table(
    r: ResultLookup,
    key: str,
    title: str,
    header: Sequence[str],
    rows: Sequence[tuple[int, str, Sequence[Cell]]],
    footnotes: Sequence[str],
    analysis_set: str,
    orientation: str = "portrait",
    extra_notes: Sequence[str] = (),
) -> PaperTable:
    """Assemble a :class:`PaperTable` from ``(level, label, cells)`` rows and add the
    analysis set with its N, the methods of the printed figures and the data cutoff."""
    frame = pl.DataFrame(
        [(_label(lvl, text), *(c[0] for c in cells)) for lvl, text, cells in rows],
        schema={h: pl.String for h in header},
        orient="row",
    )
    sources = tuple(tuple(c[1] for c in cells) for _, _, cells in rows)
    notes = [*footnotes, *extra_notes]
    notes.append(
        f"Analysis set: {ANALYSIS_SETS[analysis_set]} ({analysis_set}), N = {_set_n(r, analysis_set)}"
    )
    methods = _methods(r, sources)
    if methods:
        notes.append("Methods: " + "; ".join(methods))
    notes.append(f"Data cutoff: {r.data_cutoff() or MISSING}")
    return PaperTable(key, title, frame, tuple(notes), sources, tuple(lvl for lvl, _, _ in rows), orientation)


# --------------------------------------------------------------------------- Table 1
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
    fmt: dict[str, Callable[[str], Cell]] = {
        "median": lambda i: _text(r, "T1", i, "median"),
        "minmax": lambda i: _min_max(r, "T1", i),
        "npct": lambda i: _n_pct(r, "T1", i),
    }
    rows = [(lvl, text, (_BLANK if kind is None else fmt[kind](item),)) for lvl, text, kind, item in _T1_ROWS]
    return _table(
        r,
        "T1",
        "Table 1  Patient demographics and baseline characteristics in the full analysis set",
        ("", _arm_header(_set_n(r, "FAS"))),
        rows,
        _T1_FOOTNOTES,
        "FAS",
    )


# --------------------------------------------------------------------------- Table 2
_T2_DRUGS = ("Ixazomib", "Lenalidomide", "Dexamethasone", "Combination")


def table2(r: ResultLookup) -> PaperTable:
    """Table 2: study drug exposure (SAF); cycles are per subject, so the same in every column."""
    rdi = {d: f"RDI_{d.upper()}" for d in _T2_DRUGS[:3]}
    rows = [
        (0, "Number of treatment cycles (a)", (_BLANK,) * 4),
        (1, "Mean (standard deviation)", (_mean_sd(r, "T2", "CYCLES"),) * 4),
        (1, "Median", (_text(r, "T2", "CYCLES", "median"),) * 4),
        (1, "Min, max", (_min_max(r, "T2", "CYCLES"),) * 4),
        (0, "Relative dose intensity (%)", (_BLANK,) * 4),
        (1, "Mean (standard deviation)", (*[_mean_sd(r, "T2", rdi[d]) for d in _T2_DRUGS[:3]], _DASH)),
        (1, "Median", (*[_text(r, "T2", rdi[d], "median") for d in _T2_DRUGS[:3]], _DASH)),
        (1, "Min, max", (*[_min_max(r, "T2", rdi[d]) for d in _T2_DRUGS[:3]], _DASH)),
    ]
    return _table(
        r,
        "T2",
        "Table 2  Study drug exposure in the safety analysis set",
        (_arm_header(_set_n(r, "SAF")), *_T2_DRUGS),
        rows,
        (
            "(a) A treatment cycle was defined as a cycle in which the patient received any amount "
            "of ixazomib, lenalidomide or dexamethasone",
        ),
        "SAF",
        orientation="landscape",
    )


# --------------------------------------------------------------------------- Table 3
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
    n_re = _set_n(r, "RE")
    if n_re == MISSING and r.denominator("T3", "ORR", "n") is not None:
        n_re = str(r.denominator("T3", "ORR", "n"))
    rows = [(lvl, text, (_n_pct(r, "T3", item), _ci(r, "T3", item))) for lvl, text, item in _T3_ROWS]
    return _table(
        r,
        "T3",
        "Table 3  Summary of response to treatment in the response-evaluable analysis set",
        (f"Ixazomib + LenDex N = {n_re} (a)", "n (%)", "95% CI"),
        rows,
        (
            "CR complete response, sCR stringent CR, PR partial response, VGPR very good partial "
            "response, SD stable disease, PD progressive disease; CI exact (Clopper-Pearson)",
            "(a) Response-evaluable: received at least one dose of study drug, had measurable disease "
            "at baseline and at least one post-baseline response assessment",
        ),
        "RE",
    )


# --------------------------------------------------------------------------- Table 4
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
    return _arm_header(_set_n(r, "SAF")) + " n (%)"


def table4(r: ResultLookup) -> PaperTable:
    """Table 4: overall summary of TEAEs (SAF)."""
    return _table(
        r,
        "T4",
        "Table 4  Overall summary of TEAEs in the safety analysis set",
        ("", _saf_header(r)),
        [(0, text, (_n_pct(r, "T4", item),)) for text, item in _T4_ROWS],
        (
            "(a) Dose modification included dose reduction, dose increase, dose delay and dose "
            "discontinuation",
            "(b) Study drug discontinuation may have been in relation to >= 1 of the three study drugs",
            "(c) Deaths within 30 days of the last dose of study drug",
        ),
        "SAF",
    )


# --------------------------------------------------------------------------- Tables 5, 6
def _pt_items(r: ResultLookup, table: str, order: pl.DataFrame | None) -> list[str]:
    """``PT=...`` items of a table: the paper's order first, then the rest by n (desc) and name."""
    present = r.items(table, "n", prefix="PT=")
    ordered: list[str] = []
    if order is not None and order.height:
        for item in order.filter((pl.col("TABLE_ID") == table) & (pl.col("STAT") == "n")).sort("ORD")["ITEM"]:
            if item in present and item not in ordered:
                ordered.append(item)
    # by name, then (stable) by n descending: the most frequent first, ties alphabetical
    rest = sorted((i for i in present if i not in ordered), key=str.lower)
    rest.sort(key=lambda i: r.value(table, i, "n") or 0, reverse=True)
    return ordered + rest


def table5(r: ResultLookup, order: pl.DataFrame | None = None) -> PaperTable:
    """Table 5: most common (>= 10%) TEAEs (SAF), by preferred term."""
    rows = [(0, "Patients with at least 1 AE", (_n_pct(r, "T4", "ANY_TEAE"),))]
    rows += [(0, item.removeprefix("PT="), (_n_pct(r, "T5", item),)) for item in _pt_items(r, "T5", order)]
    return _table(
        r,
        "T5",
        "Table 5  The most common (≥ 10%) TEAEs in the safety analysis set",
        ("", _saf_header(r)),
        rows,
        ("AE adverse event, TEAE treatment-emergent adverse event",),
        "SAF",
    )


def table6(r: ResultLookup, order: pl.DataFrame | None = None) -> PaperTable:
    """Table 6: grade 3 or higher TEAEs (SAF), by preferred term."""
    rows = []
    for item in _pt_items(r, "T6", order):
        term = item.removeprefix("PT=")
        if term == "Malignant neoplasm of unknown primary site":
            term += " (a)"
        rows.append((0, term, (_n_pct(r, "T6", item),)))
    return _table(
        r,
        "T6",
        "Table 6  Grade 3 or higher TEAEs in the safety analysis set",
        ("", _saf_header(r)),
        rows,
        ("Toxicity grade according to NCI CTCAE version 4.03", "(a) Reported during the follow-up period"),
        "SAF",
    )


# --------------------------------------------------------------------------- Table 7
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


def _t7_cell(r: ResultLookup, group: str, stat: str) -> Cell:
    """``n (pct)`` from the ARD's ``<stat>`` and ``<stat>_pct`` rows; the paper prints a
    zero count without a percentage."""
    item = f"GROUP={group}"
    n = r.text("T7", item, stat)
    if n == "0":
        return n, _ids(r, "T7", item, stat)
    return _n_pct(r, "T7", item, pct_stat=f"{stat}_pct", n_stat=stat)


def _t7_known_notes(r: ResultLookup, known: pl.DataFrame | None) -> list[str]:
    """Footnotes of the paper's Table 7 figures the warehouse cannot reproduce: the known
    inconsistencies (``ref.known_inconsistencies`` with the published figure ``PUBLISHED``)
    whose published figure differs from the printed one."""
    if known is None or not known.height or "PUBLISHED" not in known.columns:
        return []
    headings = dict(T7_COLUMNS)
    notes = []
    for k in known.filter(pl.col("TABLE_ID") == "T7").iter_rows(named=True):
        printed = r.text("T7", k["ITEM"], k["STAT"])
        if k["PUBLISHED"] is None or printed == MISSING or printed == str(k["PUBLISHED"]):
            continue
        group = k["ITEM"].removeprefix("GROUP=")
        heading = headings.get(k["STAT"], k["STAT"])
        notes.append(
            f"Known inconsistency of the paper: {group}, {heading}: published n = {k['PUBLISHED']}, "
            f"warehouse n = {printed}. {k['EXPLANATION']}"
        )
    return notes


def table7(r: ResultLookup, known: pl.DataFrame | None = None) -> PaperTable:
    """Table 7: TEAEs of clinical importance (SAF): groups x any/grade >= 3/actions, n (%)."""
    rows = []
    for lvl, text, group, optional in _T7_ROWS:
        if group is None:
            rows.append((lvl, text, (_BLANK,) * len(T7_COLUMNS)))
            continue
        if optional and not r.has("T7", f"GROUP={group}", "any"):
            continue
        rows.append((lvl, text, tuple(_t7_cell(r, group, stat) for stat, _ in T7_COLUMNS)))
    return _table(
        r,
        "T7",
        "Table 7  Summary of TEAEs of clinical importance (a) in the safety analysis set",
        (f"N = {_set_n(r, 'SAF')}, n (%)", *(heading for _, heading in T7_COLUMNS)),
        rows,
        (
            "(a) Sponsor groupings of preferred terms (seed ae_groupings); the dermatologic terms and "
            "the neuropathies are also reported alone",
            "(b) Headed 'Patient withdrawn from study' in the paper; read as drug interrupted "
            "(doses withheld), see docs/derivations.md#known-inconsistencies-of-the-paper",
        ),
        "SAF",
        orientation="landscape",
        extra_notes=_t7_known_notes(r, known),
    )


# --------------------------------------------------------------------------- Table 8
#: Key and file stem of the eighth output: the figures the paper reports in its text.
TEXT_TABLE_ID = "TX"
#: ARD tables whose figures the text reports (plus Table 1's median months since the last ASCT).
TEXT_SOURCE_TABLES = ("POP", "EFF", "SAFETY_TEXT")

# (heading, rows); a row is (label, kind, table, item); kind "pt" lists every
# ``<item>|PT=`` term the ARD holds (the paper's order first, as Tables 5 and 6)
_TX_SECTIONS: tuple[tuple[str, tuple[tuple[str, str, str, str], ...]], ...] = (
    (
        "Analysis sets, N",
        (
            ("Full analysis set (FAS)", "value_n", "POP", "FAS"),
            ("Safety analysis set (SAF)", "value_n", "POP", "SAF"),
            ("Response-evaluable analysis set (RE)", "value_n", "POP", "RE"),
        ),
    ),
    (
        "Efficacy: response (≥ PR) by cytogenetic risk (a)",
        (
            ("High risk", "npct", "EFF", "ORR_CYTO=HIGH"),
            ("Standard risk", "npct", "EFF", "ORR_CYTO=STANDARD"),
        ),
    ),
    (
        "Efficacy: no PD at the last assessment (b)",
        (
            ("CR", "nnpct", "EFF", "NO_PD_AT_LAST_ASSESSMENT|CR"),
            ("VGPR or better (CR + VGPR)", "nnpct", "EFF", "NO_PD_AT_LAST_ASSESSMENT|VGPR_OR_BETTER"),
            ("Overall response (≥ PR)", "nnpct", "EFF", "NO_PD_AT_LAST_ASSESSMENT|ORR"),
        ),
    ),
    (
        "Efficacy: time to response, months",
        (
            ("VGPR or better (CR + VGPR)", "median_ci", "EFF", "TTR|VGPR_OR_BETTER"),
            ("Overall response (≥ PR)", "median_ci", "EFF", "TTR|ORR"),
        ),
    ),
    (
        "Efficacy: duration of response, months",
        (("VGPR or better (CR + VGPR)", "median_ci", "EFF", "DOR|VGPR_OR_BETTER"),),
    ),
    (
        "Efficacy: progression-free survival",
        (
            ("Median (months)", "median_ci", "EFF", "PFS"),
            ("Events (progression or death), n (%)", "events", "EFF", "PFS"),
            ("Deaths among the events, n", "deaths_among_events", "EFF", "PFS"),
        ),
    ),
    (
        "Efficacy: follow-up",
        (("Median follow-up (months), reverse Kaplan-Meier", "median_ci", "EFF", "FOLLOW_UP"),),
    ),
    (
        "Efficacy: overall survival",
        (
            ("Median (months)", "median_ci", "EFF", "OS"),
            ("Deaths, n", "deaths", "EFF", "OS"),
        ),
    ),
    ("Safety: drug-related TEAEs, ≥ 20%", (("", "pt", "SAFETY_TEXT", "RELATED"),)),
    (
        "Safety: drug-related grade ≥ 3 TEAEs, ≥ 10%",
        (("", "pt", "SAFETY_TEXT", "RELATED_GRADE3PLUS"),),
    ),
    ("Safety: serious TEAEs, > 1 patient", (("", "pt", "SAFETY_TEXT", "SERIOUS"),)),
    (
        "Safety: drug-related serious TEAEs, > 1 patient",
        (("", "pt", "SAFETY_TEXT", "RELATED_SERIOUS"),),
    ),
    (
        "Safety: TEAE leading to dose reduction (d)",
        (("", "pt", "SAFETY_TEXT", "LEADING_TO_DOSE_REDUCTION"),),
    ),
    (
        "Safety: TEAE leading to drug discontinuation (d)",
        (("", "pt", "SAFETY_TEXT", "LEADING_TO_DRUG_DISCONTINUATION"),),
    ),
    ("Safety: deaths", (("Deaths during the study and follow-up, n", "value_n", "SAFETY_TEXT", "DEATHS"),)),
    (
        "Baseline: time since the last ASCT, months",
        (("Median, patients with ASCT", "median", "T1", "MONTHS_SINCE_LAST_ASCT"),),
    ),
)

_TX_FOOTNOTES = (
    "Figures the publication reports in its text, not in Tables 1–7; each cell prints the "
    "figures of results.ard as they are formatted there. ASCT autologous stem cell "
    "transplantation, CR complete response, VGPR very good partial response, PR partial "
    "response, TEAE treatment-emergent adverse event, NE not estimable",
    "(a) Percentages of the response-evaluable patients of that cytogenetic risk; high risk: "
    "t(4;14), t(14;16) or del(17p)",
    "(b) n/N (%): among the N responders of that category, the n without progressive disease (PD) "
    "at their last response assessment",
    "(c) The text says 8 (24%) for drug-related nausea; Table 7 gives 9 (26%), which is printed "
    "(docs/derivations.md#known-inconsistencies-of-the-paper)",
    "(d) The most common preferred term, n",
)

#: Preferred terms footnoted: (item prefix, term) -> footnote mark.
_TX_TERM_NOTES = {("RELATED", "Nausea"): " (c)"}


def _tx_cells(r: ResultLookup, kind: str, table: str, item: str) -> tuple[Cell, Cell]:
    """(value, 95% CI) cells of a Table 8 row."""
    if kind == "value_n":
        return _text(r, table, item, "n"), _BLANK
    if kind == "npct":
        return _n_pct(r, table, item), _BLANK
    if kind == "nnpct":
        n, big_n, pct = (r.text(table, item, s) for s in ("n", "N", "pct"))
        if n == MISSING:
            return (MISSING, ()), _BLANK
        return (f"{n}/{big_n} ({pct})", _ids(r, table, item, "n", "N", "pct")), _BLANK
    if kind == "median":
        return _text(r, table, item, "median"), _BLANK
    if kind == "median_ci":
        ci = _ci(r, table, item) if r.has(table, item, "ci_lo") or r.has(table, item, "ci_hi") else _BLANK
        return _text(r, table, item, "median_months"), ci
    if kind == "events":
        return _n_pct(r, table, item, pct_stat="events_pct", n_stat="events"), _BLANK
    # deaths, deaths_among_events: a count of its own name
    return _text(r, table, item, kind), _BLANK


def _tx_pt_items(r: ResultLookup, prefix: str, order: pl.DataFrame | None) -> list[str]:
    """``<prefix>|PT=`` items the ARD holds: the paper's order first, then by n (desc), name."""
    present = r.items("SAFETY_TEXT", "n", prefix=f"{prefix}|PT=")
    ordered: list[str] = []
    if order is not None and order.height:
        mine = order.filter((pl.col("TABLE_ID") == "SAFETY_TEXT") & (pl.col("STAT") == "n")).sort("ORD")
        ordered = [i for i in dict.fromkeys(mine["ITEM"]) if i in present]
    rest = sorted((i for i in present if i not in ordered), key=str.lower)
    rest.sort(key=lambda i: r.value("SAFETY_TEXT", i, "n") or 0, reverse=True)
    return ordered + rest


def _section_set(r: ResultLookup, ids: Iterable[str]) -> str | None:
    """The one analysis set of a section's printed figures, ``None`` when mixed or unknown."""
    sets = {(r.row(i) or {}).get("ANALYSIS_SET") for i in ids}
    return sets.pop() if len(sets) == 1 else None


def table_text(r: ResultLookup, order: pl.DataFrame | None = None) -> PaperTable:
    """Table 8: the figures the paper reports in its text (analysis sets, efficacy, safety,
    months since the last ASCT), each an ARD row (docs/DESIGN.md "Tables and figures").

    Parameters
    ----------
    r : ResultLookup
        The ARD's lookup.
    order : polars.DataFrame, optional
        ``ORD, TABLE_ID, ITEM, STAT`` of ``ref.published_results``: the paper's order of
        the preferred terms of the safety sections.

    Returns
    -------
    PaperTable
        A heading row per section (its analysis set in brackets) and the rows under it;
        ``–`` for a figure the ARD lacks, "none reported" for a term list it has no term of.
    """
    rows: list[tuple[int, str, Sequence[Cell]]] = []
    for heading, specs in _TX_SECTIONS:
        body: list[tuple[int, str, Sequence[Cell]]] = []
        for label, kind, table, item in specs:
            if kind != "pt":
                body.append((1, label, _tx_cells(r, kind, table, item)))
                continue
            items = _tx_pt_items(r, item, order)
            for pt in items:
                term = pt.split("|PT=", 1)[1]
                value = _n_pct(r, table, pt) if r.has(table, pt, "pct") else _text(r, table, pt, "n")
                body.append((1, term + _TX_TERM_NOTES.get((item, term), ""), (value, _BLANK)))
            if not items:
                body.append((1, "None reported", ((MISSING, ()), _BLANK)))
        ids = [i for _, _, cells in body for c in cells for i in c[1]]
        analysis_set = _section_set(r, ids) if heading != "Analysis sets, N" else None
        shown = f"{heading} ({analysis_set})" if analysis_set else heading
        rows.append((0, shown, (_BLANK, _BLANK)))
        rows.extend(body)
    # the arm heads the label column, as in Table 3: the figure columns' headings stay one line
    header = ("Ixazomib + LenDex", "n (%) or median", "95% CI")
    frame = pl.DataFrame(
        [(_label(lvl, text), *(c[0] for c in cells)) for lvl, text, cells in rows],
        schema={h: pl.String for h in header},
        orient="row",
    )
    sources = tuple(tuple(c[1] for c in cells) for _, _, cells in rows)
    notes = list(_TX_FOOTNOTES)
    notes.append(
        "Analysis sets: "
        + "; ".join(f"{words} ({code}), N = {_set_n(r, code)}" for code, words in ANALYSIS_SETS.items())
    )
    methods = _methods(r, sources)
    if methods:
        notes.append("Methods: " + "; ".join(methods))
    notes.append(f"Data cutoff: {r.data_cutoff() or MISSING}")
    return PaperTable(
        TEXT_TABLE_ID,
        "Table 8  Figures reported in the text of the publication (analysis sets, efficacy, safety)",
        frame,
        tuple(notes),
        sources,
        tuple(lvl for lvl, _, _ in rows),
    )


# --------------------------------------------------------------------------- all
TABLE_IDS = ("T1", "T2", "T3", "T4", "T5", "T6", "T7")
#: Tables 1-7 and Table 8 (the figures of the text): the tables of the TLF folder.
OUTPUT_TABLE_IDS = (*TABLE_IDS, TEXT_TABLE_ID)


def paper_table(
    table_id: str, r: ResultLookup, order: pl.DataFrame | None = None, known: pl.DataFrame | None = None
) -> PaperTable:
    """One table of the paper (``T1`` ... ``T7``, or ``TX``: Table 8, the figures of the text)
    over a lookup."""
    builders: dict[str, Callable[[], PaperTable]] = {
        "T1": lambda: table1(r),
        "T2": lambda: table2(r),
        "T3": lambda: table3(r),
        "T4": lambda: table4(r),
        "T5": lambda: table5(r, order),
        "T6": lambda: table6(r, order),
        "T7": lambda: table7(r, known),
        TEXT_TABLE_ID: lambda: table_text(r, order),
    }
    if table_id not in builders:
        raise ValueError(f"unknown table {table_id!r}: expected one of {', '.join(OUTPUT_TABLE_IDS)}")
    return builders[table_id]()


def paper_tables(
    results: pl.DataFrame | ResultLookup,
    order: pl.DataFrame | None = None,
    known: pl.DataFrame | None = None,
) -> list[PaperTable]:
    """Tables 1-7 of the paper.

    Parameters
    ----------
    results : polars.DataFrame or ResultLookup
        ``results.analysis_results``, or a lookup (``ResultLookup.from_ard(results.ard)``).
    order : polars.DataFrame, optional
        ``ORD, TABLE_ID, ITEM, STAT`` of ``ref.published_results`` (the paper's row
        order of Tables 5 and 6).
    known : polars.DataFrame, optional
        ``TABLE_ID, ITEM, STAT, EXPLANATION, PUBLISHED`` of ``ref.known_inconsistencies``
        with the published figure: Table 7 footnotes those it prints differently.

    Returns
    -------
    list of PaperTable
        Row labels as the paper prints them (sub-rows indented with em spaces),
        ``n (%)`` cells, ``–`` where the warehouse lacks a figure.
    """
    r = results if isinstance(results, ResultLookup) else ResultLookup(results)
    return [paper_table(t, r, order, known) for t in TABLE_IDS]
