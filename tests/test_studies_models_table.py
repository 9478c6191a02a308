"""repcap.studies.models_table: the CSV table round-trips exactly, writes atomically, and says what is wrong."""

from __future__ import annotations

import csv
import math

import pytest

from references import survey_row
from repcap.errors import DataFileError, RepcapError, StorageError
from repcap.studies import models_table as T
from repcap.studies import survey as S


def test_table_round_trip_and_atomic_write(tmp_path, glove_sample, monkeypatch):
    rows = [S.measure_model(glove_sample, bootstrap=4, seed=0, family="GloVe, 50d"),
            survey_row("plain", 0.08)]
    path = T.write_table(rows, tmp_path / "tables" / "models.csv")
    back = T.read_table(path)
    for a, b in zip(rows, back):
        for key, value in a.to_dict().items():
            other = b.to_dict()[key]
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(other)
            else:
                assert other == value, key
    with path.open(newline="") as fh:
        header = next(csv.reader(fh))
    assert tuple(header) == S.COLUMNS and "class" in header

    before = path.read_bytes()

    def boom(self, rows):
        raise KeyboardInterrupt

    monkeypatch.setattr(csv.DictWriter, "writerows", boom)
    with pytest.raises(KeyboardInterrupt):
        T.write_table(rows[:1], path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["models.csv"]


def test_read_table_errors_and_minimal_files(tmp_path):
    with pytest.raises(DataFileError, match="chapter 3"):
        T.read_table(tmp_path / "absent.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("name,d_model,mean\nx,10,0.1\n")
    with pytest.raises(DataFileError, match="missing column"):
        T.read_table(bad)
    bad.write_text("name,d_model,mean,std,eps\nx,ten,0.1,0.1,0.3\n")
    with pytest.raises(DataFileError, match="line 2.*d_model"):
        T.read_table(bad)
    minimal = tmp_path / "min.csv"
    minimal.write_text("name,d_model,mean,std,eps\nx,400,0.01,0.04,0.09\n")
    (row,) = T.read_table(minimal)
    assert row.klass == "Class 2" and row.null_eps == pytest.approx(0.1) and math.isnan(row.ci_low)
    with pytest.raises(DataFileError):
        T.write_table([{"name": "x"}], tmp_path / "w.csv")
    assert issubclass(DataFileError, RepcapError)


def test_unwritable_table_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="cannot write the models table.*table_path"):
        T.write_table([survey_row("x", 0.3)], blocker / "sub" / "models.csv")
