"""SAS XPORT v5 writer/reader (submission/xpt.py) against outside truth.

Outside truth: the CDISC ADaM pilot study as SAS wrote it (standards/dataset-json-1.1/examples/
adam/: adsl, adtte, adae as .xpt and as Dataset-JSON v1.1, with define.xml; standards/README.md),
and R's haven as an independent reader of what we write.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import shutil
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

from submission.xpt import DatasetMeta, VariableMeta, XptError, read_xpt, write_xpt, xpt_path

PILOT = Path(__file__).resolve().parents[1] / "standards" / "dataset-json-1.1" / "examples" / "adam"
RSCRIPT = shutil.which("Rscript")
needs_r = pytest.mark.skipif(
    RSCRIPT is None, reason="Rscript not installed (make test installs r-base-core and r-cran-haven)"
)

VARIABLES = [
    VariableMeta("USUBJID", "Unique Subject Identifier", "Char", 20),
    VariableMeta("AGE", "Age", "Num", 8),
    VariableMeta("TRTSDT", "Date of First Exposure to Treatment", "Num", 8, "DATE9."),
    VariableMeta("WEIGHTBL", "Weight (kg) at Baseline", "Num", 8, "8.1"),
    VariableMeta("AETERM", "Reported Term for the Adverse Event", "Char", 200),
]
FRAME = pl.DataFrame(
    {
        "USUBJID": ["01-701-1015", "01-701-1023", "01-701-1028"],
        "AGE": [63, None, 71],
        "TRTSDT": [dt.date(2014, 1, 2), None, dt.date(1959, 12, 31)],
        "WEIGHTBL": [54.4, 80.29, None],
        "AETERM": ["APPLICATION SITE ERYTHEMA", "", "X" * 200],
    }
)


def write_example(folder: Path, frame: pl.DataFrame = FRAME, **kwargs) -> Path:
    return write_xpt(
        frame,
        xpt_path(folder, "ADAE"),
        dataset="ADAE",
        dataset_label="Adverse Events Analysis Dataset",
        variables=VARIABLES,
        **kwargs,
    )


def haven_read(path: Path, out: Path) -> tuple[list[dict[str, str]], list[dict[str, str]], str]:
    """Read an XPT file with R haven: values (CSV, dates ISO, NA empty), per-variable metadata, label."""
    script = f"""
x <- haven::read_xpt("{path}")
write.csv(as.data.frame(x), "{out / "values.csv"}", row.names = FALSE, na = "")
a <- function(v, k) {{ r <- attr(x[[v]], k); if (is.null(r)) "" else as.character(r) }}
m <- data.frame(name = names(x),
                label = sapply(names(x), a, k = "label"),
                format = sapply(names(x), a, k = "format.sas"),
                width = sapply(names(x), a, k = "width"),
                class = sapply(names(x), function(v) class(x[[v]])[1]))
