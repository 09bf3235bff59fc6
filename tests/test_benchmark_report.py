"""The pure parts of the benchmark (benchmarks/): stage classification of run_results,
the ratio and rows-per-second arithmetic, targets, the delivery marker, the floor's reads.
No builds, no servers: fast."""

from __future__ import annotations

import sys

import pytest
import yaml
from conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))

import bench
import bench_floor
import bench_report as R

# a small run_results.json as dbt 1.11 writes it (only the fields the benchmark reads)
RUN_RESULTS = {
    "elapsed_time": 50.0,
    "results": [
        {"unique_id": "seed.ixrd_warehouse.ae_groupings", "execution_time": 0.5, "status": "success"},
        {"unique_id": "model.ixrd_warehouse.stg_edc__ex", "execution_time": 12.0, "status": "success"},
        {"unique_id": "model.ixrd_warehouse.base_edc__ex", "execution_time": 8.0, "status": "success"},
        {"unique_id": "model.ixrd_warehouse.int_edc__audit_trail", "execution_time": 20.0, "status": "error"},
        {"unique_id": "model.ixrd_warehouse.adae", "execution_time": 4.0, "status": "success"},
        {"unique_id": "model.ixrd_warehouse.delivery_checks", "execution_time": 30.0, "status": "success"},
        {"unique_id": "model.ixrd_warehouse.km_curves", "execution_time": 2.0, "status": "success"},
        {
            "unique_id": "test.ixrd_warehouse.not_null_adsl_USUBJID.abc123",
            "execution_time": 1.5,
            "status": "fail",
        },
        {
            "unique_id": "test.ixrd_warehouse.assert_adae_teae_window",
            "execution_time": 0.5,
            "status": "skipped",
        },
        {"unique_id": "unit_test.ixrd_warehouse.adsl.adsl__flags", "execution_time": 1.5, "status": "pass"},
    ],
}
MANIFEST = {
    "nodes": {
        "model.ixrd_warehouse.stg_edc__ex": {"original_file_path": "models/staging/edc/stg_edc__ex.sql"},
        "model.ixrd_warehouse.base_edc__ex": {
            "original_file_path": "models/staging/edc/base/base_edc__ex.sql"
        },
        "model.ixrd_warehouse.int_edc__audit_trail": {
            "original_file_path": "models/intermediate/edc/int_edc__audit_trail.sql"
        },
        "model.ixrd_warehouse.adae": {"original_file_path": "models/adam/adae.sql"},
        "model.ixrd_warehouse.delivery_checks": {
            "original_file_path": "models/validation/delivery_checks.py"
        },
        "model.ixrd_warehouse.km_curves": {"original_file_path": "models/results/km_curves.py"},
        "seed.ixrd_warehouse.ae_groupings": {"original_file_path": "seeds/ae_groupings.csv"},
        "test.ixrd_warehouse.not_null_adsl_USUBJID.abc123": {
            "original_file_path": "models/adam/_adam__models.yml"
        },
    }
}


def test_stage_classification_by_resource_type_and_model_folder():
    paths = R.model_paths(MANIFEST)
    assert set(paths) == {uid for uid in MANIFEST["nodes"] if uid.startswith("model.")}
    assert R.stage_seconds(RUN_RESULTS, paths) == {
        "seeds": 0.5,
        "staging": 20.0,
        "intermediate": 20.0,
        "adam": 4.0,
        "validation": 30.0,
        "results": 2.0,
        "data tests": 2.0,
        "unit tests": 1.5,
        "other": 0.0,
    }
    # a model whose path is unknown, or outside the five folders, is "other"
    assert R.classify_node("model.ixrd_warehouse.mystery") == "other"
    assert R.classify_node("model.p.x", "models/marts/x.sql") == "other"
    assert R.classify_node("operation.p.p-on-run-end-0") == "other"


def test_stage_shares_percent_of_node_time_and_overhead():
    shares = {s.stage: s for s in R.stage_shares(RUN_RESULTS, R.model_paths(MANIFEST), build_wall_s=58.5)}
    # node time 80.0 s in all: validation 30 s = 37.5 %, staging 20 s = 25 %
    assert shares["validation"].percent == pytest.approx(37.5)
    assert shares["staging"].percent == pytest.approx(25.0)
    assert shares["unit tests"].percent == pytest.approx(1.875)
    assert sum(s.percent for s in shares.values() if s.percent is not None) == pytest.approx(100.0)
    # start-up/overhead = build wall - run_results elapsed_time
    assert shares[R.OVERHEAD].seconds == pytest.approx(8.5)
    assert shares[R.OVERHEAD].percent is None
    # without the wall time there is no overhead row
    assert R.OVERHEAD not in {s.stage for s in R.stage_shares(RUN_RESULTS, {}, None)}


