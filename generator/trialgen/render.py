"""Render a cohort (folder of cohort CSVs) into cumulative nightly site extracts.

Pipeline, per batch of whole sites (a batch bounds memory in scale mode):

1. :mod:`trialgen.subjects` - per-subject dates and bounds (nothing on study after the
   death day, the last day known alive or the data cutoff);
2. :mod:`trialgen.records` and :mod:`trialgen.labs` - the final version of every record
   of the 14 forms, as the cohort intends it at the final cutoff;
3. :mod:`trialgen.versions` - entry times (MODDTC) and earlier versions (typos later
   corrected, AEs updated when they resolve, duplicates deleted);
4. :mod:`trialgen.transfers` - the cumulative transfers and their manifests.

Everything random comes from ``numpy`` generators seeded by (seed, batch, purpose), and
every output is sorted, so the same cohort and seed give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from trialgen import labs, records, versions
from trialgen.cohort_io import CohortError, read_cohort
from trialgen.forms import FORMS, SUBJID_RE, TRANSFER_ID_RE
from trialgen.study import DATA_CUTOFF
from trialgen.subjects import subject_frame
from trialgen.transfers import (
    TIMESTAMP,
    skipped_sites,
    transfer_id,
    transfer_schedule,
    write_manifest,
    write_transfers,
)

DEMO_SEED = 20170110
BATCH_SUBJECTS = 2500
# Purposes of the seeded generators (fixed numbers: adding one never shifts the others).
PURPOSE = {"subjects": 1, "vs": 2, "ecog": 3, "fu": 4, "lb": 5, "entry": 6, "history": 7}
# Forms whose records are history or screening facts, not bounded by the last contact.
BASELINE_FORMS = ("dm", "mh", "pt", "fish")


@dataclass
class RenderReport:
    """What a render wrote and what it had to leave out."""

    transfers: list[str] = field(default_factory=list)
    subjects: int = 0
    versions: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    alive_anchors: int = 0
    month_precision_kept_full: int = 0

    def add(self, counts: dict[str, int], into: dict[str, int]) -> None:
        for key, n in counts.items():
            into[key] = into.get(key, 0) + n


def _rng(seed: int, batch: int, purpose: str) -> np.random.Generator:
    return np.random.default_rng([seed, batch, PURPOSE[purpose]])


def check_identifiers(skeleton: pl.DataFrame) -> None:
    """Subject and site ids must fit the spec (3-digit SITEID, ``<SITEID>-<3 digits>``)."""
    bad = [
        s
        for s, site in skeleton.select("SUBJID", "SITEID").iter_rows()
        if not (m := SUBJID_RE.match(s or "")) or m.group(1) != site
    ]
    if bad:
        raise CohortError(f"skeleton: SUBJID/SITEID not as the spec requires: {bad[:5]}")


def site_batches(skeleton: pl.DataFrame, limit: int = BATCH_SUBJECTS) -> list[list[str]]:
    """Whole sites grouped into batches of at most ``limit`` subjects (one site may exceed)."""
    sizes = skeleton.group_by("SITEID").len().sort("SITEID")
    batches, current, count = [], [], 0
    for site, n in sizes.iter_rows():
        if current and count + n > limit:
            batches.append(current)
            current, count = [], 0
        current.append(site)
        count += n
    return batches + ([current] if current else [])


def _restrict(cohort: dict[str, pl.DataFrame], subjids: pl.Series) -> dict[str, pl.DataFrame]:
    return {name: table.filter(pl.col("SUBJID").is_in(subjids.implode())) for name, table in cohort.items()}


def build_final_records(
    cohort: dict[str, pl.DataFrame], subjects: pl.DataFrame, seed: int, batch: int
) -> dict[str, pl.DataFrame]:
    """Final version of every record of every form for one batch."""
    cycles = cohort["cycles"]
    built = {
        "dm": records.build_dm(subjects),
        "vs": records.build_vs(subjects, cycles, _rng(seed, batch, "vs")),
        "mh": records.build_mh(subjects),
        "ecog": records.build_ecog(subjects, cycles, _rng(seed, batch, "ecog")),
        "pt": records.build_pt(subjects, cohort["prior_lines"]),
        "fish": records.build_fish(subjects, cohort["fish"]),
        "ex": records.build_ex(subjects, cycles, cohort["dosing"]),
        "lb": labs.build_lb(subjects, cohort["assessments"], cycles, _rng(seed, batch, "lb")),
        "rs": records.build_rs(subjects, cohort["assessments"]),
        "ae": records.build_ae(subjects, cohort["ae"]),
        "ds": records.build_ds(subjects),
        "dd": records.build_dd(subjects),
        "fu": records.build_fu(subjects, _rng(seed, batch, "fu")),
        "cm": records.build_cm(subjects),
    }
    return built


def clip_to_bounds(built: dict[str, pl.DataFrame], subjects: pl.DataFrame, cutoff: dt.date) -> dict[str, int]:
    """Drop on-study records dated after the subject's bound or the cutoff (in place)."""
    bound = subjects.select(
        "SUBJID", (pl.col("TRTSDT") + pl.duration(days=pl.col("BOUND_DAY") - 1)).alias("BOUND_DATE")
    )
    dropped = {}
    for form, frame in built.items():
        if form in BASELINE_FORMS:
            continue
        keep = (
            frame.join(bound, on="SUBJID", how="left", maintain_order="left")
            .select((pl.col("EVENT") <= pl.min_horizontal("BOUND_DATE", pl.lit(cutoff))).fill_null(False))
            .to_series()
        )
        dropped[form] = int((~keep).sum())
        built[form] = frame.filter(keep)
    return {f: n for f, n in dropped.items() if n}


