"""The results do not depend on what the DuckDB file held before the build.

Three real ``dbt build``s of the demo delivery: into a fresh file, again over that file, and
over a file that held a build with another data cutoff. ``results.analysis_results`` and
``adam.adex`` must be the same to the last bit (floats compared by their bits, not rounded):
the RDI mean and SD of Table 2 used to differ in the last digits between a fresh build and a
rebuild (the order of adex's rows, which the mean was summed in, changed).
"""

from __future__ import annotations

import random

import duckdb
import polars as pl
import pytest
from conftest import run_dbt, work_db

from analysis.exposure import describe

# the models behind the results (tests are run by the other build tests)
SELECT = ["--select", "+analysis_results", "+adex", "--resource-type", "seed", "--resource-type", "model"]
EARLIER_CUTOFF = "2018-10-19"


def _bits(value):
    return value.hex() if isinstance(value, float) else value


def snapshot(db) -> dict[str, list[tuple]]:
    # the builds select a part of the project: nothing is published, the work file has it
    with duckdb.connect(str(work_db(db)), read_only=True) as con:
        tables = {
            "results.analysis_results": con.execute(
                "select TABLE_ID, ITEM, STAT, POPULATION, VALUE, VALUE_TEXT "
                "from results.analysis_results order by all"
            ).fetchall(),
            "adam.adex": con.execute(
                "select USUBJID, PARAMCD, EXTRT, AVAL from adam.adex order by all"
            ).fetchall(),
        }
    return {name: [tuple(_bits(v) for v in row) for row in rows] for name, rows in tables.items()}


@pytest.fixture(scope="module")
def three_builds(demo_delivery, tmp_path_factory):
    work = tmp_path_factory.mktemp("deterministic")
    fresh = work / "fresh.duckdb"
    run_dbt(["build", *SELECT], db=fresh, extracts=demo_delivery, target=work / "a")
    first = snapshot(fresh)
    run_dbt(["build", *SELECT], db=fresh, extracts=demo_delivery, target=work / "b")
    rebuilt = snapshot(fresh)
    other = work / "other_cutoff.duckdb"
    run_dbt(
        ["build", *SELECT, "--vars", f"{{data_cutoff: '{EARLIER_CUTOFF}'}}"],
        db=other,
        extracts=demo_delivery,
        target=work / "c",
    )
    earlier = snapshot(other)
    run_dbt(["build", *SELECT], db=other, extracts=demo_delivery, target=work / "d")
    return first, rebuilt, earlier, snapshot(other)


@pytest.mark.parametrize("table", ["results.analysis_results", "adam.adex"])
def test_results_are_bit_identical_whatever_the_file_held(three_builds, table):
    first, rebuilt, earlier, over_other = three_builds
    assert first[table], table
    assert earlier[table] != first[table]  # the other cutoff really built other data
    for name, build in (
        ("rebuild over the same file", rebuilt),
        ("build over another cutoff's file", over_other),
    ):
        differ = [(a, b) for a, b in zip(first[table], build[table]) if a != b]
        assert len(build[table]) == len(first[table]) and not differ, (
            f"{table}, {name}: {len(differ)} row(s) differ from the fresh build, e.g. {differ[:3]}"
        )


def test_describe_does_not_depend_on_the_order_of_the_values():
    """Mean and SD of Table 2 are the same bits for every order of the rows (a running float
    sum is not: the shuffles below give it several results)."""
    rng = random.Random(20191018)
    values = [rng.uniform(40.0, 110.0) for _ in range(34)]
    naive, described = set(), set()
    for _ in range(50):
        rng.shuffle(values)
        total = 0.0
        for v in values:
            total += v
        naive.add((total / len(values)).hex())
        stats = describe(pl.Series(values))
        described.add(tuple(stats[k].hex() for k in ("mean", "sd", "median", "min", "max")))
    assert len(naive) > 1  # the order matters to a running sum of these values
    assert len(described) == 1
