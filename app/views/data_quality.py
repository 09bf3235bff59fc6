"""Data-quality page: transfers and freshness per site, validation results per site."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import polars as pl


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
        pl.col("LATEST_TRANSFER_ID")
        .map_elements(parse_transfer_id, return_dtype=pl.Datetime)
        .alias("LATEST_TRANSFER")
    )
    newest = frame["LATEST_TRANSFER"].max()
    days = (
        (pl.lit(newest) - pl.col("LATEST_TRANSFER")).dt.total_days() if newest is not None else pl.lit(None)
    )
    return (
        frame.with_columns(days.cast(pl.Int64).alias("DAYS_BEHIND"))
        .with_columns(
            pl.when(pl.col("DAYS_BEHIND") == 0)
            .then(pl.lit("up to date"))
            .when(pl.col("DAYS_BEHIND").is_null())
            .then(pl.lit("unknown"))
            .otherwise(pl.format("{} days behind", pl.col("DAYS_BEHIND")))
            .alias("FRESHNESS")
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
        frame = (
            counts[name]
            .select(
                pl.col("SITEID").cast(pl.String).fill_null(ALL_SITES), pl.col("N").cast(pl.Int64).alias(name)
            )
            .group_by("SITEID")
            .agg(pl.col(name).sum())
        )
        out = out.join(frame, on="SITEID", how="full", coalesce=True)
    return (
        out.with_columns(pl.col(names).fill_null(0))
        .with_columns(
            pl.sum_horizontal(names).cast(pl.Int64).alias("TOTAL")
            if names
            else pl.lit(0, dtype=pl.Int64).alias("TOTAL")
        )
        .sort(pl.col("SITEID") == ALL_SITES, "SITEID")
    )


# --------------------------------------------------------------------------- ADaM conformance
def conformance_summary(report: pl.DataFrame, datasets: Sequence[str] = ()) -> pl.DataFrame:
    """Checks run and failed per ADaM dataset (validation.adam_conformance).

    Parameters
    ----------
    report : polars.DataFrame
        One row per check and unit: ``DATASET``, ``CHECK_ID``, ``PASSED``, ``BLOCKING``.
    datasets : sequence of str
        Order of the datasets (e.g. the spec's); others follow in name order.

    Returns
    -------
    polars.DataFrame
        ``DATASET, CHECKS, FAILED, BLOCKING, STATUS`` - STATUS ``passed``, ``N failed``
        (blocks publication) or ``N listed (not blocking)``.
    """
    order = {d: i for i, d in enumerate(datasets)}
    out = (
        report.group_by("DATASET")
        .agg(
            pl.len().cast(pl.Int64).alias("CHECKS"),
            (~pl.col("PASSED")).sum().cast(pl.Int64).alias("FAILED"),
            pl.col("BLOCKING").sum().cast(pl.Int64).alias("BLOCKING"),
        )
        .with_columns(
            pl.when(pl.col("BLOCKING") > 0)
            .then(pl.format("{} failed", pl.col("BLOCKING")))
            .when(pl.col("FAILED") > 0)
            .then(pl.format("{} listed (not blocking)", pl.col("FAILED")))
            .otherwise(pl.lit("passed"))
            .alias("STATUS"),
            pl.col("DATASET")
            .replace_strict(order, default=len(order), return_dtype=pl.Int64)
            .alias("_ORDER"),
        )
        .sort("_ORDER", "DATASET")
        .drop("_ORDER")
    )
    return out


def conformance_failures(report: pl.DataFrame) -> pl.DataFrame:
    """The failed checks, blocking ones first: ``DATASET, CHECK_ID, VARIABLE, FIRST_KEY,
    UNEXPECTED_COUNT, BLOCKS, MESSAGE`` (BLOCKS ``yes`` / ``no``)."""
    return (
        report.filter(~pl.col("PASSED"))
        .sort(
            ["BLOCKING", "DATASET", "CHECK_ID", "VARIABLE"],
            descending=[True, False, False, False],
            nulls_last=True,
        )
        .select(
            "DATASET",
            "CHECK_ID",
            "VARIABLE",
            "FIRST_KEY",
            "UNEXPECTED_COUNT",
            pl.when(pl.col("BLOCKING")).then(pl.lit("yes")).otherwise(pl.lit("no")).alias("BLOCKS"),
            "MESSAGE",
        )
    )


NO_EXPORTS = "No exports in this build."


def export_files(exports: pl.DataFrame | None) -> pl.DataFrame | None:
    """The exported files of ``submission.submission_exports`` (manifest: DATASET, FILE,
    FORMAT, RECORDS, BYTES, SHA256) by format and dataset, with ``SIZE`` (``12.3 kB``); None
    when the table is absent or empty (the page then says :data:`NO_EXPORTS`)."""
    if exports is None or exports.height == 0:
        return None

    def size(n: int | None) -> str | None:
        if n is None:
            return None
        for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
            if n >= scale:
                return f"{n / scale:.1f} {unit}"
        return f"{n} B"

    return exports.sort("FORMAT", "DATASET", "FILE").with_columns(
        pl.col("BYTES").map_elements(size, return_dtype=pl.String).alias("SIZE")
    )


# --------------------------------------------------------------------------- new since the last transfer
CHANGE_COUNTS = ("N_NEW", "N_CHANGED", "N_DELETED")
TOTAL = "Total"
#: Shown as the previous transfer of a site whose latest transfer is its first.
FIRST_TRANSFER = "none (first transfer)"
NO_CHANGES_TABLE = (
    "This build has no change counts (intermediate.int_edc__changes_by_form is missing): "
    "rebuild with the current models to see what is new since each site's last transfer."
)


def changes_per_site(changes: pl.DataFrame) -> pl.DataFrame:
    """Per site its latest and previous accepted transfer and the records new, changed and
    deleted between them over every form, with a :data:`TOTAL` row last.

    Parameters
    ----------
    changes : polars.DataFrame
        ``intermediate.int_edc__changes_by_form``: one row per site and form (``SITEID,
        FORM, LATEST_TRANSFER_ID, PREVIOUS_TRANSFER_ID, N_CURRENT, N_NEW, N_CHANGED,
        N_DELETED``).

    Returns
    -------
    polars.DataFrame
        ``SITEID, LATEST_TRANSFER_ID, PREVIOUS_TRANSFER_ID, N_CURRENT, N_NEW, N_CHANGED,
        N_DELETED`` (the site's latest/previous transfer: the newest over its forms; the
        previous is :data:`FIRST_TRANSFER` when the site sent one transfer only; empty on the
        total row).
    """
    counts = ("N_CURRENT", *CHANGE_COUNTS)
    per_site = (
        changes.group_by("SITEID")
        .agg(
            pl.col("LATEST_TRANSFER_ID").max(),
            pl.col("PREVIOUS_TRANSFER_ID").max(),
            *[pl.col(c).sum().cast(pl.Int64) for c in counts],
        )
        .with_columns(
            pl.col("SITEID").cast(pl.String),
            pl.col("PREVIOUS_TRANSFER_ID").fill_null(FIRST_TRANSFER),
        )
        .sort("SITEID")
    )
    total = per_site.select(
        pl.lit(TOTAL).alias("SITEID"),
        pl.lit("", dtype=pl.String).alias("LATEST_TRANSFER_ID"),
        pl.lit("", dtype=pl.String).alias("PREVIOUS_TRANSFER_ID"),
        *[pl.col(c).sum().cast(pl.Int64) for c in counts],
    )
    return pl.concat([per_site, total.cast(per_site.schema)])


def changes_per_form(changes: pl.DataFrame) -> pl.DataFrame:
    """Per form (all sites) the records new, changed and deleted since each site's previous
    transfer, and current records, with a :data:`TOTAL` row last."""
    counts = ("N_CURRENT", *CHANGE_COUNTS)
    per_form = changes.group_by("FORM").agg(*[pl.col(c).sum().cast(pl.Int64) for c in counts]).sort("FORM")
    total = per_form.select(pl.lit(TOTAL).alias("FORM"), *[pl.col(c).sum().cast(pl.Int64) for c in counts])
    return pl.concat([per_form, total])


def forms_with_changes(changes: pl.DataFrame, site: str) -> pl.DataFrame:
    """One site's forms with new or changed records (``FORM, N_NEW, N_CHANGED, N_DELETED``),
    most new/changed first, then by form."""
    return (
        changes.filter(
            (pl.col("SITEID").cast(pl.String) == str(site)) & ((pl.col("N_NEW") + pl.col("N_CHANGED")) > 0)
        )
        .select("FORM", *CHANGE_COUNTS)
        .sort(pl.col("N_NEW") + pl.col("N_CHANGED"), "FORM", descending=[True, False])
    )


def changed_caption(shown: int, total: int, site: str, form: str) -> str:
    """``All 12 new or changed ae records of site 101.`` or ``Showing the first 1,000 of
    4,321 ...; they are sorted by subject and record id.``"""
    if shown < total:
        return (
            f"Showing the first {shown:,} of {total:,} new or changed {form} records of site {site} "
            "(sorted by subject and record id)."
        )
    return f"All {total:,} new or changed {form} records of site {site}."


def form_change_label(forms: pl.DataFrame, form: str) -> str:
    """``3 new, 1 changed`` for one row of :func:`forms_with_changes`."""
    row = forms.filter(pl.col("FORM") == form).row(0, named=True)
    return f"{row['N_NEW']} new, {row['N_CHANGED']} changed"