def complete_dates(built: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """SUBJID, DATE: every complete on-study date that shows the subject alive."""

    def col(form, name, condition=None):
        frame = built[form] if condition is None else built[form].filter(condition)
        return frame.select("SUBJID", pl.col(name).str.to_date("%Y-%m-%d", strict=False).alias("DATE"))

    parts = [
        col("vs", "VSDAT"),
        col("ecog", "QSDAT"),
        col("lb", "LBDAT"),
        col("rs", "RSDAT"),
        col("ex", "EXSTDAT", pl.col("EXDOSE").cast(pl.Float64) > 0),
        col("ae", "AESTDAT"),
        col("ae", "AEENDAT"),
        col("ds", "DSSTDAT"),
        col("fu", "FUDAT", pl.col("FUSTAT") == "ALIVE"),
        col("cm", "CMSTDAT"),
    ]
    return pl.concat(parts).drop_nulls()


def add_alive_anchors(built: dict[str, pl.DataFrame], subjects: pl.DataFrame) -> int:
    """Give living subjects a contact on their last day known alive when nothing else is."""
    latest = complete_dates(built).group_by("SUBJID").agg(pl.col("DATE").max().alias("LATEST"))
    anchors = records.alive_anchor_contacts(subjects, latest)
    built["fu"] = pl.concat([built["fu"], anchors]).sort("SUBJID", "FUDAT", maintain_order=True)
    return anchors.height


def record_versions(
    built: dict[str, pl.DataFrame], subjects: pl.DataFrame, seed: int, batch: int, final_transfer: dt.datetime
) -> dict[str, pl.DataFrame]:
    """RECIDs, entry times and every version of every record of one batch."""
    entry_rng, history_rng = _rng(seed, batch, "entry"), _rng(seed, batch, "history")
    sites = subjects.select("SUBJID", "SITEID", pl.int_range(pl.len()).alias("SUBJ_IDX"))
    out = {}
    dm = versions.assign_recids(built["dm"], "dm")
    dm = dm.with_columns(versions.entry_times(dm, entry_rng, dm_entry=None, latest=final_transfer))
    dm_entry = dm.select("SUBJID", pl.col("MODDTC").alias("DM_MODDTC"))
    for form in FORMS:
        frame = dm if form == "dm" else versions.assign_recids(built[form], form)
        if form != "dm":
            frame = frame.with_columns(
                versions.entry_times(frame, entry_rng, dm_entry=dm_entry, latest=final_transfer)
            )
        if form == "ae":
            frame = frame.with_columns(
                versions.entry_times(
                    frame, entry_rng, event="START_EVENT", dm_entry=dm_entry, latest=final_transfer
                ).alias("MODDTC_FIRST")
            )
        history = versions.with_history(frame, form, history_rng, final_transfer)
        out[form] = _file_ready(history.join(sites, on="SUBJID", how="left", maintain_order="left"))
    return out


def _file_ready(history: pl.DataFrame) -> pl.DataFrame:
    """Versions in file row order (subject, RECID, RECVER), text fields, no empty strings."""
    history = history.sort("SUBJ_IDX", "SEQ", "RECVER").drop("EVENT", "LAG_KEY", "START_EVENT", strict=False)
    text = [c for c, t in history.schema.items() if t == pl.String]
    has_empty = history.select((pl.col(text) == "").any()).row(0) if text else ()
    text = [c for c, empty in zip(text, has_empty) if empty]
    return history.with_columns(
        *(pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in text),
        MODDTC_TEXT=pl.col("MODDTC").dt.strftime(TIMESTAMP),
    )


def render_batch(
    cohort: dict[str, pl.DataFrame],
    seed: int,
    batch: int,
    cutoff: dt.date,
    final_transfer: dt.datetime,
    report: RenderReport,
) -> dict[str, pl.DataFrame]:
    """All versions of all records of one batch of sites."""
    subjects = subject_frame(cohort, cutoff, _rng(seed, batch, "subjects"))
    built = build_final_records(cohort, subjects, seed, batch)
    report.add(clip_to_bounds(built, subjects, cutoff), report.dropped)
    report.alive_anchors += add_alive_anchors(built, subjects)
    report.month_precision_kept_full += (
        cohort["ae"].filter(pl.col("START_PRECISION") == "MONTH").height
        - built["ae"].filter(pl.col("AESTDAT").str.len_chars() == 7).height
    )
    all_versions = record_versions(built, subjects, seed, batch, final_transfer)
    report.add({f: v.height for f, v in all_versions.items()}, report.versions)
    report.subjects += subjects.height
    return all_versions


def clear_transfers(out: Path) -> None:
    """Remove earlier transfer folders (only names like ``20190412T0200``) from ``out``."""
    if out.exists():
        for child in out.iterdir():
            if child.is_dir() and TRANSFER_ID_RE.match(child.name):
                shutil.rmtree(child)


def render(
    cohort: dict[str, pl.DataFrame],
    out: Path,
    *,
    seed: int = DEMO_SEED,
    cutoff: dt.date = DATA_CUTOFF,
    schedule: list[dt.datetime] | None = None,
    last_transfers: int | None = None,
    batch_subjects: int = BATCH_SUBJECTS,
) -> RenderReport:
    """Render cohort tables into a delivery folder.

    Parameters
    ----------
    cohort : dict of str to polars.DataFrame
        Cohort tables (as read by :func:`trialgen.cohort_io.read_cohort`).
    out : Path
        Delivery root; earlier transfer folders in it are replaced.
    seed : int
        Seed of every random choice.
    cutoff : datetime.date
        Data cutoff: no on-study date after it.
    schedule : list of datetime.datetime, optional
        Transfer times; default :func:`trialgen.transfers.transfer_schedule` from the
        cohort's first enrolment.
    last_transfers : int, optional
        Keep only the last N transfers of the schedule (scale mode).
    batch_subjects : int
        Subjects rendered together (memory bound).

    Returns
    -------
    RenderReport
        Transfers written, version counts and records left out.
    """
    out = Path(out)
    check_identifiers(cohort["skeleton"])
    first = dt.date.fromisoformat(cohort["skeleton"]["ENRLDAT"].min())
    schedule = schedule or transfer_schedule(first, cutoff)
    if last_transfers:
        schedule = schedule[-last_transfers:]
    sites = sorted(cohort["skeleton"]["SITEID"].unique().to_list())
    skipped = skipped_sites(schedule, sites) if len(schedule) > 2 else set()
    clear_transfers(out)
    report = RenderReport(transfers=[transfer_id(t) for t in schedule])
    manifests: dict[str, list[dict]] = {tid: [] for tid in report.transfers}
    for batch, batch_sites in enumerate(site_batches(cohort["skeleton"], batch_subjects)):
        subjids = cohort["skeleton"].filter(pl.col("SITEID").is_in(batch_sites))["SUBJID"]
        part = render_batch(_restrict(cohort, subjids), seed, batch, cutoff, schedule[-1], report)
        for tid, rows in write_transfers(part, schedule, skipped, out).items():
            manifests[tid] += rows
    for tid, rows in manifests.items():
        write_manifest(rows, out / tid)
    return report


def render_folder(cohort_dir: Path, out: Path, **options) -> RenderReport:
    """Read a cohort folder and render it (see :func:`render`)."""
    return render(read_cohort(Path(cohort_dir)), out, **options)