def test_slowest_and_failed_nodes():
    assert R.slowest_nodes(RUN_RESULTS, 3) == [
        ("model.ixrd_warehouse.delivery_checks", 30.0, "success"),
        ("model.ixrd_warehouse.int_edc__audit_trail", 20.0, "error"),
        ("model.ixrd_warehouse.stg_edc__ex", 12.0, "success"),
    ]
    assert R.failed_nodes(RUN_RESULTS) == [
        "model.ixrd_warehouse.int_edc__audit_trail",
        "test.ixrd_warehouse.not_null_adsl_USUBJID.abc123",
    ]


def test_ratio_and_rows_per_second():
    # the 100k target: 4 x the 18.5 s floor is 74 s
    assert R.ratio(74.0, 18.5) == pytest.approx(4.0)
    assert R.ratio(120.0, 18.5) == pytest.approx(6.486486, rel=1e-6)
    assert R.rows_per_second(68_700_000, 74.0) == pytest.approx(928_378.378, rel=1e-9)
    assert R.rows_per_second(691_040, 120.0) == pytest.approx(5_758.667, rel=1e-6)
    assert R.ratio(10.0, 0.0) is None and R.ratio(None, 2.0) is None and R.ratio(3.0, None) is None
    assert R.rows_per_second(None, 3.0) is None and R.rows_per_second(10, 0.0) is None
    assert R.overhead_s(58.5, 50.0) == pytest.approx(8.5) and R.overhead_s(None, 50.0) is None
    assert R.gib(6 * 1024 * 1024) == pytest.approx(6.0)  # ru_maxrss is in KiB


def test_targets_at_100k_demo_and_other_sizes():
    ok = R.Measurement(
        "s100000", "scale", subjects=100_000, ratio=2.9, build_rss_gib=5.5, page_first_s=1.49, build_exit=0
    )
    assert R.evaluate_targets(ok)[1] is True
    at_limit = R.Measurement(
        "s100000", "scale", subjects=100_000, ratio=3.0, build_rss_gib=5.5, page_first_s=1.5, build_exit=0
    )
    assert R.evaluate_targets(at_limit)[1] is False  # ratio 3.0 <= 3 is met, but page < 1.5 s is strict
    slow = R.Measurement(
        "s100000", "scale", subjects=100_000, ratio=3.2, build_rss_gib=5.5, page_first_s=1.5, build_exit=0
    )
    text, met = R.evaluate_targets(slow)
    assert met is False and "ratio <= 3 MISSED" in text and "RSS < 6 GiB ok" in text
    heavy = R.Measurement(
        "s100000", "scale", subjects=100_000, ratio=2.0, build_rss_gib=6.0, page_first_s=1.4, build_exit=0
    )
    assert R.evaluate_targets(heavy)[1] is False  # < 6 GiB is strict
    failed = R.Measurement("s10000", "scale", subjects=10_000, ratio=2.0, build_exit=1, page_first_s=1.0)
    assert R.evaluate_targets(failed) == ("exit 0 MISSED, page < 1.5 s ok", False)
    unmeasured = R.Measurement("s1000", "scale", subjects=1000, build_exit=0, page_note="chromium missing")
    assert R.evaluate_targets(unmeasured)[1] is None  # the page was not measured
    assert R.evaluate_targets(R.Measurement("demo (full parse)", "demo", ratio=4.0))[1] is True
    assert R.evaluate_targets(R.Measurement("demo (full parse)", "demo", ratio=4.01))[1] is False
    assert R.evaluate_targets(R.Measurement("empty (full parse)", "empty")) == ("reference", None)


