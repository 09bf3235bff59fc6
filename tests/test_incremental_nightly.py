"""The incremental nightly (docs/VALIDATION.md, "Incremental nightly"): one build per night
over the demo's transfers reads and checks only the new transfer, and `dbt build
--full-refresh` of the same file gives byte-identical ADaM, results and exports.

Real `dbt build`s of the demo delivery: night 1 has every transfer but the last, night 2 adds
the last one (a hard-linked copy of the delivery: the files are the same inodes, so their
fingerprints do not change between nights), then `--full-refresh` rebuilds the same file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import adam_and_results, run_dbt, submission_root, work_db


def _link_transfers(src: Path, dst: Path, transfers: list[str]) -> None:
    """Hard links of ``transfers`` of the delivery ``src`` under ``dst`` (no symbolic link:
    the warehouse refuses those)."""
    for transfer in transfers:
        shutil.copytree(src / transfer, dst / transfer, copy_function=os.link, dirs_exist_ok=True)


def _export_digests(target: Path) -> dict[str, str]:
    """SHA-256 of every file of the build's submission folder, by relative path."""
    root = submission_root(target)
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _sql(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(query).fetchall()


RAW_FORMS = ("manifest", "dm", "ex", "lb", "ae")  # a sample of the base layer's tables


def _raw_counts(db: Path) -> dict[str, int]:
    work = work_db(db)
    return {f: _sql(work, f"select count(*) from staging.raw_edc__{f}")[0][0] for f in RAW_FORMS}


@pytest.fixture(scope="module")
def nights(demo_delivery, tmp_path_factory):
    """Two nights and a --full-refresh of the same file: what each left."""
    transfers = sorted(p.name for p in demo_delivery.iterdir() if p.is_dir())
    work = tmp_path_factory.mktemp("nightly")
    root, db, target = work / "extracts", work / "warehouse.duckdb", work / "dbt"
    out = {"transfers": transfers}
    for tonight in (transfers[:-1], transfers[-1:]):  # night 1, night 2
        _link_transfers(demo_delivery, root, tonight)
        proc = run_dbt(["build"], db=db, extracts=root, target=target)
        assert "ERROR=0" in proc.stdout, proc.stdout[-3000:]
    wdb = work_db(db)
    build_id = _sql(wdb, "select BUILD_ID from validation.build_info")[0][0]
    out["read_by_night_2"] = _sql(
        wdb,
        "select distinct TRANSFER_ID from validation.delivery_inventory "
        f"where INVENTORY_BUILD_ID = '{build_id}' order by 1",
    )
    out["files_twice"] = _sql(
        wdb, "select SOURCE_FILE from staging.base_edc__files group by 1 having count(*) > 1"
    )
    out["nightly_raw"] = _raw_counts(db)
    out["nightly"] = adam_and_results(db), _export_digests(target)
    proc = run_dbt(["build", "--full-refresh"], db=db, extracts=root, target=target)
    assert "ERROR=0" in proc.stdout, proc.stdout[-3000:]
    out["full_raw"] = _raw_counts(db)
    out["full"] = adam_and_results(db), _export_digests(target)
    return out


def test_the_second_night_reads_only_the_new_transfer(nights):
    # the inventory of night 2 read the last transfer folder and no other
    assert nights["read_by_night_2"] == [(nights["transfers"][-1],)]
    # every file is in the base layer once (a file read again would be appended twice),
    # and the base layer holds the same rows as a full read of every transfer
    assert nights["files_twice"] == []
    assert nights["nightly_raw"] == nights["full_raw"]
    assert nights["full_raw"]["lb"] > 0


def test_full_refresh_gives_the_same_adam_results_and_exports(nights):
    (nightly_frames, nightly_exports), (full_frames, full_exports) = nights["nightly"], nights["full"]
    assert sorted(nightly_frames) == sorted(full_frames)
    assert "adam.adsl" in nightly_frames and "results.ard" in nightly_frames
    for name, frame in nightly_frames.items():
        assert frame.equals(full_frames[name]), name
    # byte-identical files: XPT v5, Dataset-JSON, define.xml
    assert nightly_exports == full_exports
    assert any(name.endswith(".xpt") for name in nightly_exports)
