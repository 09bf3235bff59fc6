"""Read and write a cohort: the folder of per-subject truth tables of ``docs/DESIGN.md``.

Every table is read as text (no type inference), so a value reaches the extracts exactly
as the cohort wrote it; builders cast what they compute with.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

# Table -> columns, as fixed by docs/DESIGN.md ("The demo cohort").
COHORT_TABLES: dict[str, tuple[str, ...]] = {
    "skeleton": ("SUBJNO", "SITEID", "SUBJID", "ICDAT", "ENRLDAT", "TRTSDT", "ROLE", "CYTO_RISK"),
    "baseline": (
        "SUBJID",
        "AGE",
        "SEX",
        "RACE",
        "HEIGHT",
        "WEIGHT",
        "ECOG",
        "DIAGDAT",
        "MMTYPE",
        "LCTYPE",
        "SPEP",
        "UPEP",
        "SIFE",
        "UIFE",
        "KAPPA",
        "LAMBDA",
        "BMPC",
        "BMCLON",
        "CREAT",
        "B2M",
        "ALB",
        "NEUT",
        "PLAT",
        "HGB",
        "CA",
    ),
    "prior_lines": (
        "SUBJID",
        "LINENO",
        "DRUGS",
        "PTSTDAT",
        "PTENDAT",
        "ASCT",
        "ASCTDAT",
        "BESTRESP",
        "OUTCOME",
    ),
    "fish": ("SUBJID", "FISHTEST", "FISHSTAT", "PCTPOS"),
    "course": (
        "SUBJID",
        "CYCLES",
        "LAST_DOSE_DAY",
        "EOT_DAY",
        "EOT_REASON",
        "SUBSEQ_DAY",
        "SUBSEQ_DRUGS",
        "DEATH_DAY",
        "DTHCAUS",
        "LAST_ALIVE_DAY",
        "EOS_DAY",
        "EOS_REASON",
        "BOR",
        "PFS_DAY",
        "PFS_CNSR",
        "OS_DAY",
        "OS_CNSR",
        "TTR_PR_DAY",
        "TTR_VGPR_DAY",
        "DOR_DAY",
        "DOR_CNSR",
        "FOLLOWUP_DAY",
    ),
    "cycles": ("SUBJID", "CYCLE", "START_DAY"),
    "dosing": ("SUBJID", "EXTRT", "CYCLE", "CYDAY", "ACTION", "LEVEL", "EXADJ"),
    "assessments": ("SUBJID", "VISIT", "DAY", "CATEGORY", "MARROW", "RSORRES", "RSPDRSN"),
    "ae": (
        "SUBJID",
        "AESPID",
        "AETERM",
        "AEDECOD",
        "AEBODSYS",
        "AETOXGR",
        "AESER",
        "AEREL_IXA",
        "AEREL_LEN",
        "AEREL_DEX",
        "AEACN_IXA",
        "AEACN_LEN",
        "AEACN_DEX",
        "AECYDLY",
        "AEDISCON",
        "AEOUT",
        "TIMING",
        "POSITION",
        "DURATION",
        "START_PRECISION",
    ),
}

DEFAULT_COHORT_DIR = Path(__file__).resolve().parent / "cohort"


class CohortError(ValueError):
    """A cohort folder that cannot be rendered (missing file, missing column ...)."""


def read_cohort(folder: Path) -> dict[str, pl.DataFrame]:
    """Read every cohort table of ``folder`` as text columns.

    Parameters
    ----------
    folder : Path
        Folder holding ``<table>.csv`` for every table of :data:`COHORT_TABLES`.

    Returns
    -------
    dict of str to polars.DataFrame
        Table name -> its rows, every column ``pl.String`` (empty fields are null).

    Raises
    ------
    CohortError
        When the folder, a table file or one of its columns is missing.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CohortError(f"cohort folder not found: {folder}")
    return {name: _read_table(folder, name, columns) for name, columns in COHORT_TABLES.items()}


def _read_table(folder: Path, name: str, columns: tuple[str, ...]) -> pl.DataFrame:
    path = folder / f"{name}.csv"
    if not path.is_file():
        raise CohortError(f"cohort file missing: {path}")
    frame = pl.read_csv(path, infer_schema=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise CohortError(f"{path}: missing column(s) {', '.join(missing)}")
    return frame.select(columns)


def write_cohort(tables: dict[str, pl.DataFrame], folder: Path) -> None:
    """Write cohort tables as ``<folder>/<table>.csv`` in the documented column order.

    Parameters
    ----------
    tables : dict of str to polars.DataFrame
        Every table of :data:`COHORT_TABLES`; extra columns are dropped.
    folder : Path
        Output folder (created when missing).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, columns in COHORT_TABLES.items():
        tables[name].select(columns).write_csv(folder / f"{name}.csv", line_terminator="\n")