def test_targets_from_repeated_runs_noisy_is_not_judged():
    # builds [29, 30, 31] / floors [10, 10, 10]: median ratio 30 / 10 = 3.0 <= 3, quiet (3.3 %)
    quiet = R.Measurement(
        "s100000",
        "scale",
        subjects=100_000,
        build_rss_gib=5.0,
        page_first_s=1.0,
        build_exit=0,
        build_runs=[29.0, 30.0, 31.0],
        floor_runs=[10.0, 10.0, 10.0],
    )
    assert R.evaluate_targets(quiet) == ("exit 0 ok, ratio <= 3 ok, RSS < 6 GiB ok, page < 1.5 s ok", True)
    # builds [20, 30, 31]: 10 / 30 = 33 % from the median -> noisy: not judged, even though 3.0 <= 3
    quiet.build_runs = [20.0, 30.0, 31.0]
    assert R.evaluate_targets(quiet) == (
        "exit 0 ok, ratio <= 3 noisy, RSS < 6 GiB ok, page < 1.5 s ok",
        None,
    )
    # the nightly over the full builds: [10, 11] / [40, 41]: 10.5 / 40.5 = 0.26 <= 1/3
    nightly = R.Measurement(
        "s100000 nightly",
        "nightly",
        subjects=100_000,
        build_exit=0,
        build_runs=[10.0, 11.0],
        base_runs=[40.0, 41.0],
    )
    assert R.evaluate_targets(nightly) == ("exit 0 ok, <= 1/3 full ok", True)
    nightly.build_runs = [14.0, 14.0]  # 14 / 40.5 = 0.35 > 1/3
    assert R.evaluate_targets(nightly) == ("exit 0 ok, <= 1/3 full MISSED", False)
    nightly.subjects = 1000  # the target is set at 100,000: shown, not judged
    assert R.evaluate_targets(nightly) == ("exit 0 ok", True)
    # the demo over the empty project's builds (base_runs), not over its floor
    demo = R.Measurement("demo (full parse)", "demo", floor_runs=[1.0], build_runs=[40.0], base_runs=[10.0])
    assert demo.ratio_stats.value == pytest.approx(4.0) and R.evaluate_targets(demo)[1] is True


def test_site_ids_var_from_site_folders():
    assert R.site_ids_vars(["site_101", "site_116", "manifest.csv"]) is None
    assert R.site_ids_vars(["site_101", "site_117"]) == '{site_ids: "101-999"}'
    assert R.site_ids_vars(["site_202", "site_101"]) == '{site_ids: "101-999"}'
    assert R.site_ids_vars([]) is None


def test_marker_records_the_generator_arguments(tmp_path):
    marker = tmp_path / "s1000.marker.json"
    args = R.generator_args(1000, seed=1)
    assert args == ["scale", "--subjects", "1000", "--seed", "1"]
    assert not R.delivery_is_current(marker, args)  # no marker yet
    marker.write_text(R.marker_text(args))
    assert R.delivery_is_current(marker, args)
    assert not R.delivery_is_current(marker, R.generator_args(1000, seed=2))
    assert not R.delivery_is_current(marker, R.generator_args(10000, seed=1))
    marker.write_text("{not json")
    assert not R.delivery_is_current(marker, args)


def test_delivery_with_a_current_marker_is_reused_without_generating(tmp_path):
    root = tmp_path / "extracts" / "s1000"
    (root / "20191213T0200").mkdir(parents=True)
    (tmp_path / "extracts" / "s1000.marker.json").write_text(R.marker_text(R.generator_args(1000, 1)))
    assert bench.ensure_delivery("s1000", R.generator_args(1000, 1), tmp_path) == root
    assert (root / "20191213T0200").is_dir()  # untouched


def test_failure_hints_from_a_dbt_log():
    log = (
        "\x1b[0m05:55:48  \x1b[31mFailure in model int_edc__audit_trail (models/x.sql)\x1b[0m\n"
        "\x1b[0m05:55:48    Runtime Error in model int_edc__audit_trail (models/x.sql)\n"
        "  Out of Memory Error: could not allocate block of size 256.0 KiB (5.5 GiB/5.5 GiB used)\n"
        "\x1b[0m05:55:48  \x1b[31mFailure in test not_null_adsl_USUBJID (models/adam/_adam.yml)\x1b[0m\n"
        "\x1b[0m05:55:48    Got 3 results, configured to fail if != 0\n"
    )
    assert R.failure_hints(log) == [
        "int_edc__audit_trail: Out of Memory Error: could not allocate block of size 256.0 KiB "
        "(5.5 GiB/5.5 GiB used)",
        "not_null_adsl_USUBJID: Got 3 results, configured to fail if != 0",
    ]


