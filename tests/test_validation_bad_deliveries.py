"""Every bad delivery of a site transfer through the real nightly ``dbt build``.

The cases of ``python -m trialgen bad --list``: the delivery contract (a bad file or value),
the reconciliation with what was already accepted (a record lost or changed under the same
RECVER, a RECID moving subject or form, an older state re-sent), files the CSV reader
cannot read (an unterminated quote, a 2.1 MB line, a manifest line twice) and names and
links (``SITE_103``, ``site_103 ``, a linked file or site folder) - docs/VALIDATION.md. The
generator writes the defect into one site's latest transfer of the demo delivery; one real
``dbt build`` then must:

- report it in ``validation.delivery_checks`` with a message naming the site, transfer,
  file, row and column the generator describes (and its expected wording);
- quarantine exactly that site transfer;
- still load every other site exactly as the clean build does (their ``adam.adsl`` rows);
- keep the bad site's data from its previous transfer (no earlier good row lost);
- give ADaM and analysis results EQUAL to a build of the same delivery in which the bad site
  transfers never arrived (every table of schemas adam and results);
- exit with the documented status (docs/VALIDATION.md): 1, with the only failing node the
  test ``delivery_report_no_open_quarantine``, nothing errored or skipped - and be published
  (the published file holds this build; its tables are read from the work file, which holds
  every table of the build).

Builds are slow, so independent cases share a delivery, each on its own site (the
generator's cases are applied with ``trialgen.bad.apply_bad_case`` after choosing the site;
``not_utf8`` is written with the CLI exactly as documented, alone) - which also shows that
one site's bad files stop no other site. Each case is still asserted on its own. Cases
that concern a whole transfer or need an earlier build are in
tests/test_validation_accepted_state.py.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pytest
from conftest import REPO, adam_and_results, run_dbt, without_site_transfers, work_db

import trialgen.bad as bad

EXIT_TEST = "delivery_report_no_open_quarantine"
CUTOFF = "2019-10-18"


def list_cases() -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "trialgen", "bad", "--list"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.split()


CASES = list_cases()
SOLO = ["not_utf8"]  # written with the CLI, on its own delivery
SHARED = [c for c in CASES if c not in SOLO]
GROUP_SIZE = 8  # sites of the demo's latest transfer: 16
GROUPS = [SHARED[i : i + GROUP_SIZE] for i in range(0, len(SHARED), GROUP_SIZE)] + [[c] for c in SOLO]
GROUP_OF = {case: i for i, group in enumerate(GROUPS) for case in group}


# ------------------------------------------------------------------------------ deliveries
def transfers(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir())


def site_transfers(root: Path, site: str) -> list[str]:
    return [t.name for t in transfers(root) if (t / f"site_{site}").is_dir()]


def candidate_sites(root: Path) -> list[str]:
    """Sites in the latest transfer that also delivered before (so they have a last good one)."""
    latest = transfers(root)[-1]
    sites = sorted(p.name.removeprefix("site_") for p in latest.glob("site_*"))
    return [s for s in sites if len(site_transfers(root, s)) >= 2]


def apply_on_site(case: str, root: Path, site: str) -> dict:
    """The generator's case applied to ``site``.

    The generator damages site ``trialgen.bad.BAD_SITE`` (the module constant, which the
    value cases also take as their default ``site``); both are pointed at ``site`` for the
    call. The description it returns says where the defect went; callers check it.
    """
    saved = bad.BAD_SITE, bad._value_change.__defaults__
    bad.BAD_SITE, bad._value_change.__defaults__ = site, (site,)
    try:
        return bad.apply_bad_case(case, root).as_dict()
    finally:
        bad.BAD_SITE, bad._value_change.__defaults__ = saved


def write_group(cases: list[str], clean: Path, out: Path) -> dict[str, dict]:
    """One delivery holding ``cases``, each on its own site; returns the descriptions."""
    if len(cases) == 1 and cases[0] in SOLO:
        proc = subprocess.run(
            [sys.executable, "-m", "trialgen", "bad", "--case", cases[0], "--out", str(out)],
            cwd=REPO,
            check=True,
            capture_output=True,
            text=True,
        )
        return {cases[0]: json.loads(proc.stdout)}
    shutil.copytree(clean, out)
    used: set[str] = set()
    described: dict[str, dict] = {}
    # recver_backwards picks a site with a corrected record itself: apply it first
    for case in sorted(cases, key=lambda c: c != "recver_backwards"):
        for site in candidate_sites(out):
            if site in used:
                continue
            try:
                desc = apply_on_site(case, out, site)
            except LookupError:
                continue  # nothing on this site fits the case
            assert desc["site"] not in used, f"{case} landed on site {desc['site']}, used"
            assert case == "recver_backwards" or desc["site"] == site, desc
            used.add(desc["site"])
            described[case] = desc
            break
        else:
            raise AssertionError(f"no site of the demo delivery fits case {case}")
    return described


class Build:
    """One bad delivery built with the real dbt."""

    def __init__(self, cases: list[str], clean: Path, work: Path):
        self.delivery = work / "extracts"
        self.described = write_group(cases, clean, self.delivery)
        self.db = work / "warehouse.duckdb"
        self.target = work / "dbt"
        self.proc = run_dbt(["build"], db=self.db, extracts=self.delivery, target=self.target, check=False)
        results = json.loads((self.target / "target" / "run_results.json").read_text())
        self.statuses = {r["unique_id"]: r["status"] for r in results["results"]}

    def query(self, sql: str, params: list | None = None, published: bool = False) -> pl.DataFrame:
        """On the work file (every table of this build), or the ``published`` file."""
        with duckdb.connect(str(self.db if published else work_db(self.db)), read_only=True) as con:
            return con.sql(sql, params=params or None).pl()

    @property
    def bad_sites(self) -> set[str]:
        return {d["site"] for d in self.described.values()}

    def reference(self, clean: Path) -> dict[str, pl.DataFrame]:
        """ADaM and results of a build in which the bad site transfers never arrived."""
        if not hasattr(self, "_reference"):
            work = self.db.parent / "reference"
            gone = {(d["site"], d["transfer"]) for d in self.described.values()}
            delivery = without_site_transfers(clean, work / "extracts", gone)
            run_dbt(["build"], db=work / "warehouse.duckdb", extracts=delivery, target=work / "dbt")
            self._reference = adam_and_results(work / "warehouse.duckdb")
        return self._reference


@pytest.fixture(scope="module")
def builds(demo_delivery, tmp_path_factory):
    """Builds of the groups, made when a case of the group is first asserted."""
    made: dict[int, Build] = {}

    def get(case: str) -> Build:
        index = GROUP_OF[case]
        if index not in made:
            made[index] = Build(GROUPS[index], demo_delivery, tmp_path_factory.mktemp(f"bad_group_{index}"))
        return made[index]

    return get


@pytest.fixture(scope="module")
def clean_adsl(demo_warehouse) -> pl.DataFrame:
    with duckdb.connect(str(demo_warehouse), read_only=True) as con:
        return con.sql("select * from adam.adsl").pl()


def test_every_section_5_case_is_covered():
    assert set(CASES) == set(bad.CASES)
    assert sorted(GROUP_OF) == sorted(CASES)
    assert len(CASES) >= 16


# ------------------------------------------------------------------------------ per case
@pytest.mark.parametrize("case", CASES)
def test_bad_delivery_is_reported_where_it_is(case, builds):
    build = builds(case)
    desc = build.described[case]
    checks = build.query(
        "select * from validation.delivery_checks where SITEID = ? and TRANSFER_ID = ?",
        [desc["site"], desc["transfer"]],
    )
    assert checks.height >= 1, f"{case}: nothing reported for {desc}\n{build.proc.stdout[-3000:]}"

    def names_everything(message: str) -> bool:
        return (
            f"site {desc['site']}" in message
            and desc["transfer"] in message
            and desc["file"] in message
            and (desc["row"] is None or re.search(rf"\brow {desc['row']}\b", message))
            and (desc["column"] is None or f"column {desc['column']}" in message)
            and desc["message"].lower() in message.lower()
        )

    matching = checks.filter(pl.col("MESSAGE").map_elements(names_everything, return_dtype=pl.Boolean))
    assert matching.height >= 1, f"{case}: no message names {desc}; got:\n" + "\n".join(
        checks["MESSAGE"].to_list()
    )
    row = matching.row(0, named=True)
    assert row["FILE"] == desc["source_file"]
    assert row["ROW"] == desc["row"]
    if desc["column"] is not None:
        assert desc["column"] in row["COLUMN_NAME"]
    assert f"DELIVERY CHECK FAILED: {row['MESSAGE']}" in build.proc.stdout
    # the defect is reported on its own site only
    assert (
        set(build.query("select distinct SITEID from validation.delivery_checks")["SITEID"])
        == build.bad_sites
    )


@pytest.mark.parametrize("case", CASES)
def test_bad_site_transfer_is_quarantined_and_its_last_good_transfer_stays(case, builds):
    build = builds(case)
    desc = build.described[case]
    quarantined = build.query("select SITEID, TRANSFER_ID, REASON from validation.quarantine")
    assert set(zip(quarantined["SITEID"], quarantined["TRANSFER_ID"])) == {
        (d["site"], d["transfer"]) for d in build.described.values()
    }
    previous = [t for t in site_transfers(build.delivery, desc["site"]) if t < desc["transfer"]][-1]
    # current state of the bad site: its previous (last good) transfer, for every form
    current = build.query(
        "select max(LATEST_TRANSFER_ID) as T from "
        "intermediate.int_edc__site_latest_transfer where SITEID = ?",
        [desc["site"]],
    )
    assert current["T"].to_list() == [previous]
    # no earlier good row lost: every subject of that transfer's dm is in ADSL
    with (build.delivery / previous / f"site_{desc['site']}" / "dm.csv").open(
        encoding="utf-8", newline=""
    ) as fh:
        expected = {
            r["SUBJID"] for r in csv.DictReader(fh) if r["RECSTAT"] == "ACTIVE" and r["ICDAT"] <= CUTOFF
        }
    adsl = build.query("select SUBJID from adam.adsl where SITEID = ?", [desc["site"]])
    assert set(adsl["SUBJID"]) == expected
    assert expected, f"site {desc['site']} had no subject before {desc['transfer']}"


@pytest.mark.parametrize("case", CASES)
def test_other_sites_load_exactly_as_clean(case, builds, clean_adsl):
    build = builds(case)
    adsl = build.query("select * from adam.adsl")
    others = sorted(set(clean_adsl["SITEID"]) - build.bad_sites)
    assert others, "every site is bad: nothing to compare"
    got = adsl.filter(pl.col("SITEID").is_in(others)).sort("USUBJID")
    want = clean_adsl.filter(pl.col("SITEID").is_in(others)).sort("USUBJID")
    assert got["USUBJID"].to_list() == want["USUBJID"].to_list()
    assert got.equals(want), f"{case}: ADSL of the clean sites differs from the clean build"


@pytest.mark.parametrize("case", CASES)
def test_adam_and_results_equal_a_build_without_the_bad_site_transfers(case, builds, demo_delivery):
    build = builds(case)
    got = adam_and_results(build.db)
    want = build.reference(demo_delivery)
    assert sorted(got) == sorted(want)
    assert "adam.adsl" in got and "results.published_comparison" in got
    for name in want:
        assert got[name].height == want[name].height, f"{case}: {name} row count"
        assert got[name].equals(want[name]), f"{case}: {name} differs from the reference build"


@pytest.mark.parametrize("case", CASES)
def test_exit_status_is_the_documented_one(case, builds):
    build = builds(case)
    assert build.proc.returncode == 1, build.proc.stdout[-3000:]
    failed = {uid: s for uid, s in build.statuses.items() if s not in ("pass", "success", "warn")}
    assert list(failed.values()) == ["fail"], failed
    assert EXIT_TEST in next(iter(failed)), failed
    assert "Traceback" not in build.proc.stdout + build.proc.stderr
    # the exit-status test is on a leaf: nothing was skipped, the build was published
    assert build.statuses["model.ixrd_warehouse.publish"] == "success"
    assert (
        build.query("select BUILD_ID from results.publication", published=True).rows()
        == build.query("select BUILD_ID from validation.build_info").rows()
    )