write.csv(m, "{out / "meta.csv"}", row.names = FALSE)
writeLines(if (is.null(attr(x, "label"))) "" else attr(x, "label"), "{out / "label.txt"}")
"""
    subprocess.run([RSCRIPT, "-e", script], check=True, capture_output=True, text=True)
    with open(out / "values.csv", newline="") as f:
        values = list(csv.DictReader(f))
    with open(out / "meta.csv", newline="") as f:
        meta = list(csv.DictReader(f))
    return values, meta, (out / "label.txt").read_text().rstrip("\n")


def namestr_lengths(data: bytes) -> dict[str, int]:
    """Variable name -> nlng, parsed by hand from the v5 namestr records (TS-140), independent of ReadStat.

    After the 8 header records comes one 140-byte namestr per variable: ntype (2 bytes), nhfun
    (2), nlng (2), nvar0 (2), nname (8), ...; the MEMBER header record says 0140 at bytes 74-77
    and the NAMESTR header record carries the variable count at bytes 54-57.
    """
    assert data[240 + 74 : 240 + 78] == b"0140"
    count = int(data[560 + 54 : 560 + 58])
    start = 640
    records = [data[start + 140 * i : start + 140 * (i + 1)] for i in range(count)]
    return {r[8:16].decode("ascii").rstrip(): int.from_bytes(r[4:6], "big") for r in records}


# --- our own frame: write, read back ----------------------------------------------------------


def test_round_trip_values_and_metadata(tmp_path):
    path = write_example(tmp_path)
    assert path == tmp_path / "adae.xpt"
    frame, meta = read_xpt(path)
    assert meta == DatasetMeta("ADAE", "Adverse Events Analysis Dataset", tuple(VARIABLES))
    assert frame.schema == pl.Schema(
        {
            "USUBJID": pl.String,
            "AGE": pl.Float64,
            "TRTSDT": pl.Date,
            "WEIGHTBL": pl.Float64,
            "AETERM": pl.String,
        }
    )
    assert frame.to_dicts() == [
        {
            "USUBJID": "01-701-1015",
            "AGE": 63.0,
            "TRTSDT": dt.date(2014, 1, 2),
            "WEIGHTBL": 54.4,
            "AETERM": "APPLICATION SITE ERYTHEMA",
        },
        {"USUBJID": "01-701-1023", "AGE": None, "TRTSDT": None, "WEIGHTBL": 80.29, "AETERM": ""},
        {
            "USUBJID": "01-701-1028",
            "AGE": 71.0,
            "TRTSDT": dt.date(1959, 12, 31),
            "WEIGHTBL": None,
            "AETERM": "X" * 200,
        },
    ]


def test_dates_are_sas_day_numbers(tmp_path):
    # 2014-01-02 is 19725 days after 1960-01-01: 54 years (1960..2013) of 365 days plus 14 leap
    # days (1960, 1964, ..., 2012) = 19724, plus 1 for 2 January. 1959-12-31 is day -1.
    assert 54 * 365 + 14 + 1 == 19725
    write_example(tmp_path)
    import pyreadstat

    raw, _ = pyreadstat.read_xport(
        str(tmp_path / "adae.xpt"), output_format="polars", disable_datetime_conversion=True
    )
    assert raw["TRTSDT"].to_list() == [19725.0, None, -1.0]


def test_declared_length_not_longest_value(tmp_path):
    """ReadStat sizes a Char variable to its longest value; the declared 20 must win over 11."""
    write_example(tmp_path)
    _, meta = read_xpt(tmp_path / "adae.xpt")
    assert max(len(s) for s in FRAME["USUBJID"]) == 11
    assert {v.name: v.length for v in meta.variables}["USUBJID"] == 20


def test_null_character_value_reads_back_blank(tmp_path):
    # SAS has one missing character value, blank: a null is written as blanks and read as ''.
    frame = FRAME.with_columns(pl.Series("AETERM", [None, "", "HEADACHE"]))
    write_example(tmp_path, frame)
    assert read_xpt(tmp_path / "adae.xpt")[0]["AETERM"].to_list() == ["", "", "HEADACHE"]


def test_nan_is_written_as_missing(tmp_path):
    frame = FRAME.with_columns(pl.Series("WEIGHTBL", [float("nan"), 1.0, None]))
    write_example(tmp_path, frame)
    assert read_xpt(tmp_path / "adae.xpt")[0]["WEIGHTBL"].to_list() == [None, 1.0, None]


def test_byte_identical_for_identical_input(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_example(tmp_path / "a")
    time.sleep(1.1)  # ReadStat stamps the clock in whole seconds: a second later would differ
    second = write_example(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    data = first.read_bytes()
    # created/modified of the library (records 1, 2) and member (records 5, 6) headers
    assert [data[s : s + 16] for s in (80 + 64, 160, 400 + 64, 480)] == [b"01JAN60:00:00:00"] * 4


def test_created_timestamp_is_written(tmp_path):
    data = write_example(tmp_path, created=dt.datetime(2022, 4, 16, 20, 9, 3)).read_bytes()
    assert [data[s : s + 16] for s in (80 + 64, 160, 400 + 64, 480)] == [b"16APR22:20:09:03"] * 4


@needs_r
def test_haven_reads_what_was_written(tmp_path):
    path = write_example(tmp_path)
    values, meta, label = haven_read(path, tmp_path)
    assert label == "Adverse Events Analysis Dataset"
    assert [m["name"] for m in meta] == [v.name for v in VARIABLES]
    assert [m["label"] for m in meta] == [v.label for v in VARIABLES]
    # haven 2.5.1's read_xpt sets no 'width' attribute (only label and format.sas), so it cannot
    # report stored lengths; those are read from the namestr records themselves below.
    assert {m["width"] for m in meta} == {""}
    assert namestr_lengths(path.read_bytes()) == {v.name: v.length for v in VARIABLES}
    assert {m["name"]: m["format"] for m in meta} == {
        "USUBJID": "",
        "AGE": "",
        "TRTSDT": "DATE9",  # haven drops the trailing period of the SAS format name
        "WEIGHTBL": "8.1",
        "AETERM": "",
    }
    assert {m["name"]: m["class"] for m in meta} == {
        "USUBJID": "character",
        "AGE": "numeric",
        "TRTSDT": "Date",
        "WEIGHTBL": "numeric",
        "AETERM": "character",
    }
    assert values == [
        {
            "USUBJID": "01-701-1015",
            "AGE": "63",
            "TRTSDT": "2014-01-02",
            "WEIGHTBL": "54.4",
            "AETERM": "APPLICATION SITE ERYTHEMA",
        },
        {"USUBJID": "01-701-1023", "AGE": "", "TRTSDT": "", "WEIGHTBL": "80.29", "AETERM": ""},
        {"USUBJID": "01-701-1028", "AGE": "71", "TRTSDT": "1959-12-31", "WEIGHTBL": "", "AETERM": "X" * 200},
    ]


# --- refusals: named, and nothing written -----------------------------------------------------


def refused(tmp_path: Path, frame: pl.DataFrame, variables: list[VariableMeta], dataset: str = "ADAE") -> str:
    (tmp_path / "out").mkdir()
    with pytest.raises(XptError) as error:
        write_xpt(
            frame,
            tmp_path / "out" / "adae.xpt",
            dataset=dataset,
            dataset_label="Adverse Events",
            variables=variables,
        )
    assert list((tmp_path / "out").iterdir()) == []  # no file, no temporary file
    return str(error.value)


def test_refuses_nine_character_name(tmp_path):
    variables = [VariableMeta("AEDECODXX", "Dictionary-Derived Term", "Char", 10)]
    message = refused(tmp_path, pl.DataFrame({"AEDECODXX": ["HEADACHE"]}), variables)
    assert message.startswith("dataset ADAE, variable AEDECODXX: name 'AEDECODXX'")


def test_refuses_nine_character_dataset_name(tmp_path):
    variables = [VariableMeta("AETERM", "Reported Term", "Char", 10)]
    message = refused(tmp_path, pl.DataFrame({"AETERM": ["HEADACHE"]}), variables, dataset="ADAEXXXXX")
    assert message.startswith("dataset 'ADAEXXXXX': name")


def test_refuses_41_character_label(tmp_path):
    label = "L" * 41
    variables = [VariableMeta("AETERM", label, "Char", 10)]
    message = refused(tmp_path, pl.DataFrame({"AETERM": ["HEADACHE"]}), variables)
    assert message == f"dataset ADAE, variable AETERM: label {label!r} has 41 characters, more than 40"


def test_refuses_non_ascii_value(tmp_path):
    variables = [VariableMeta("AETERM", "Reported Term", "Char", 20)]
    frame = pl.DataFrame({"AETERM": ["HEADACHE", "DIZZINESS", "めまい"]})
    message = refused(tmp_path, frame, variables)
    assert message.startswith("dataset ADAE, variable AETERM, row 2: value 'めまい' is not ASCII")


def test_refuses_201_byte_value(tmp_path):
    variables = [VariableMeta("AETERM", "Reported Term", "Char", 200)]
    frame = pl.DataFrame({"AETERM": ["HEADACHE", "Y" * 201]})
    message = refused(tmp_path, frame, variables)
    assert message.startswith("dataset ADAE, variable AETERM, row 1: value 'YYY")
    assert message.endswith("has 201 bytes, more than the length 200 (1 row(s))")


def test_refuses_length_201_declared(tmp_path):
    variables = [VariableMeta("AETERM", "Reported Term", "Char", 201)]
    message = refused(tmp_path, pl.DataFrame({"AETERM": ["HEADACHE"]}), variables)
    assert message == "dataset ADAE, variable AETERM: character length 201 is not in 1..200"


def test_refuses_value_longer_than_declared(tmp_path):
    variables = [VariableMeta("AESEV", "Severity/Intensity", "Char", 4)]
    message = refused(tmp_path, pl.DataFrame({"AESEV": ["MILD", "SEVERE"]}), variables)
    assert message.startswith(
        "dataset ADAE, variable AESEV, row 1: value 'SEVERE' has 6 bytes, more than the length 4"
    )


def test_refuses_text_in_numeric_variable(tmp_path):
    variables = [VariableMeta("AGE", "Age", "Num", 8)]
    message = refused(tmp_path, pl.DataFrame({"AGE": ["63"]}), variables)
    assert message == "dataset ADAE, variable AGE: type Num but column is String"


@pytest.mark.parametrize("display_format", ["DATE", "9DATE.", "$12.", "LONGNAMEX9."])
def test_refuses_bad_display_format(tmp_path, display_format):
    # no period; name starting with a digit; a character format on a numeric; a 9-character name
    variables = [VariableMeta("ADT", "Analysis Date", "Num", 8, display_format)]
    message = refused(tmp_path, pl.DataFrame({"ADT": [dt.date(2014, 1, 2)]}), variables)
    assert message.startswith(f"dataset ADAE, variable ADT: display format {display_format!r}")


def test_refuses_datetime_column(tmp_path):
    variables = [VariableMeta("ADTM", "Analysis Datetime", "Num", 8, "DATETIME20.")]
    message = refused(tmp_path, pl.DataFrame({"ADTM": [dt.datetime(2014, 1, 2, 8, 30)]}), variables)
    assert (
        message
        == "dataset ADAE, variable ADTM: type Num but column is Datetime(time_unit='us', time_zone=None)"
    )


def test_iso_date_format_round_trip(tmp_path):
    variables = [VariableMeta("ADT", "Analysis Date", "Num", 8, "E8601DA10.")]
    path = write_xpt(
        pl.DataFrame({"ADT": [dt.date(2014, 1, 2)]}),
        tmp_path / "x.xpt",
        dataset="X",
        dataset_label="",
        variables=variables,
    )
    frame, meta = read_xpt(path)
    assert meta.variables == tuple(variables)
    assert frame["ADT"].to_list() == [dt.date(2014, 1, 2)]


def test_refusal_keeps_older_file(tmp_path):
    path = write_example(tmp_path)
    before = path.read_bytes()
    bad = FRAME.with_columns(pl.Series("AETERM", ["めまい", "", ""]))
    with pytest.raises(XptError):
        write_example(tmp_path, bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adae.xpt"]


# --- the CDISC pilot: SAS's own XPT against SAS's own Dataset-JSON ----------------------------

# Metadata where the pilot's XPT and its Dataset-JSON disagree. The JSON (and define.xml, which
# says the same in every case checked) was made from the define.xml metadata; the XPT carries
# what the SAS datasets held. Each entry is (xpt value, json value).
PILOT_DATASET_LABELS = {
    # define.xml ItemGroupDef IG.ADSL Description: "Subject-Level Analysis"
    "adsl": ("Subject-Level Analysis Dataset", "Subject-Level Analysis"),
    # the SAS datasets of ADTTE and ADAE had no label; JSON/define.xml have one
    "adtte": ("", "AE Time To 1st Derm. Event Analysis"),
    "adae": ("", "Adverse Events Analysis Dataset"),
}
PILOT_LABEL_DIFFERENCES = {
    # define.xml ItemDef Descriptions agree with the JSON; the SAS variables had older wording
    "adtte": {
        "STARTDT": ("Time-to-Event Origin Date for Subject", "Time to Event Origin Date for Subject"),
        "SRCDOM": ("Source Data", "Source Domain"),
    },
    "adae": {
        "ADURN": ("Analysis Duration (N)", "AE Duration (N)"),
        "ADURU": ("Analysis Duration Units", "AE Duration Units"),
        "AOCCFL": ("1st Occurrence within Subject Flag", "1st Occurrence of Any AE Flag"),
    },
}
PILOT_LENGTH_DIFFERENCES = {
    # define.xml ItemDef Length="100" / "8" (the JSON copies them); SAS stored $32 / $4
    "adtte": {"PARAM": (32, 100), "PARAMCD": (4, 8)},
}
# Dataset-JSON v1.1 dataType "datetime" is an ISO 8601 string without "length"; in the XPT the
# variable is Char $20 (ADSL.RFSTDTC, RFENDTC).
JSON_STRING_TYPES = {"string", "datetime"}


def pilot(dataset: str) -> tuple[pl.DataFrame, DatasetMeta, dict]:
    frame, meta = read_xpt(PILOT / f"{dataset}.xpt")
    with open(PILOT / f"{dataset}.json") as f:
        return frame, meta, json.load(f)


@pytest.mark.parametrize("dataset", ["adsl", "adtte", "adae"])
def test_pilot_xpt_metadata_matches_dataset_json(dataset):
    frame, meta, doc = pilot(dataset)
    columns = doc["columns"]
    assert meta.name == doc["name"] == dataset.upper()
    assert (meta.label, doc["label"]) == PILOT_DATASET_LABELS[dataset]
    assert frame.height == doc["records"] == len(doc["rows"])
    assert frame.columns == [c["name"] for c in columns] == [v.name for v in meta.variables]
    labels = {v.name: (v.label, c["label"]) for v, c in zip(meta.variables, columns) if v.label != c["label"]}
    assert labels == PILOT_LABEL_DIFFERENCES.get(dataset, {})
    for v, c in zip(meta.variables, columns):
        assert (v.type == "Char") == (c["dataType"] in JSON_STRING_TYPES), v.name
    lengths = {
        v.name: (v.length, c["length"])
        for v, c in zip(meta.variables, columns)
        if c["dataType"] == "string" and v.length != c["length"]
    }
    assert lengths == PILOT_LENGTH_DIFFERENCES.get(dataset, {})
    assert all(v.length == 8 for v in meta.variables if v.type == "Num")
    # Date formats agree everywhere. The JSON sets displayFormat only for dates; SAS's ADTTE also
    # carries $w. and w. formats on other variables ($12., 3., ...), which the JSON leaves out.
    dates = {v.name for v in meta.variables if v.display_format == "DATE9."}
    assert dates == {c["name"] for c in columns if c.get("displayFormat") == "DATE9."}
    assert dates == {c["name"] for c in columns if c["dataType"] == "date"}
    others = {v.name: v.display_format for v in meta.variables if v.display_format not in (None, "DATE9.")}
    assert bool(others) == (dataset == "adtte")


def json_value(value, data_type: str):
    if data_type == "date" and value is not None:
        return dt.date.fromisoformat(value)  # ISO 8601 date for targetDataType integer
    return value


@pytest.mark.parametrize("dataset", ["adsl", "adtte", "adae"])
def test_pilot_xpt_values_match_dataset_json(dataset):
    frame, _, doc = pilot(dataset)
    mismatches = []
    for i, column in enumerate(doc["columns"]):
        for row, (ours, theirs) in enumerate(
            zip(frame[column["name"]].to_list(), (r[i] for r in doc["rows"]))
        ):
            expected = json_value(theirs, column["dataType"])
            if isinstance(ours, float) and expected is not None:
                same = math.isclose(ours, expected, rel_tol=1e-12, abs_tol=0.0)
            else:
                same = ours == expected  # blank Char is '' in both; missing Num is null in both
            if not same:
                mismatches.append((column["name"], row, ours, theirs))
    assert mismatches == []


def test_pilot_value_spot_checks():
    frame, _, _ = pilot("adsl")
    first = frame.row(0, named=True)
    # adsl.json rows[0]: 01-701-1015, 63 years, Placebo, TRTSDT 2014-01-02, BMIBL 25.1
    assert (first["USUBJID"], first["AGE"], first["TRT01A"], first["TRTSDT"]) == (
        "01-701-1015",
        63.0,
        "Placebo",
        dt.date(2014, 1, 2),
    )


def test_pilot_adsl_round_trip_observations_byte_identical_to_sas(tmp_path):
    frame, meta, _ = pilot("adsl")
    path = write_xpt(
        frame,
        tmp_path / "adsl.xpt",
        dataset=meta.name,
        dataset_label=meta.label,
        variables=list(meta.variables),
        created=dt.datetime(2022, 4, 16, 20, 9, 3),  # the pilot's own header datetime
    )
    again, meta_again = read_xpt(path)
    assert meta_again == meta
    assert again.equals(frame)
    ours, sas = path.read_bytes(), (PILOT / "adsl.xpt").read_bytes()
    assert len(ours) == len(sas) == 117840
    obs = b"HEADER RECORD*******OBS     HEADER RECORD"
    # every observation byte (IBM doubles, blank-padded characters) is what SAS wrote
    assert ours.index(obs) == sas.index(obs) == 7520
    assert ours[7520:] == sas[7520:]
    differing = [r for r in range(7520 // 80) if ours[r * 80 : r * 80 + 80] != sas[r * 80 : r * 80 + 80]]
    # The headers differ only in (1) the SAS release/OS fields of the library and member
    # headers (records 1 and 5: SAS '9.4 Linux', ReadStat '6.06 bsd4.2') and (2) the namestr
    # field nfj (justification) of each numeric variable: ReadStat writes 1, SAS 0. No reader
    # tested uses either.
    assert sas[80:120] == b"SAS     SAS     SASLIB  9.4     Linux\x00\x00\x00"
    assert ours[80:120] == b"SAS     SAS     SASLIB  6.06    bsd4.2  "
    assert differing[:2] == [1, 5]
    namestr_start = 8 * 80  # after the NAMESTR header record, 140 bytes per variable
    for i, var in enumerate(meta.variables):
        at = namestr_start + 140 * i + 68
        nfj = (int.from_bytes(sas[at : at + 2], "big"), int.from_bytes(ours[at : at + 2], "big"))
        assert nfj == ((0, 1) if var.type == "Num" else (0, 0)), var.name
        ours = ours[:at] + sas[at : at + 2] + ours[at + 2 :]
    ours = ours[:80] + sas[80:120] + ours[120:400] + sas[400:440] + ours[440:]
    assert ours == sas  # nothing else differs


@needs_r
def test_pilot_adsl_round_trip_read_by_haven(tmp_path):
    frame, meta, doc = pilot("adsl")
    path = write_xpt(
        frame,
        tmp_path / "adsl.xpt",
        dataset=meta.name,
        dataset_label=meta.label,
        variables=list(meta.variables),
    )
    values, haven_meta, label = haven_read(path, tmp_path)
    assert label == meta.label == "Subject-Level Analysis Dataset"
    assert [(m["name"], m["label"]) for m in haven_meta] == [(v.name, v.label) for v in meta.variables]
    # lengths: haven reports none for XPT (see test_haven_reads_what_was_written); parse namestrs
    assert namestr_lengths(path.read_bytes()) == namestr_lengths((PILOT / "adsl.xpt").read_bytes())
    assert namestr_lengths(path.read_bytes()) == {v.name: v.length for v in meta.variables}
    assert {m["name"] for m in haven_meta if m["class"] == "Date"} == {
        c["name"] for c in doc["columns"] if c["dataType"] == "date"
    }
    assert len(values) == frame.height == 254
    for row, (theirs, ours) in enumerate(zip(values, frame.iter_rows(named=True))):
        for name, value in ours.items():
            if value is None:
                assert theirs[name] == "", (name, row)
            elif isinstance(value, float):
                assert math.isclose(float(theirs[name]), value, rel_tol=1e-12), (
                    name,
                    row,
                )  # R prints 15 digits
            else:
                assert theirs[name] == str(value), (name, row)


def test_observations_are_the_bytes_readstat_writes(tmp_path, monkeypatch):
    # write_xpt takes ReadStat's header records and writes the observations itself, column at a
    # time in batches: the file must be the one ReadStat writes for the whole frame.
    import random

    import pyreadstat

    import submission.xpt as xpt

    rng = random.Random(5)
    rows = 1_003
    frame = pl.DataFrame(
        {
            "USUBJID": [f"S-{i:05d}" if i % 11 else None for i in range(rows)],
            "AVAL": [
                None if i % 13 == 0 else rng.uniform(-1, 1) * 10.0 ** rng.randint(-60, 60)
                for i in range(rows)
            ],
            "ZERO": [(-0.0 if i % 2 else 0.0) if i % 3 else float("nan") for i in range(rows)],
            "ADT": [dt.date(2017, 1, 1) + dt.timedelta(days=i) for i in range(rows)],
        }
    )
    variables = [
        VariableMeta("USUBJID", "Unique Subject Identifier", "Char", 12),
        VariableMeta("AVAL", "Analysis Value", "Num", 8),
        VariableMeta("ZERO", "Signed zeros", "Num", 8),
        VariableMeta("ADT", "Analysis Date", "Num", 8, "DATE9."),
    ]
    monkeypatch.setattr(xpt, "BATCH_ROWS", 100)
    ours = write_xpt(frame, tmp_path / "ours.xpt", dataset="ADXX", dataset_label="Test", variables=variables)
    storage = xpt._to_storage(frame, variables)
    pyreadstat.write_xport(storage, str(tmp_path / "readstat.xpt"), file_label="Test",
                           column_labels={v.name: v.label for v in variables}, table_name="ADXX",
                           file_format_version=5, variable_format={"ADT": "DATE9."})  # fmt: skip
    theirs = bytearray((tmp_path / "readstat.xpt").read_bytes())
    xpt._stamp_headers(theirs, xpt.DEFAULT_CREATED, "readstat.xpt")
    assert ours.read_bytes() == bytes(theirs)


def test_batches_read_back_what_read_xpt_reads(tmp_path):
    from submission.xpt import read_xpt_batches

    frame = pl.DataFrame(
        {
            "USUBJID": [f"S-{i}" for i in range(25)],
            "ADT": [None] * 10 + [dt.date(2017, 1, 1) + dt.timedelta(days=i) for i in range(15)],
        }
    )
    variables = [
        VariableMeta("USUBJID", "Subject", "Char", 8),
        VariableMeta("ADT", "Date", "Num", 8, "DATE9."),
    ]
    path = write_xpt(frame, tmp_path / "adxx.xpt", dataset="ADXX", dataset_label="Test", variables=variables)
    whole, meta = read_xpt(path)
    batch_meta, batches = read_xpt_batches(path, rows=10)
    batches = list(batches)
    assert batch_meta == meta
    assert [b.height for b in batches] == [10, 10, 5]
    assert batches[0]["ADT"].null_count() == 10  # a batch of missing dates
    assert pl.concat(batches, how="vertical_relaxed").equals(whole)