def test_floor_reads_use_the_dbt_sources_options():
    sources_yml = REPO / "models" / "staging" / "edc" / "_edc__sources.yml"
    sources = yaml.safe_load(sources_yml.read_text())
    reads = bench_floor.source_reads(sources, "/data/d'x")
    tables = {t["name"] for s in sources["sources"] for t in s["tables"]}
    assert set(reads) == tables and "manifest" in reads and len(reads) >= 15
    assert reads["manifest"].startswith("read_csv('/data/d''x/*/manifest.csv'")
    assert reads["ex"].startswith("read_csv('/data/d''x/*/site_*/ex.csv'")
    for read in reads.values():
        assert "env_var" not in read and "all_varchar = true" in read and "union_by_name = true" in read
    # the fallback spells out the same reads
    fallback = bench_floor.fallback_reads("/data/d'x")
    assert set(fallback) == set(reads) and fallback["ex"] == reads["ex"]


def test_markdown_tables():
    rows = [
        R.Measurement(
            "s1000",
            "scale",
            subjects=1000,
            raw_rows=691_040,
            floor_s=2.2,
            build_s=120.0,
            ratio=54.5,
            build_exit=0,
            page_note="chromium missing",
        )
    ]
    rows[0].target, rows[0].target_met = R.evaluate_targets(rows[0])
    table = R.results_table(rows).splitlines()
    assert table[0].startswith("| measurement | subjects | raw rows | floor s | build s | ratio |")
    assert table[2].startswith("| s1000 | 1,000 | 691,040 | 2.2 | 120.0 | 54.50 |")
    assert "chromium missing" in table[2]
    csv_row = rows[0].as_csv_row()
    assert csv_row["ratio"] == 54.5 and csv_row["page_first_s"] == "" and csv_row["target_met"] == ""


# --------------------------------------------------------------------------- every page (issue 15)
APP_SOURCE = """
st.navigation(
    [
        st.Page("app/pages/summary.py", title="Summary", icon=":material/monitoring:", default=True),
        st.Page("app/pages/data_quality.py", title="Data quality", icon=":material/verified:"),
        st.Page("app/pages/adverse_events.py", title="Adverse events", icon=":material/sick:", url_path="adverse_events"),
        st.Page("app/pages/profile.py", title="Subject profile", url_path='subject_profile'),
    ]
).run()
"""


def test_registered_url_paths_default_and_explicit():
    # the file name without .py unless url_path is given
    assert R.registered_url_paths(APP_SOURCE) == {
        "summary",
        "data_quality",
        "adverse_events",
        "subject_profile",
    }
    real = R.registered_url_paths((REPO / "streamlit_app.py").read_text())
    assert {"summary", "tables", "published", "data_quality", "subjects", "adverse_events"} <= real


def _timings(warm: dict[str, float | None], profile_warm: float | None = None) -> list:
    # the cold render (fresh server) is twice the warm one here: reported, never a target
    out = [R.PageTiming(name, R.COLD, s and s * 2) for name, s in warm.items()]
    out += [R.PageTiming(name, R.WARM, s) for name, s in warm.items()]
    if profile_warm is not None:
        out.append(R.PageTiming("subject_profile", R.WARM_OTHER, profile_warm))
    out.append(R.PageTiming("response_plots", R.WARM, None, note=R.NOT_REGISTERED))
    return out


def test_page_targets_every_page_and_warm_profile():
    fast = _timings({"summary": 1.2, "adverse_events": 1.49, "subject_profile": 0.9}, profile_warm=0.99)
    assert R.page_checks(fast) == [("every page < 1.5 s", True), ("profile warm < 1 s", True)]
    # one page at 1.5 s misses (strict), whatever the others do
    slow_page = _timings({"summary": 0.5, "adverse_events": 1.5, "subject_profile": 0.9}, profile_warm=0.5)
    assert R.page_checks(slow_page)[0] == ("every page < 1.5 s", False)
    slow_profile = _timings({"summary": 0.5, "subject_profile": 0.9}, profile_warm=1.0)
    assert R.page_checks(slow_profile)[1] == ("profile warm < 1 s", False)
    # a registered page not measured (e.g. 'not built') leaves the verdict open
    unmeasured = _timings({"summary": 0.5, "adverse_events": None})
    assert R.page_checks(unmeasured) == [("every page < 1.5 s", None)]
    # the page check in the whole verdict: exit ok, one page slow -> not met
    m = R.Measurement("s10000", "scale", subjects=10_000, build_exit=0, page_first_s=0.5, pages=slow_page)
    assert R.evaluate_targets(m) == (
        "exit 0 ok, every page < 1.5 s MISSED, profile warm < 1 s ok",
        False,
    )


