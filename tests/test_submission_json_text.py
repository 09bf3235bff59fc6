"""The column-at-a-time Dataset-JSON row text equals json.dumps of the per-value rows.

`submission.json_text` must write the very bytes the reference writer (one `json_value` call
and one ``json.dumps`` per value) writes: every escape of RFC 8259 / Python's json module,
every float spelling of ``float.__repr__`` (fixed and exponent forms), integral floats in an
integer column, dates, nulls and NaN, across batch boundaries.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import polars as pl
import pytest

import submission.dataset_json as dj
from submission.dataset_json import (
    Column,
    DatasetJSONError,
    DatasetMeta,
    dataset_json_bytes,
    dataset_ndjson_bytes,
)


def _reference(frame: pl.DataFrame, meta: DatasetMeta) -> tuple[bytes, bytes]:
    """The two forms as the writer made them before: whole-document json.dumps of json_rows."""
    dumps = lambda obj: json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)  # noqa: E731
    rows = list(dj.json_rows(frame, meta))
    document = dj.header(meta, frame.height) | {"rows": rows}
    ndjson = "\n".join([dumps(dj.header(meta, frame.height)), *(dumps(r) for r in rows)]) + "\n"
    return (dumps(document) + "\n").encode(), ndjson.encode()


def _meta(columns) -> DatasetMeta:
    return DatasetMeta(name="ADXX", label="Test", item_group_oid="IG.ADXX", columns=columns,
                       creation_datetime="2019-10-18T00:00:00")  # fmt: skip


def _frame(rows: int, seed: int = 1) -> tuple[pl.DataFrame, DatasetMeta]:
    rng = random.Random(seed)
    specials = [
        '"',
        "\\",
        "\n",
        "\r",
        "\t",
        "\b",
        "\f",
        "\x00",
        "\x1f",
        "\x7f",
        "/",
        "頭痛",
        "é",
        "\u2028",
        "],[",
    ]
    text = [None if rng.random() < 0.1 else "".join(rng.choice(specials + ["a", " "]) for _ in range(rng.randint(0, 6)))
            for _ in range(rows)]  # fmt: skip
    scales = [0.0, 1e-300, 1e-5, 1e-4, 0.1, 1.0, 1e3, 1e15, 1e16, 1e300]
    doubles = [rng.choice([None, float("nan"), -0.0]) if rng.random() < 0.1
               else rng.choice([-1, 1]) * rng.random() * rng.choice(scales) for _ in range(rows)]  # fmt: skip
    integral = [None if rng.random() < 0.1 else float(rng.randint(-(10**6), 10**6)) for _ in range(rows)]
    dates = [None if rng.random() < 0.1 else dt.date(2017, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
             for _ in range(rows)]  # fmt: skip
    frame = pl.DataFrame(
        {
            "TEXT": pl.Series(text, dtype=pl.String),
            "DOUBLE": pl.Series(doubles, dtype=pl.Float64),
            "INTDBL": pl.Series([None if v is None else int(v) for v in integral], dtype=pl.Int32),
            "INTFLT": pl.Series(integral, dtype=pl.Float64),
            "INT": pl.Series([None if v is None else int(v) for v in integral], dtype=pl.Int64),
            "DATE": pl.Series(dates, dtype=pl.Date),
            "EMPTY": pl.Series([None] * rows, dtype=pl.Null),
        }
    )
    columns = [
        Column("IT.TEXT", "TEXT", "Text", "string", length=40),
        Column("IT.DOUBLE", "DOUBLE", "Double", "double"),
        Column("IT.INTDBL", "INTDBL", "Integer as double", "double"),
        Column("IT.INTFLT", "INTFLT", "Integral float", "integer"),
        Column("IT.INT", "INT", "Integer", "integer"),
        Column("IT.DATE", "DATE", "Date", "date", display_format="DATE9.", target_data_type="integer"),
        Column("IT.EMPTY", "EMPTY", "All missing", "string", length=1),
    ]
    return frame, _meta(columns)


@pytest.mark.parametrize("batch_rows", [7, 100_000])
def test_row_text_is_json_dumps_of_the_reference_rows(monkeypatch, batch_rows):
    monkeypatch.setattr(dj, "BATCH_ROWS", batch_rows)
    frame, meta = _frame(2_000)
    assert (dataset_json_bytes(frame, meta=meta), dataset_ndjson_bytes(frame, meta=meta)) == _reference(
        frame, meta
    )


def test_fixed_notation_doubles_match_float_repr():
    # The fast path's one assumption about polars: Float64 -> String is float.__repr__ in
    # the fixed-notation range 1e-4 <= |x| < 1e16 (shortest round-trip digits, '.0' kept).
    rng = random.Random(7)
    values = [rng.uniform(-1, 1) * 10.0 ** rng.randint(-4, 15) for _ in range(200_000)]
    values = [v for v in values if v == 0 or 1e-4 <= abs(v) < 1e16] + [1.0, 0.1, 1e-4, 9999999999999998.0]
    assert pl.Series(values).cast(pl.String).to_list() == [repr(v) for v in values]


def test_empty_frame_and_no_rows():
    frame, meta = _frame(0)
    assert (dataset_json_bytes(frame, meta=meta), dataset_ndjson_bytes(frame, meta=meta)) == _reference(
        frame, meta
    )


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        (Column("IT.X", "X", "x", "integer"), [1.0, 2.5], r"ADXX\.X row 2: 2\.5 is not an integer"),
        (Column("IT.X", "X", "x", "double"), [1.0, float("inf")], r"ADXX\.X row 2: inf cannot be written"),
        (
            Column("IT.X", "X", "x", "string", length=2),
            ["ab", "abc"],
            r"ADXX\.X row 2: 'abc' is 3 characters",
        ),
        (Column("IT.X", "X", "x", "integer"), [True, False], r"ADXX\.X row 1: boolean True"),
    ],
)
def test_refused_values_name_the_row_in_any_batch(monkeypatch, tmp_path, column, values, message):
    monkeypatch.setattr(dj, "BATCH_ROWS", 1)
    frame = pl.DataFrame({"X": values})
    with pytest.raises(DatasetJSONError, match=message):
        dj.write_dataset_json_files(frame, tmp_path / "x.json", tmp_path / "x.ndjson", meta=_meta([column]))
    assert list(tmp_path.iterdir()) == []  # no half-written file is left
