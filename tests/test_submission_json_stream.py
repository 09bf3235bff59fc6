"""The streaming Dataset-JSON validator gives the verdict of the official schema, without the document in memory.

Files in the writer's layout are changed the way a broken writer would (a row that is not an
array, a column dataType outside the schema's enum, a required top-level key missing) and
checked three ways: the official JSON Schema on the whole parsed document (CDISC's verdict),
the in-memory validator, and `validate_dataset_json` with the in-memory path disabled, so the
streaming scan alone must reach the verdict (with small blocks, so rows straddle them).
"""

from __future__ import annotations

import json

import jsonschema
import polars as pl
import pytest

import submission.dataset_json as dj
import submission.json_stream as js
from submission.dataset_json import Column, DatasetMeta, validate_dataset_json

META = DatasetMeta(
    name="ADXX",
    label="Test",
    item_group_oid="IG.ADXX",
    columns=[Column("IT.T", "T", "Text", "string", length=20), Column("IT.N", "N", "Number", "double")],
    creation_datetime="2019-10-18T00:00:00",
)
FRAME = pl.DataFrame(
    {"T": [f"row {i}" if i % 7 else 'a],["b' for i in range(60)], "N": [i / 4 for i in range(60)]}
)


def _official_verdict(path) -> bool:
    """CDISC's schema on the whole parsed document (NDJSON: metadata line, rows put back)."""
    if path.suffix == ".ndjson":
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        document = {**lines[0], "rows": lines[1:]}
    else:
        document = json.loads(path.read_text(encoding="utf-8"))
    return jsonschema.Draft201909Validator(dj.json_schema()).is_valid(document)


def _bad_row(text: str) -> str:
    return text.replace('["row 3",0.75]', '{"T":"row 3"}')


def _bad_type(text: str) -> str:
    return text.replace('"dataType":"double"', '"dataType":"text"')


def _missing_name(text: str) -> str:
    return text.replace('"name":"ADXX",', "")


@pytest.fixture
def streaming_only(monkeypatch):
    """The in-memory validator disabled, blocks of 64 bytes: the scan must decide alone."""

    def refuse(path):
        raise AssertionError(f"{path.name}: the streaming scan did not decide")

    monkeypatch.setattr(dj, "_validate_json_form_in_memory", refuse)
    monkeypatch.setattr(dj, "_validate_ndjson_form_in_memory", refuse)
    monkeypatch.setattr(js, "CHUNK_BYTES", 64)


def _write(tmp_path, suffix, change=None):
    path = tmp_path / f"adxx{suffix}"
    text = (dj.dataset_json_bytes if suffix == ".json" else dj.dataset_ndjson_bytes)(
        FRAME, meta=META
    ).decode()
    path.write_text(change(text) if change else text, encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".json", ".ndjson"])
@pytest.mark.parametrize("change", [None, _bad_row, _bad_type, _missing_name])
def test_streaming_verdict_is_the_official_schemas(tmp_path, monkeypatch, suffix, change):
    path = _write(tmp_path, suffix, change)
    in_memory = (
        dj._validate_json_form_in_memory if suffix == ".json" else dj._validate_ndjson_form_in_memory
    )(path)
    monkeypatch.setattr(dj, "_validate_json_form_in_memory", lambda p: pytest.fail("not streamed"))
    monkeypatch.setattr(dj, "_validate_ndjson_form_in_memory", lambda p: pytest.fail("not streamed"))
    monkeypatch.setattr(js, "CHUNK_BYTES", 64)
    streamed = validate_dataset_json(path)
    assert streamed == in_memory  # same messages, same order
    assert (streamed == []) == _official_verdict(path) == (change is None)


def test_messages_name_the_broken_row(tmp_path, streaming_only):
    messages = validate_dataset_json(_write(tmp_path, ".json", _bad_row))
    assert "adxx.json: rows/3: {'T': 'row 3'} is not of type 'array'" in messages
    assert "adxx.json: rows/3: a row must be an array, got dict" in messages
    lines = validate_dataset_json(_write(tmp_path, ".ndjson", _bad_row))
    assert lines == ["adxx.ndjson: line 5: a row must be an array, got dict"]  # NDJSON rows: content check


def test_wrong_width_and_record_count_are_streamed(tmp_path, streaming_only):
    path = _write(
        tmp_path,
        ".json",
        lambda t: t.replace('["row 3",0.75]', '["row 3"]').replace('"records":60', '"records":61'),
    )
    assert validate_dataset_json(path) == [
        "adxx.json: rows/3: 1 values for 2 columns",
        "adxx.json: records: says 61 but the file has 60 rows",
    ]


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace("],[", "], [", 1),  # whitespace between rows: valid JSON, not the writer's layout
        lambda t: t.replace('"rows":[', '"rows":[ ', 1),
        lambda t: t[:-3] + "]",  # truncated document
        lambda t: t.replace('"row 5"', '"row \x01"'),  # raw control character: invalid JSON
    ],
)
def test_what_the_scan_cannot_place_goes_to_the_in_memory_check(tmp_path, monkeypatch, change):
    path = _write(tmp_path, ".json", change)
    expected = dj._validate_json_form_in_memory(path)
    monkeypatch.setattr(js, "CHUNK_BYTES", 64)
    assert validate_dataset_json(path) == expected