def test_pages_table_and_csv():
    pages = _timings({"summary": 1.234, "subject_profile": 0.9}, profile_warm=0.456)
    table = R.pages_table("s100000", pages).splitlines()
    assert (
        table[2]
        == "| page | cold s | warm s | warm / floor | warm, 2nd subject s | target | verdict | note |"
    )
    assert table[4] == "| summary | 2.47 | 1.23 | – | – | warm < 1.5 s | met |  |"  # cold 2 x 1.234
    assert (
        table[5]
        == "| subject_profile | 1.80 | 0.90 | – | 0.46 | warm < 1.5 s, warm, 2nd subject < 1 s | met |  |"
    )
    assert table[6] == f"| response_plots | – | – | – | – | warm < 1.5 s | – | {R.NOT_REGISTERED} |"
    rows = R.page_csv_rows("s100000", pages)
    assert rows[0] == {  # the cold render: reported without a target
        "label": "s100000",
        "page": "summary",
        "kind": "cold",
        "address": "",
        "seconds": 2.468,
        "floor_page": "",
        "ratio_to_floor": "",
        "target_s": "",
        "met": "",
        "note": "",
    }
    assert rows[2]["kind"] == "warm" and rows[2]["seconds"] == 1.234 and rows[2]["met"] == "met"
    assert rows[-1]["seconds"] == "" and rows[-1]["met"] == "" and rows[-1]["note"] == R.NOT_REGISTERED
    assert set(rows[0]) == set(R.PAGE_CSV_COLUMNS)


def test_demo_verdict_includes_the_pages_when_timed():
    pages = _timings({"summary": 2.0, "adverse_events": 1.0})
    demo = R.Measurement("demo (partial parse)", "demo", ratio=1.5, pages=pages)
    assert R.evaluate_targets(demo) == ("<= 4x empty ok, every page < 1.5 s MISSED", False)
    assert R.evaluate_targets(R.Measurement("demo (full parse)", "demo", ratio=1.5)) == (
        "<= 4x empty ok",
        True,
    )


def test_floor_pages_give_ratios_and_no_target():
    # the floor pages (benchmarks/page_floor_app.py) are timed in the same run; a page's warm
    # render is divided by the warm render of its floor: 4.2 / 3.5 = 1.2, 2.7 / 1.8 = 1.5
    pages = [
        R.PageTiming(R.FLOOR_TABLE, R.COLD, 2.4),
        R.PageTiming(R.FLOOR_TABLE, R.WARM, 1.8),
        R.PageTiming(R.FLOOR_CHART, R.WARM, 3.5),
        R.PageTiming("summary", R.WARM, 4.2, floor=R.FLOOR_CHART),
        R.PageTiming("adverse_events", R.WARM, 2.7, floor=R.FLOOR_TABLE),
        R.PageTiming("tables", R.WARM, None, floor=R.FLOOR_TABLE, note="shows 'not built'"),
    ]
    assert R.floor_ratio(pages[3], pages) == pytest.approx(1.2)
    assert R.floor_ratio(pages[4], pages) == pytest.approx(1.5)
    assert R.floor_ratio(pages[5], pages) is None  # not measured: no ratio
    # the floors are the reference, never a target, and not part of "every page"
    assert pages[1].target_s is None and pages[2].met is None
    assert R.page_checks(pages[1:3]) == []
    assert R.page_checks(pages) == [("every page < 1.5 s", False)]  # 4.2 s and 2.7 s
    table = R.pages_table("demo", pages).splitlines()
    assert table[4] == "| floor: table | 2.40 | 1.80 | floor | – | – | – |  |"
    assert table[6] == "| summary | – | 4.20 | 1.20 × chart | – | warm < 1.5 s | not met |  |"
    assert table[7] == "| adverse_events | – | 2.70 | 1.50 × table | – | warm < 1.5 s | not met |  |"
    rows = R.page_csv_rows("demo", pages)
    assert rows[3]["floor_page"] == R.FLOOR_CHART and rows[3]["ratio_to_floor"] == 1.2


