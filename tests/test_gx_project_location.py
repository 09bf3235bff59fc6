"""The GX context belongs to the dbt project being built, never to the Python package.

Two checkouts of this repository (clones of HEAD in temporary folders) share this one Python
environment - whose editable install points at a third folder, this repository - and build
the demo delivery with real ``dbt build``s: one after the other (the second with the dbt var
``site_ids`` changed, which regenerates the suites), then both at the same time (two dbt
processes, each with its own project folder as working directory and its own ``CTWH_DB``).
Each checkout keeps its own GX files: its Data Docs index (``build/gx``, the default of
``CTWH_GX_DIR``) names its own latest build id (``validation.build_info.BUILD_ID``) and not
the other's, nothing is written into the other checkout or into the package folder, and
``git status`` stays clean (nothing generated is tracked).

Only what the delivery phase needs is built (``--select +delivery_checks``: seeds, raw read,
inventory and the delivery suites' GX runs and Data Docs).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from conftest import REPO, work_db

import expectations

# The documented contract (README, docs/VALIDATION.md), spelled out rather than imported, so
# this test runs unchanged against code from before it.
GX_DIR_ENV = "CTWH_GX_DIR"  # unset here: the default is under test
DEFAULT_GX_DIR = Path("build") / "gx"  # under the dbt project folder
DATA_DOCS_INDEX = Path("uncommitted") / "data_docs" / "local_site" / "index.html"
PACKAGE = Path(expectations.__file__).resolve().parent  # where the shared env imports from
DBT = Path(sys.executable).with_name("dbt")
SELECT = ["--select", "+delivery_checks"]
WIDE_SITES = ["--vars", '{site_ids: "101-999"}']


def _tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` (path -> mtime, size), without ``__pycache__``."""
    out = {}
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if "__pycache__" in rel.parts or (rel.parts and rel.parts[0] in skip):
            continue
        if path.is_file():
            stat = path.stat()
            out[str(rel)] = (stat.st_mtime_ns, stat.st_size)
    return out


def _clone(dst: Path) -> Path:
    subprocess.run(
        ["git", "clone", "--quiet", str(REPO), str(dst)], check=True, capture_output=True, text=True
    )
    return dst


