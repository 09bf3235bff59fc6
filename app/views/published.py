"""Published-vs-warehouse page: every published figure beside the warehouse's value."""

from __future__ import annotations

import polars as pl

from app.views.common import MISSING


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
            pl.when(~match & has_expl)
            .then(pl.lit("mismatch, explained"))
            .when(~match)
            .then(pl.lit("MISMATCH"))
            .when(has_expl)
            .then(pl.lit("match (known inconsistency)"))
            .otherwise(pl.lit("match"))
            .alias("Status"),
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