# --------------------------------------------------------------------------- repeated runs (issue 16)
def test_median_spread_and_noise_of_repeated_runs():
    # [10, 11, 12]: median 11; the farthest run is 1 s away: 1 / 11 = 9.1 % -> quiet
    assert R.median([12.0, 10.0, 11.0]) == 11.0
    assert R.spread([10.0, 11.0, 12.0]) == pytest.approx(1 / 11)
    assert not R.is_noisy([10.0, 11.0, 12.0])
    # [10, 13, 12]: median 12; 10 is 2 s away: 2 / 12 = 16.7 % > 15 % -> noisy
    assert R.spread([10.0, 13.0, 12.0]) == pytest.approx(2 / 12)
    assert R.is_noisy([10.0, 13.0, 12.0])
    # even count: the mean of the middle two, (10 + 12) / 2 = 11; 14 is 3 s away: 27.3 %
    assert R.median([14.0, 10.0, 12.0, 9.0]) == 11.0
    assert R.spread([14.0, 10.0, 12.0, 9.0]) == pytest.approx(3 / 11)
    # exactly 15 % is still quiet: [17, 20, 23] median 20, 3 / 20 = 15 %
    assert not R.is_noisy([17.0, 20.0, 23.0])
    assert R.is_noisy([16.9, 20.0, 23.0])  # 3.1 / 20 = 15.5 %
    # one run says nothing about noise; no run has no median
    assert R.spread([5.0]) is None and not R.is_noisy([5.0])
    assert R.median([]) is None and R.spread([]) is None


def test_ratio_of_repeated_runs_median_range_and_noise():
    # builds [30, 33, 36] (median 33), floors [10, 11, 12] (median 11): ratio 33 / 11 = 3.0,
    # range min/max 30 / 12 = 2.5 .. max/min 36 / 10 = 3.6; 3 / 33 = 9.1 % and 1 / 11 = 9.1 %
    stats = R.ratio_stats([30.0, 33.0, 36.0], [10.0, 11.0, 12.0])
    assert stats.value == pytest.approx(3.0)
    assert (stats.low, stats.high) == (pytest.approx(2.5), pytest.approx(3.6))
    assert stats.noisy is False
    # a noisy floor makes the ratio noisy: [10, 13, 12] spreads 16.7 %
    assert R.ratio_stats([30.0, 33.0, 36.0], [10.0, 13.0, 12.0]).noisy is True
    # so does a noisy build: [30, 40] median 35, 5 / 35 = 14.3 % quiet; [28, 40] 6 / 34 = 17.6 %
    assert R.ratio_stats([30.0, 40.0], [10.0]).noisy is False
    assert R.ratio_stats([28.0, 40.0], [10.0]).noisy is True
    assert R.ratio_stats([], [10.0]) == R.RatioStats(None, None, None, False)
    assert R.ratio_stats([1.0], [0.0]).value is None
    assert R.runs_text([10.0, 12.0, 11.0]) == "11.0 (10.0–12.0)"
    assert R.runs_text([2.345], digits=2, unit=" s") == "2.35 s" and R.runs_text([]) == "–"