def _env(checkout: Path, extracts: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in (GX_DIR_ENV, "DBT_PROJECT_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH")
    }
    env.update(
        CTWH_DB=str(checkout / "build" / "warehouse.duckdb"),
        CTWH_EXTRACT_ROOT=str(extracts),
        DBT_PROFILES_DIR=str(checkout),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    return env


def _start(checkout: Path, extracts: Path, extra: list[str] = ()) -> subprocess.Popen:
    return subprocess.Popen(
        [str(DBT), "build", *SELECT, *extra],
        cwd=checkout,
        env=_env(checkout, extracts),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _finish(proc: subprocess.Popen, checkout: Path) -> str:
    out, _ = proc.communicate(timeout=900)
    assert proc.returncode == 0, f"dbt build in {checkout} failed:\n{out[-6000:]}"
    # a partial selection publishes nothing: its tables are in the work file dbt built
    with duckdb.connect(str(work_db(checkout / "build" / "warehouse.duckdb")), read_only=True) as con:
        ((build_id,),) = con.sql("select BUILD_ID from validation.build_info").fetchall()
        ((failed,),) = con.sql("select count(*) from validation.delivery_checks").fetchall()
    assert failed == 0, f"{checkout}: {failed} failed delivery check(s)"
    return build_id


def _build(checkout: Path, extracts: Path, extra: list[str] = ()) -> str:
    return _finish(_start(checkout, extracts, extra), checkout)


def _assert_own_docs(checkout: Path, build_id: str, others: list[str]) -> None:
    index = checkout / DEFAULT_GX_DIR / DATA_DOCS_INDEX
    assert index.is_file(), f"{checkout}: no Data Docs at {index}"
    text = index.read_text(encoding="utf-8")
    assert build_id in text, f"{checkout}: its Data Docs index does not name its build {build_id}"
    for other in others:
        assert other not in text, f"{checkout}: its Data Docs index names build {other}"
    gx = checkout / DEFAULT_GX_DIR
    for suite in ("delivery_files", "delivery_common", "delivery_dm"):
        assert (gx / "expectations" / f"{suite}.json").is_file(), suite
        assert (gx / "checkpoints" / f"{suite}.json").is_file(), suite
        assert list((gx / "uncommitted" / "validations" / suite / build_id).rglob("*.json")), (
            f"{checkout}: no stored result of {suite} for build {build_id}"
        )
    assert not (checkout / "expectations" / "gx").exists(), "GX files in the package folder"


def _suite(checkout: Path, name: str) -> str:
    return (checkout / DEFAULT_GX_DIR / "expectations" / f"{name}.json").read_text(encoding="utf-8")


def _assert_clean(checkout: Path) -> None:
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=checkout, check=True, capture_output=True, text=True
    ).stdout
    assert status == "", f"{checkout}: the build left changes in git:\n{status}"


@pytest.fixture(scope="module")
def checkouts(tmp_path_factory) -> tuple[Path, Path]:
    work = tmp_path_factory.mktemp("gx_location")
    return _clone(work / "a"), _clone(work / "b")


def test_checkouts_sharing_one_environment_keep_their_own_gx_files(checkouts, demo_delivery):
    a, b = checkouts
    assert PACKAGE not in (a / "expectations", b / "expectations")  # the env is shared
    package_before = _tree(PACKAGE)

    # one after the other; b with another site_ids (its suites are regenerated)
    id_a = _build(a, demo_delivery)
    _assert_own_docs(a, id_a, [])
    tree_a = _tree(a, skip=(".git",))
    id_b = _build(b, demo_delivery, WIDE_SITES)
    _assert_own_docs(b, id_b, [id_a])
    assert _tree(a, skip=(".git",)) == tree_a, "b's build wrote into checkout a"
    _assert_own_docs(a, id_a, [id_b])
    assert "(101..999)" in _suite(b, "delivery_common")
    assert "(101..999)" not in _suite(a, "delivery_common")

    # at the same time
    procs = [(c, _start(c, demo_delivery)) for c in (a, b)]
    id_a2, id_b2 = (_finish(p, c) for c, p in procs)
    assert len({id_a, id_b, id_a2, id_b2}) == 4
    _assert_own_docs(a, id_a2, [id_b, id_b2])
    _assert_own_docs(b, id_b2, [id_a, id_a2])
    assert "(101..999)" not in _suite(b, "delivery_common")  # regenerated, site_ids default

    for checkout in (a, b):
        _assert_clean(checkout)
    assert _tree(PACKAGE) == package_before, "a build wrote into the package folder"


def test_gx_dir_is_the_one_variable_resolved_in_the_dbt_project(tmp_path, monkeypatch):
    """CTWH_GX_DIR: absolute as given, relative under the dbt project folder, default
    build/gx there - wherever the package is installed and whatever the working directory
    below the project is."""
    from expectations.gx_location import data_docs_index, gx_dir

    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text("name: p\n", encoding="utf-8")
    monkeypatch.delenv(GX_DIR_ENV, raising=False)
    monkeypatch.delenv("DBT_PROJECT_DIR", raising=False)
    monkeypatch.chdir(project / "models")
    assert gx_dir() == project / DEFAULT_GX_DIR
    assert data_docs_index(project) == project / DEFAULT_GX_DIR / DATA_DOCS_INDEX
    monkeypatch.setenv(GX_DIR_ENV, "out/gx_here")
    assert gx_dir() == project / "out" / "gx_here"
    monkeypatch.setenv(GX_DIR_ENV, str(tmp_path / "elsewhere"))
    assert gx_dir(REPO) == tmp_path / "elsewhere"
    assert PACKAGE not in gx_dir(REPO).parents