def test_targets_table_every_target_with_its_ratio():
    pages = [
        R.PageTiming(R.FLOOR_TABLE, R.WARM, 1.0),
        R.PageTiming("summary", R.WARM, 1.2, floor=R.FLOOR_TABLE),
        R.PageTiming("subjects", R.WARM, 1.4, floor=R.FLOOR_TABLE),
    ]
    rows = [
        # builds [270, 280, 290] / floors [95, 100, 105]: 280 / 100 = 2.80, range 270 / 105 = 2.57
        # .. 290 / 95 = 3.05; spreads 10 / 280 = 3.6 % and 5 / 100 = 5 %: quiet -> met (2.80 <= 3)
        R.Measurement(
            "s100000",
            "scale",
            subjects=100_000,
            build_exit=0,
            build_rss_gib=5.9,
            floor_runs=[95.0, 100.0, 105.0],
            build_runs=[270.0, 280.0, 290.0],
            pages=pages,
        ),
        # the nightly [60, 100, 110] spreads 40 / 100 = 40 %: noisy, not judged
        R.Measurement(
            "s100000_t3 nightly",
            "nightly",
            subjects=100_000,
            build_exit=0,
            build_runs=[60.0, 100.0, 110.0],
            base_runs=[300.0, 300.0, 300.0],
        ),
        # demo [45, 50] / empty [10, 10]: median 47.5 / 10 = 4.75 > 4 -> missed
        R.Measurement(
            "demo (full parse)", "demo", build_exit=0, build_runs=[45.0, 50.0], base_runs=[10.0, 10.0]
        ),
    ]
    targets = {t.target + " | " + t.measurement: t for t in R.target_rows(rows)}
    ratio = targets["full build ≤ 3 × floor | s100000"]
    assert (ratio.ratio, ratio.verdict) == ("2.80 (2.57–3.05)", R.MET)
    assert ratio.measured == "build 280.0 s (270.0–290.0); floor 100.0 s (95.0–105.0)"
    assert targets["build peak RSS < 6 GiB | s100000"].verdict == R.MET  # 5.9 < 6
    nightly = targets["one transfer added: nightly ≤ 1/3 × full build | s100000_t3 nightly"]
    assert nightly.verdict == R.NOISY and nightly.ratio == "0.33 (0.20–0.37) noisy"  # 100 / 300
    demo = targets["demo build ≤ 4 × empty project | demo (full parse)"]
    assert (demo.ratio, demo.verdict) == ("4.75 (4.50–5.00)", R.MISSED)
    page = targets["page first render < 1.5 s (warm server) | s100000"]
    assert page.measured == "slowest: subjects 1.40 s (of 2 pages)" and page.ratio == "1.40 × table floor"
    assert page.verdict == R.MET  # 1.2 and 1.4 < 1.5
    assert targets["make test ≤ 6 min | "].verdict == R.NOT_MEASURED
    # a smaller size is shown, judged only at 100,000, and 100,000 is then "not measured"
    small = R.Measurement("s1000", "scale", subjects=1000, build_exit=0, floor_runs=[1.0], build_runs=[9.0])
    by_size = [t for t in R.target_rows([small]) if t.target == "full build ≤ 3 × floor"]
    assert [(t.measurement, t.ratio, t.verdict) for t in by_size] == [
        ("s1000", "9.00", R.SHOWN),
        ("s100000", "–", R.NOT_MEASURED),
    ]
    # a failed build misses whatever its ratio
    small.subjects, small.build_exit = 100_000, 1
    assert R.target_rows([small])[0].verdict == R.MISSED
    table = R.targets_table(R.target_rows(rows)).splitlines()
    assert table[2] == "| target | measurement | measured | ratio | limit | verdict |"
    assert set(R.target_csv_rows(R.target_rows(rows))[0]) == set(R.TARGET_CSV_COLUMNS)


def test_incremental_case_links_transfers_without_copying(tmp_path):
    root = tmp_path / "s1000_t3"
    for transfer in ("20190613T0200", "20191010T0200", "20191213T0200"):
        (root / transfer / "site_101").mkdir(parents=True)
        (root / transfer / "site_101" / "dm.csv").write_text(f"USUBJID\n{transfer}\n")
        (root / transfer / "manifest.csv").write_text("file\n")
    transfers = bench.transfer_folders(root)
    assert [t.name for t in transfers] == ["20190613T0200", "20191010T0200", "20191213T0200"]
    nightly = tmp_path / "nightly"
    bench.link_transfers(transfers[:-1], nightly)  # the first build: all but the last
    assert sorted(p.name for p in nightly.iterdir()) == ["20190613T0200", "20191010T0200"]
    linked = nightly / "20191010T0200" / "site_101" / "dm.csv"
    original = root / "20191010T0200" / "site_101" / "dm.csv"
    assert not linked.is_symlink() and linked.stat().st_ino == original.stat().st_ino  # a hard link
    bench.link_transfers(transfers[-1:], nightly)  # the nightly: the last one added
    assert (nightly / "20191213T0200" / "manifest.csv").stat().st_nlink == 2
    assert R.generator_args(1000, 1, transfers=3)[-2:] == ["--transfers", "3"]
    (tmp_path / "pre" / "s1k_t3").mkdir(parents=True)
    assert bench.find_existing(tmp_path / "pre", 1000, transfers=3) == tmp_path / "pre" / "s1k_t3"
